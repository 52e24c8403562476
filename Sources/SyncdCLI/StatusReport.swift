import Configuration
import ContactModel
import Daemon
import Foundation
import JSON
import LocalStore
import SyncEngine
import Vendors

/// What `syncd status` knows, read once and then printed as text or as JSON, so the two
/// forms cannot disagree.
struct StatusReport {
    /// One cycle from the run history.
    struct Run {
        var started: Timestamp
        var finished: Timestamp?
        /// `synced`, `partial`, `deferred`, `failed`, or for an unfinished run `running` or
        /// `interrupted`.
        var outcome: String
        var summary: JSON?
        var error: String?
    }

    /// A contact that is not synced, with who refused it and why.
    struct NotSynced {
        var phone: String?
        /// `crm`, `vendor`, or `clash` (two people, one phone).
        var refusedBy: String
        var crmRow: String?
        var vendorID: String?
        var reason: String
        var attempts: Int
        var lastAt: Timestamp
    }

    var configuration: SyncdConfiguration
    var hasState = false
    var runs: [Run] = []
    var fullCycle: FullCycleCost?
    var listing: (nextPage: Int, startedAt: Timestamp)?
    var pendingChanges: Int?
    var rowsWithoutKey: Int?
    var conflictCount = 0
    var latestConflict: LoggedConflict?
    var noteCount = 0
    var notes: [(key: String, phone: String?, note: String)] = []
    var notSynced: [NotSynced] = []
    /// Why `syncd run` last stopped by itself (a refused credential), until it runs again.
    var stopped: JSON?

    var vendor: String { configuration.remote.provider.rawValue }

    /// Reads everything from the state file (absent before the first sync) and the CRM's
    /// change log.
    init(configuration: SyncdConfiguration, state: StateStore?) {
        self.configuration = configuration
        guard let state else { return }
        hasState = true
        stopped = state.meta(SyncDaemon.stopReasonKey).flatMap { try? JSON.parse($0) }
        // An unfinished run is running only while a syncd holds the state file's lock, and
        // only the newest can be; any other was killed mid-way.
        let someoneSyncs = (try? StateLock(statePath: configuration.sync.state)) == nil
        runs = ((try? state.recentRuns(limit: 10)) ?? []).enumerated().map { index, run in
            Run(
                started: run.started, finished: run.finished,
                outcome: run.outcome?.rawValue ?? (index == 0 && someoneSyncs ? "running" : "interrupted"),
                summary: run.summary, error: run.error)
        }
        if let links = try? state.linkCount() {
            fullCycle = FullCycleCost(
                contacts: links, vendor: configuration.remote.provider,
                requestsPerMinute: configuration.remote.effectiveRequestsPerMinute)
        }
        listing = state.listingProgress()
        var crm: CRMDatabase?
        if let consumer = state.meta("consumer_id") {
            crm = try? CRMDatabase(settings: configuration.local, consumer: consumer, readOnly: true)
            pendingChanges = crm?.pendingChangeCount()
            rowsWithoutKey = crm?.rowsWithoutKey()
        }
        let conflicts = (try? state.conflicts(limit: 1000)) ?? []
        conflictCount = conflicts.count
        latestConflict = conflicts.first
        notes = (try? state.rowNotes(limit: 50)) ?? []
        noteCount = (try? state.rowNoteCount()) ?? notes.count
        let rejections = (try? state.rejections()) ?? []
        let rows = (try? crm?.rows(keys: rejections.map(\.ref))) ?? [:]
        notSynced = rejections.map { rejection in
            // A refusal is recorded under the CRM row's key, or, for a vendor contact with no
            // row yet, the vendor's id (or only the phone).
            let ref = rejection.ref
            let isRow = rows[ref] != nil || (try? state.link(localKey: ref)) != nil
            let isVendorID =
                !isRow && ((try? state.link(remoteID: ref)) != nil || PhoneNumber(e164: ref) == nil)
            return NotSynced(
                phone: rejection.phone, refusedBy: rejection.side == "remote" ? "vendor" : rejection.side,
                crmRow: isRow ? ref : nil, vendorID: isVendorID ? ref : nil, reason: rejection.reason,
                attempts: rejection.attempts, lastAt: rejection.lastAt)
        }
    }

    // MARK: - Text

    var lines: [String] {
        let local = configuration.local
        var lines = ["syncd status — \(local.table) in \(local.database) with \(vendor)"]
        guard hasState else {
            return lines + ["no sync has run yet (no state file at \(configuration.sync.state))"]
        }
        if let stopped {
            lines.append(
                "syncd run stopped \(stopped["at"]?.string ?? "") (exit \(stopped["exit"]?.int ?? 0)): \(stopped["reason"]?.string ?? "")"
            )
        }
        lines.append("last cycles:")
        if runs.isEmpty { lines.append("  none yet") }
        for run in runs {
            let seconds = Self.seconds(run).map { Self.format($0) + "s" } ?? "-"
            var line = "  \(Self.time(run.started))  \(seconds.padded(8))\(run.outcome.padded(12))"
            if let summary = run.summary { line += describe(summary) }
            if let error = run.error { line += "  error: \(error)" }
            lines.append(line)
        }
        if let cost = fullCycle {
            let pace =
                cost.secondsAtBudget.map {
                    ", at least \(FullCycleCost.describe($0)) at \(cost.requestsPerMinute ?? 0) a minute"
                } ?? ""
            lines.append(
                "full cycle: \(cost.contacts) contacts linked, \(cost.requests) listing request(s)\(pace)")
            if let warning = cost.warning(interval: configuration.sync.intervalSeconds) {
                lines.append("  warning: \(warning)")
            }
        }
        if let listing {
            lines.append(
                "listing in progress: goes on from page \(listing.nextPage + 1) (started \(Self.time(listing.startedAt)))"
            )
        }
        if let pendingChanges { lines.append("pending CRM changes: \(pendingChanges)") }
        if let rowsWithoutKey, rowsWithoutKey > 0 {
            lines.append(
                "CRM rows without a key: \(rowsWithoutKey) — never synced (a NULL \(local.key ?? "primary key") cannot tell one person from another)"
            )
        }
        let latest =
            latestConflict.map {
                " (latest \(Self.time($0.at)): \($0.field) of \($0.phone), \($0.winner) won)"
            } ?? ""
        lines.append(
            "conflicts logged: \(conflictCount)\(latest) — see 'syncd conflicts --config \(configuration.path)'"
        )
        if !notes.isEmpty {
            lines.append("notes on CRM rows: \(noteCount)")
            for note in notes { lines.append("  \(note.phone ?? "?")  CRM row \(note.key): \(note.note)") }
        }
        lines.append("contacts not synced: \(notSynced.count)")
        for item in notSynced.prefix(50) {
            let whose =
                item.crmRow.map { "CRM row \($0)" } ?? item.vendorID.map { "\(vendor) contact \($0)" }
            let side =
                item.refusedBy == "clash"
                ? "phone clash, \(whose ?? "CRM")"
                : item.refusedBy == "crm"
                    ? (whose ?? "CRM") : "\(vendor) refused" + (whose.map { " (\($0))" } ?? "")
            lines.append(
                "  \(item.phone ?? "?")  \(side): \(item.reason) — \(item.attempts) attempt(s), last \(Self.time(item.lastAt))"
            )
        }
        return lines
    }

    private func describe(_ summary: JSON) -> String {
        func side(_ name: String) -> String {
            let part = summary[name]
            return
                "+\(part?["created"]?.int ?? 0) ~\(part?["updated"]?.int ?? 0) -\(part?["deleted"]?.int ?? 0)"
        }
        return
            "CRM \(side("local")); \(vendor) \(side("remote")); conflicts \(summary["conflicts"]?.int ?? 0); rejected \(summary["rejected"]?.int ?? 0); requests \(summary["requests"]?.int ?? 0)"
    }

    // MARK: - JSON

    /// The form `syncd status --json` prints; the README lists every field.
    var json: JSON {
        let local = configuration.local
        func changes(_ part: JSON?) -> JSON {
            [
                "created": .int(part?["created"]?.int ?? 0), "updated": .int(part?["updated"]?.int ?? 0),
                "deleted": .int(part?["deleted"]?.int ?? 0),
            ]
        }
        let runs: [JSON] = runs.map { run in
            [
                "started_at": .string(Self.time(run.started)),
                "finished_at": JSON(run.finished.map(Self.time)),
                "seconds": Self.seconds(run).map { .double(Double(Self.format($0)) ?? $0) } ?? .null,
                "outcome": .string(run.outcome),
                "crm": run.summary.map { changes($0["local"]) } ?? .null,
                "vendor": run.summary.map { changes($0["remote"]) } ?? .null,
                "conflicts": run.summary.map { .int($0["conflicts"]?.int ?? 0) } ?? .null,
                "rejected": run.summary.map { .int($0["rejected"]?.int ?? 0) } ?? .null,
                "requests": run.summary.map { .int($0["requests"]?.int ?? 0) } ?? .null,
                "error": JSON(run.error),
            ]
        }
        let fullCycle: JSON =
            self.fullCycle.map { cost in
                [
                    "linked_contacts": .int(cost.contacts), "requests": .int(cost.requests),
                    "requests_per_minute": cost.requestsPerMinute.map(JSON.int) ?? .null,
                    "seconds_at_budget": cost.secondsAtBudget.map(JSON.double) ?? .null,
                    "warning": JSON(cost.warning(interval: configuration.sync.intervalSeconds)),
                ]
            } ?? .null
        let listing: JSON =
            self.listing.map {
                ["next_page": .int($0.nextPage + 1), "started_at": .string(Self.time($0.startedAt))]
            } ?? .null
        let latest: JSON =
            latestConflict.map {
                [
                    "at": .string(Self.time($0.at)), "phone": .string($0.phone), "field": .string($0.field),
                    "winner": .string($0.winner),
                ]
            } ?? .null
        return [
            "config": .string(configuration.path), "vendor": .string(vendor),
            "crm": [
                "database": .string(local.database), "table": .string(local.table),
                "pending_changes": pendingChanges.map(JSON.int) ?? .null,
                "rows_without_key": rowsWithoutKey.map(JSON.int) ?? .null,
            ],
            "state_file": .string(configuration.sync.state), "synced_before": .bool(hasState),
            "stopped": stopped ?? .null, "runs": .array(runs), "full_cycle": fullCycle,
            "listing_in_progress": listing,
            "conflicts": ["count": .int(conflictCount), "latest": latest],
            "row_notes": [
                "count": .int(noteCount),
                "items": .array(
                    notes.map {
                        ["phone": JSON($0.phone), "crm_row": .string($0.key), "note": .string($0.note)]
                    }),
            ],
            "not_synced": [
                "count": .int(notSynced.count),
                "items": .array(
                    notSynced.map {
                        [
                            "phone": JSON($0.phone), "refused_by": .string($0.refusedBy),
                            "crm_row": JSON($0.crmRow), "vendor_id": JSON($0.vendorID),
                            "reason": .string($0.reason), "attempts": .int($0.attempts),
                            "last_at": .string(Self.time($0.lastAt)),
                        ]
                    }),
            ],
        ]
    }

    // MARK: - Formats

    private static func time(_ time: Timestamp) -> String { time.iso8601(fractionalSeconds: false) }

    private static func seconds(_ run: Run) -> Double? {
        run.finished.map { Double($0.millisecondsSinceEpoch - run.started.millisecondsSinceEpoch) / 1000 }
    }

    private static func format(_ seconds: Double) -> String { String(Double(Int(seconds * 100)) / 100) }
}
