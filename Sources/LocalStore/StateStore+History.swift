public import ContactModel
public import JSON
import SQLite

/// A remote write recorded before it is sent, so a crash between sending and recording the
/// answer is resolved by looking, never by sending blindly again.
public struct JournalEntry: Sendable {
    public enum Kind: String, Sendable {
        /// A contact created on the vendor (its answer carries the new id).
        case create
    }

    public var id: Int64
    public var kind: Kind
    public var phone: String
    public var localKey: String?
    public var remoteID: String?
    /// The contact as syncd meant to create it, opt-in included: after an interruption it is
    /// what the vendor's copy is compared with, so a default the vendor gave a contact syncd
    /// created (SuperWaba's "not opted in") is never taken for the person's answer.
    public var contact: Contact?
}

/// How a sync cycle ended.
public enum RunOutcome: String, Sendable {
    case synced
    /// Synced, but some contacts were refused by one side.
    case partial
    /// Stopped for the rate limit, progress saved; the next cycle goes on.
    case deferred
    case failed
}

/// A rejected contact, kept with its reason until it syncs.
public struct Rejection: Sendable {
    public var side: String
    public var ref: String
    public var phone: String?
    public var reason: String
    public var attempts: Int
    public var lastAt: Timestamp
}

/// One conflict from the log.
public struct LoggedConflict: Sendable {
    public var phone: String
    public var field: String
    public var base: String?
    public var local: String?
    public var remote: String?
    public var winner: String
    public var reason: String?
    public var at: Timestamp
}

extension StateStore {
    // MARK: - Journal
    // Ids are never reused (AUTOINCREMENT): they name idempotency keys, and a key reused for
    // another contact would replay another contact's answer.

    @discardableResult
    public func journal(
        kind: JournalEntry.Kind, phone: String, localKey: String?, remoteID: String?, contact: Contact?,
        at now: Timestamp
    ) throws -> Int64 {
        try database.run(
            "INSERT INTO journal (kind, phone, local_key, remote_id, created_at, contact) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(kind.rawValue), .text(phone), DatabaseValue(localKey), DatabaseValue(remoteID),
                .integer(now.millisecondsSinceEpoch), DatabaseValue(contact?.json.text),
            ])
        return database.lastInsertRowID
    }

    public func clearJournal(id: Int64) throws {
        try database.run("DELETE FROM journal WHERE id = ?", [.integer(id)])
    }

    public func pendingJournal() throws -> [JournalEntry] {
        try database.query("SELECT id, kind, phone, local_key, remote_id, contact FROM journal ORDER BY id")
            .map {
                row in
                let id = row.int64(0) ?? 0
                guard let kind = row.string(1).flatMap(JournalEntry.Kind.init(rawValue:)) else {
                    throw LocalStoreError(.other, "journal entry \(id) in \(path) has an unknown kind")
                }
                var contact: Contact?
                if let text = row.string(5) {
                    guard let json = try? JSON.parse(text), let decoded = Contact(json: json) else {
                        throw LocalStoreError(
                            .other, "journal entry \(id) in \(path) holds a contact that cannot be read")
                    }
                    contact = decoded
                }
                return JournalEntry(
                    id: id, kind: kind, phone: row.string(2) ?? "", localKey: row.string(3),
                    remoteID: row.string(4),
                    contact: contact)
            }
    }

    // MARK: - Runs

    public func startRun(at now: Timestamp) throws -> Int64 {
        try database.run("INSERT INTO runs (started_at) VALUES (?)", [.integer(now.millisecondsSinceEpoch)])
        return database.lastInsertRowID
    }

    public func finishRun(id: Int64, at now: Timestamp, outcome: RunOutcome, summary: JSON, error: String?)
        throws
    {
        try database.run(
            "UPDATE runs SET finished_at = ?, outcome = ?, summary = ?, error = ? WHERE id = ?",
            [
                .integer(now.millisecondsSinceEpoch), .text(outcome.rawValue), .text(summary.text),
                DatabaseValue(error), .integer(id),
            ])
        // Keep a year of daily runs' worth of history, not forever.
        try database.run("DELETE FROM runs WHERE id <= (SELECT max(id) FROM runs) - 10000")
    }

    /// Whether every run since the last one that synced (but `current`) ended cleanly. Only
    /// then is each of syncd's own CRM writes since that sync known to be in the row index;
    /// a run killed (or failed) between writing a CRM row and indexing it leaves one that is
    /// not, and its own writes must be looked at again.
    public func runsEndedCleanlySinceLastSync(current: Int64?) throws -> Bool {
        try database.first(
            """
            SELECT count(*) FROM runs
            WHERE id > coalesce((SELECT max(id) FROM runs WHERE outcome IN ('synced', 'partial')), 0)
              AND id != ? AND (finished_at IS NULL OR outcome = 'failed')
            """, [.integer(current ?? -1)])?.int(0) == 0
    }

    /// The newest runs first: (started, finished, outcome, summary, error).
    public func recentRuns(limit: Int) throws -> [(
        started: Timestamp, finished: Timestamp?, outcome: RunOutcome?, summary: JSON?, error: String?
    )] {
        try database.query(
            "SELECT started_at, finished_at, outcome, summary, error FROM runs ORDER BY id DESC LIMIT ?",
            [.integer(Int64(limit))]
        ).map {
            (
                Timestamp(millisecondsSinceEpoch: $0.int64(0) ?? 0),
                $0.int64(1).map(Timestamp.init(millisecondsSinceEpoch:)),
                $0.string(2).flatMap(RunOutcome.init(rawValue:)),
                $0.string(3).flatMap { try? JSON.parse($0) }, $0.string(4)
            )
        }
    }

    // MARK: - Conflicts

    public func logConflict(_ conflict: FieldConflict, phone: String, runID: Int64?, at now: Timestamp) throws
    {
        try database.run(
            "INSERT INTO conflicts (run_id, phone, field, base, local, remote, winner, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                DatabaseValue(runID), .text(phone), .text(conflict.field.description),
                DatabaseValue(conflict.base), DatabaseValue(conflict.local),
                DatabaseValue(conflict.remote), .text(conflict.winner.rawValue), .text(conflict.reason),
                .integer(now.millisecondsSinceEpoch),
            ])
    }

    public func conflicts(limit: Int, phone: String? = nil) throws -> [LoggedConflict] {
        let filter = phone == nil ? "" : "WHERE phone = ?"
        return try database.query(
            "SELECT phone, field, base, local, remote, winner, reason, at FROM conflicts \(filter) ORDER BY id DESC LIMIT ?",
            (phone.map { [DatabaseValue.text($0)] } ?? []) + [.integer(Int64(limit))]
        ).map {
            LoggedConflict(
                phone: $0.string(0) ?? "", field: $0.string(1) ?? "", base: $0.string(2), local: $0.string(3),
                remote: $0.string(4),
                winner: $0.string(5) ?? "", reason: $0.string(6),
                at: Timestamp(millisecondsSinceEpoch: $0.int64(7) ?? 0))
        }
    }

    // MARK: - Rejected contacts

    public func reject(side: String, ref: String, phone: String?, reason: String, at now: Timestamp) throws {
        try database.run(
            """
            INSERT INTO rejected (side, ref, phone, reason, attempts, first_at, last_at) VALUES (?, ?, ?, ?, 1, ?, ?)
            ON CONFLICT (side, ref) DO UPDATE SET reason = excluded.reason, phone = excluded.phone, attempts = attempts + 1, last_at = excluded.last_at
            """,
            [
                .text(side), .text(ref), DatabaseValue(phone), .text(reason),
                .integer(now.millisecondsSinceEpoch), .integer(now.millisecondsSinceEpoch),
            ])
    }

    public func clearRejection(side: String, ref: String) throws {
        try database.run("DELETE FROM rejected WHERE side = ? AND ref = ?", [.text(side), .text(ref)])
    }

    public func rejections() throws -> [Rejection] {
        try database.query(
            "SELECT side, ref, phone, reason, attempts, last_at FROM rejected ORDER BY last_at DESC"
        ).map {
            Rejection(
                side: $0.string(0) ?? "", ref: $0.string(1) ?? "", phone: $0.string(2),
                reason: $0.string(3) ?? "", attempts: $0.int(4) ?? 1,
                lastAt: Timestamp(millisecondsSinceEpoch: $0.int64(5) ?? 0))
        }
    }
}

// MARK: - Notes on CRM rows

extension StateStore {
    /// Something syncd did to a CRM row's value on the way in that its owner should know
    /// (an extension dropped from a phone); `nil` clears it.
    public func noteRow(_ key: String, phone: String?, note: String?, at now: Timestamp) throws {
        guard let note else {
            try database.run("DELETE FROM row_notes WHERE local_key = ?", [.text(key)])
            return
        }
        try database.run(
            "INSERT INTO row_notes (local_key, phone, note, at) VALUES (?, ?, ?, ?) ON CONFLICT (local_key) DO UPDATE SET phone = excluded.phone, note = excluded.note, at = excluded.at",
            [.text(key), DatabaseValue(phone), .text(note), .integer(now.millisecondsSinceEpoch)])
    }

    public func rowNotes(limit: Int) throws -> [(key: String, phone: String?, note: String)] {
        try database.query(
            "SELECT local_key, phone, note FROM row_notes ORDER BY at DESC LIMIT ?", [.integer(Int64(limit))]
        ).map {
            ($0.string(0) ?? "", $0.string(1), $0.string(2) ?? "")
        }
    }

    public func rowNoteCount() throws -> Int {
        try database.first("SELECT count(*) FROM row_notes")?.int(0) ?? 0
    }
}
