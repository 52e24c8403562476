import Configuration
import ContactModel
import Daemon
import Foundation
import JSON
import LocalStore
import SyncEngine
import Vendors

/// `syncd status` and `syncd conflicts`: read from the state file and the CRM's change log,
/// safe while the daemon runs (SQLite's WAL lets readers in during writes).
enum Status {
    static func run(config path: String, environment: [String: String], console: any Console) -> ExitCode {
        let configuration: SyncdConfiguration
        let state: StateStore?
        switch open(path, environment: environment, console: console) {
        case .success(let opened): (configuration, state) = opened
        case .failure(let code): return code
        }
        let vendor = configuration.remote.provider.rawValue
        console.out(
            "syncd status — \(configuration.local.table) in \(configuration.local.database) with \(vendor)")
        guard let state else {
            console.out("no sync has run yet (no state file at \(configuration.sync.state))")
            return .success
        }
        if let text = state.meta(SyncDaemon.stopReasonKey), let stopped = try? JSON.parse(text) {
            console.out(
                "syncd run stopped \(stopped["at"]?.string ?? "") (exit \(stopped["exit"]?.int ?? 0)): \(stopped["reason"]?.string ?? "")"
            )
        }
        let runs = (try? state.recentRuns(limit: 10)) ?? []
        console.out("last cycles:")
        if runs.isEmpty { console.out("  none yet") }
        // An unfinished run is running only while a syncd holds the state file's lock, and
        // only the newest can be; any other was killed mid-way.
        let someoneSyncs = (try? StateLock(statePath: configuration.sync.state)) == nil
        for (index, run) in runs.enumerated() {
            let unfinished = index == 0 && someoneSyncs ? "running" : "interrupted"
            let seconds =
                run.finished.map {
                    format(Double($0.millisecondsSinceEpoch - run.started.millisecondsSinceEpoch) / 1000)
                        + "s"
                } ?? "-"
            var line =
                "  \(run.started.iso8601(fractionalSeconds: false))  \(seconds.padded(8))\((run.outcome?.rawValue ?? unfinished).padded(12))"
            if let summary = run.summary { line += describe(summary, vendor: vendor) }
            if let error = run.error { line += "  error: \(error)" }
            console.out(line)
        }
        if let links = try? state.linkCount() {
            let cost = FullCycleCost(
                contacts: links, vendor: configuration.remote.provider,
                requestsPerMinute: configuration.remote.effectiveRequestsPerMinute)
            let pace =
                cost.secondsAtBudget.map {
                    ", at least \(FullCycleCost.describe($0)) at \(cost.requestsPerMinute ?? 0) a minute"
                } ?? ""
            console.out("full cycle: \(links) contacts linked, \(cost.requests) listing request(s)\(pace)")
            if let warning = cost.warning(interval: configuration.sync.intervalSeconds) {
                console.out("  warning: \(warning)")
            }
        }
        if let progress = state.listingProgress() {
            console.out(
                "listing in progress: goes on from page \(progress.nextPage + 1) (started \(progress.startedAt.iso8601(fractionalSeconds: false)))"
            )
        }
        if let consumer = state.meta("consumer_id"),
            let crm = try? CRMDatabase(settings: configuration.local, consumer: consumer, readOnly: true)
        {
            console.out("pending CRM changes: \(crm.pendingChangeCount())")
            let keyless = crm.rowsWithoutKey()
            if keyless > 0 {
                console.out(
                    "CRM rows without a key: \(keyless) — never synced (a NULL \(configuration.local.key ?? "primary key") cannot tell one person from another)"
                )
            }
        }
        let conflicts = (try? state.conflicts(limit: 1000)) ?? []
        console.out(
            "conflicts logged: \(conflicts.count)\(conflicts.first.map { " (latest \($0.at.iso8601(fractionalSeconds: false)): \($0.field) of \($0.phone), \($0.winner) won)" } ?? "") — see 'syncd conflicts'"
        )
        let notes = (try? state.rowNotes(limit: 50)) ?? []
        if !notes.isEmpty {
            console.out("notes on CRM rows: \((try? state.rowNoteCount()) ?? notes.count)")
            for note in notes { console.out("  \(note.phone ?? "?")  CRM row \(note.key): \(note.note)") }
        }
        let rejected = (try? state.rejections()) ?? []
        console.out("contacts not synced: \(rejected.count)")
        for rejection in rejected.prefix(50) {
            let side =
                rejection.side == "crm"
                ? "CRM row \(rejection.ref)" : "\(vendor) refused (CRM row \(rejection.ref))"
            console.out(
                "  \(rejection.phone ?? "?")  \(side): \(rejection.reason) — \(rejection.attempts) attempt(s), last \(rejection.lastAt.iso8601(fractionalSeconds: false))"
            )
        }
        return .success
    }

    static func conflicts(
        config path: String, limit: Int, environment: [String: String], console: any Console
    ) -> ExitCode {
        let configuration: SyncdConfiguration
        let state: StateStore?
        switch open(path, environment: environment, console: console) {
        case .success(let opened): (configuration, state) = opened
        case .failure(let code): return code
        }
        let vendor = configuration.remote.provider.rawValue
        let conflicts = (try? state?.conflicts(limit: limit)) ?? []
        if conflicts.isEmpty { console.out("no conflicts logged") }
        for conflict in conflicts {
            console.out(
                "\(conflict.at.iso8601(fractionalSeconds: false))  \(conflict.phone)  \(conflict.field): CRM \(quote(conflict.local)), \(vendor) \(quote(conflict.remote)), last synced \(quote(conflict.base)) — \(conflict.winner) won (\(conflict.reason ?? ""))"
            )
        }
        return .success
    }

    /// The config and the state file (`nil` before the first sync), or the exit code that
    /// says why not: a state file that cannot be used gets the code `--once` gives it.
    private static func open(_ path: String, environment: [String: String], console: any Console) -> Result<
        (SyncdConfiguration, StateStore?), ExitCode
    > {
        let configuration: SyncdConfiguration
        do {
            configuration = try SyncdConfiguration.load(
                path: path, environment: environment, needsToken: false)
        } catch {
            console.err("syncd: configuration: \(error)")
            return .failure(.configuration)
        }
        guard FileManager.default.fileExists(atPath: configuration.sync.state) else {
            return .success((configuration, nil))
        }
        do {
            return .success((configuration, try StateStore(path: configuration.sync.state)))
        } catch {
            let failure = SyncEngine.storageError(error)
            console.err("syncd: \(failure.message)")
            return .failure(Syncd.exitCode(for: failure))
        }
    }

    private static func describe(_ summary: JSON, vendor: String) -> String {
        func side(_ name: String) -> String {
            let part = summary[name]
            return
                "+\(part?["created"]?.int ?? 0) ~\(part?["updated"]?.int ?? 0) -\(part?["deleted"]?.int ?? 0)"
        }
        return
            "CRM \(side("local")); \(vendor) \(side("remote")); conflicts \(summary["conflicts"]?.int ?? 0); rejected \(summary["rejected"]?.int ?? 0); requests \(summary["requests"]?.int ?? 0)"
    }

    private static func format(_ seconds: Double) -> String { String(Double(Int(seconds * 100)) / 100) }
    private static func quote(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "—" }
}
