import Configuration
import ContactModel
import Foundation
import LocalStore

/// Finding what changed in the CRM since the last cycle.
extension SyncCycle {
    /// The first cycle (or one after the triggers went missing) scans the whole table;
    /// later ones read only the rows the triggers captured.
    func collectLocalChanges() throws(SyncError) {
        try SyncEngine.storage {
            fullScan = state.meta("initial_scan_done") == nil
            if options.dryRun {
                if !(try crm.captureIsInstalled()) { fullScan = true }
            } else if try crm.installCapture() {
                fullScan = true
            }
            coveredSequence = try crm.latestSequence()
            try state.transaction {
                if fullScan { try scanEverything() } else { try readCapturedChanges() }
            }
        }
    }

    private func scanEverything() throws {
        var seen = Set<String>()
        let scanTime = now()
        try crm.scan { row in
            seen.insert(row.key)
            // A row not yet linked always counts, so an interrupted first sync still
            // considers it on the next try.
            let unchanged = (try state.indexedHash(localKey: row.key)) == hash(row)
            let linked = try state.link(localKey: row.key) != nil
            if !unchanged || !linked {
                // A rescan cannot tell an edit from a row deleted and inserted again under the
                // same key, so a phone that no longer matches the link is another person.
                try state.storeLocalChange(change(row, at: row.updatedAt ?? scanTime, replaced: true))
            }
        }
        var gone: [String] = []
        try state.indexedLocalKeys { key in if !seen.contains(key) { gone.append(key) } }
        for key in gone {
            try state.storeLocalChange(
                LocalChange(
                    key: key, contact: nil, problem: nil, rawPhone: nil, changedAt: scanTime, deleted: true))
        }
    }

    private func readCapturedChanges() throws {
        let captured = try crm.changes(
            after: try crm.acknowledgedSequence(), upTo: coveredSequence,
            skippingOwn: try state.runsEndedCleanlySinceLastSync(current: runID))
        var keys = captured.map(\.key)
        // Rows the vendor rejected are tried again each cycle (up to a cap); a phone clash
        // until it clears.
        for rejection in try state.rejections()
        where
            (rejection.side == "remote" && rejection.attempts < 5
            || rejection.side == "clash" && readsWholeListing)
            && !keys.contains(rejection.ref)
        {
            keys.append(rejection.ref)
        }
        let capturedAt = Dictionary(
            captured.map { ($0.key, $0.capturedAt) }, uniquingKeysWith: { _, last in last })
        let replaced = Set(captured.filter(\.replaced).map(\.key))
        let rows = try crm.rows(keys: keys)
        for key in keys {
            let at = capturedAt[key] ?? nil
            guard let row = rows[key] else {
                if try state.link(localKey: key) != nil || (try state.indexedHash(localKey: key)) != nil {
                    try state.storeLocalChange(
                        LocalChange(
                            key: key, contact: nil, problem: nil, rawPhone: nil, changedAt: at ?? now(),
                            deleted: true))
                }
                continue
            }
            // syncd's own writes, and edits that change nothing syncd maps, come back
            // unchanged against the index: nothing to do.
            if (try state.indexedHash(localKey: key)) == hash(row), (try state.link(localKey: key)) != nil {
                continue
            }
            try state.storeLocalChange(
                change(row, at: row.updatedAt ?? at ?? now(), replaced: replaced.contains(key)))
        }
    }

    func change(_ row: LocalRow, at: Timestamp?, replaced: Bool = false) -> LocalChange {
        if let raw = row.unreadableUpdatedAt { noteUnreadableTime(key: row.key, raw) }
        noteExtension(row)
        switch row.contact {
        case .success(let contact):
            return LocalChange(
                key: row.key, contact: contact, problem: nil, rawPhone: contact.phone.e164, changedAt: at,
                deleted: false, replaced: replaced)
        case .failure(let problem):
            return LocalChange(
                key: row.key, contact: nil, problem: problem, rawPhone: problem.phone ?? problem.rawPhone,
                changedAt: at, deleted: false, replaced: replaced)
        }
    }

    /// A phone's extension is dropped (no vendor keeps one); `syncd status` lists the rows.
    private func noteExtension(_ row: LocalRow) {
        guard !options.dryRun else { return }
        let phone = try? row.contact.get().phone.e164
        let note = row.droppedExtension.map {
            "extension \($0) dropped from the phone (vendors keep no extensions)"
        }
        try? state.noteRow(row.key, phone: phone, note: note, at: now())
    }

    /// An `updated_at` that is no time counts as unknown (the capture time stands in); the
    /// first few rows are named once per cycle.
    private func noteUnreadableTime(key: String, _ raw: String) {
        unreadableTimes += 1
        if unreadableTimes <= 5 {
            report.notes.append(
                "CRM row \(key): updated_at '\(raw.prefix(40))' is not a time; taken as unknown")
        } else if unreadableTimes == 6 {
            report.notes.append("more CRM rows have an updated_at that is not a time (see 'syncd explain')")
        }
    }

    /// What the index keeps for a row: its contact's hash, or its problem's.
    func hash(_ row: LocalRow) -> Int64 {
        switch row.contact {
        case .success(let contact): return contact.contentHash
        case .failure(let problem): return Self.problemHash(problem.reason)
        }
    }

    /// What the index keeps for a row that cannot be read.
    static func problemHash(_ reason: String) -> Int64 { StableHash.of("problem:\(reason)") }
}
