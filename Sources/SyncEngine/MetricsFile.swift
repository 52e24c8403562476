import Foundation
import LocalStore
import RemoteAPI

#if canImport(Glibc)
    import Glibc
#endif

/// A Prometheus textfile (for node_exporter's textfile collector): the last cycle's duration,
/// outcome and changes, and requests by status since the process started. Written to a
/// temporary file and renamed, so the collector never reads half a file; mode 0644 whatever
/// the umask, so the collector's own user can read it.
enum MetricsFile {
    static func write(
        to path: String, report: SyncReport, outcome: RunOutcome, statistics: RequestExecutor.Statistics,
        finishedAt: Date
    ) throws {
        let vendor = "vendor=\"\(report.vendor)\""
        var lines: [String] = []
        func metric(_ name: String, _ help: String, _ type: String, _ samples: [(String, String)]) {
            lines.append("# HELP syncd_\(name) \(help)")
            lines.append("# TYPE syncd_\(name) \(type)")
            for (labels, value) in samples {
                lines.append("syncd_\(name){\(vendor)\(labels.isEmpty ? "" : ",\(labels)")} \(value)")
            }
        }
        metric(
            "cycle_duration_seconds", "Duration of the last sync cycle.", "gauge",
            [("", String(report.seconds))])
        metric(
            "cycle_finished_timestamp_seconds", "When the last sync cycle ended.", "gauge",
            [("", String(Int(finishedAt.timeIntervalSince1970)))])
        metric(
            "cycle_outcome", "1 for the last cycle's outcome (synced, partial, deferred, failed).", "gauge",
            [RunOutcome.synced, .partial, .deferred, .failed].map {
                ("outcome=\"\($0.rawValue)\"", $0 == outcome ? "1" : "0")
            })
        metric(
            "contacts_changed", "Contacts the last cycle changed, by side and kind.", "gauge",
            [
                ("side=\"crm\",kind=\"created\"", String(report.local.created)),
                ("side=\"crm\",kind=\"updated\"", String(report.local.updated)),
                ("side=\"crm\",kind=\"deleted\"", String(report.local.deleted)),
                ("side=\"remote\",kind=\"created\"", String(report.remote.created)),
                ("side=\"remote\",kind=\"updated\"", String(report.remote.updated)),
                ("side=\"remote\",kind=\"deleted\"", String(report.remote.deleted)),
            ])
        metric("conflicts", "Conflicts the last cycle settled.", "gauge", [("", String(report.conflicts))])
        metric(
            "contacts_rejected", "Contacts the vendor refused in the last cycle.", "gauge",
            [("", String(report.rejected))])
        metric(
            "requests_total", "Requests sent to the vendor since syncd started, by HTTP status.", "counter",
            statistics.byStatus.sorted { $0.key < $1.key }.map { ("status=\"\($0.key)\"", String($0.value)) })
        metric(
            "network_errors_total", "Requests that got no HTTP answer since syncd started.", "counter",
            [("", String(statistics.networkFailures))])
        let temporary = path + ".tmp"
        do {
            try (lines.joined(separator: "\n") + "\n").write(
                toFile: temporary, atomically: false, encoding: .utf8)
            // node_exporter runs as a user of its own: the file is readable by all whatever the
            // umask (the units set 0077). It holds counts only, never a contact or the token.
            guard chmod(temporary, 0o644) == 0, rename(temporary, path) == 0 else {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
