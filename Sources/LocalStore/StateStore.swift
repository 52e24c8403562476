public import ContactModel
import Foundation
import JSON
public import SQLite

/// syncd's own SQLite file, separate from the CRM: the link between each CRM row and remote
/// contact with the last-synced copy (the base of every three-way merge), an index of CRM
/// rows by phone, the remote listing of the current cycle, the plan, a journal of remote
/// writes in flight, run history, the conflict log and rejected contacts.
///
/// Working tables (snapshot, changes, plan) live on disk so a cycle's memory stays flat
/// however large the book.
public final class StateStore {
    public let database: Database
    public let path: String
    static let schemaVersion = 5

    public init(path: String) throws(LocalStoreError) {
        self.path = path
        do {
            database = try Database(path: path)
            try migrate()
        } catch let error as LocalStoreError {
            throw error
        } catch let error as DatabaseError {
            if error.isReadOnly { throw LocalStoreError(.unwritable, "the state file \(path) is read-only") }
            if error.isDiskFull { throw LocalStoreError(.unwritable, "the disk holding \(path) is full") }
            throw LocalStoreError(.unwritable, "cannot use the state file \(path): \(error.message)")
        } catch {
            throw LocalStoreError(.other, "cannot use the state file \(path): \(error)")
        }
    }

    /// Opens an existing state file only to read it, as `syncd check` does: no migration,
    /// no switch to WAL, so the file is left exactly as it was.
    public init(readingOnly path: String) throws(LocalStoreError) {
        self.path = path
        do {
            database = try Database(
                path: path, options: .init(readOnly: true, create: false, walMode: false))
            _ = try database.first("SELECT count(*) FROM sqlite_master")
        } catch {
            throw LocalStoreError(.other, "cannot read the state file \(path): \(error)")
        }
    }

    private func migrate() throws {
        let version = try database.first("PRAGMA user_version")?.int(0) ?? 0
        guard version < Self.schemaVersion else { return }
        try database.transaction(.immediate) {
            let linkColumns = try database.query("PRAGMA table_info(links)").compactMap { $0.string(1) }
            if !linkColumns.isEmpty && !linkColumns.contains("listed_item") {
                try database.execute("ALTER TABLE links ADD COLUMN listed_item INTEGER")
            }
            let journalColumns = try database.query("PRAGMA table_info(journal)").compactMap { $0.string(1) }
            if !journalColumns.isEmpty && !journalColumns.contains("contact") {
                try database.execute("ALTER TABLE journal ADD COLUMN contact TEXT")
            }
            try database.execute(
                """
                CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS links (
                    link_id INTEGER PRIMARY KEY,
                    local_key TEXT UNIQUE,
                    remote_id TEXT UNIQUE,
                    phone TEXT NOT NULL,
                    base TEXT,
                    remote_hash INTEGER,
                    remote_updated_at INTEGER,
                    state TEXT NOT NULL DEFAULT 'linked',
                    synced_at INTEGER NOT NULL,
                    listed_item INTEGER);
                CREATE INDEX IF NOT EXISTS links_phone ON links (phone);
                CREATE TABLE IF NOT EXISTS local_index (local_key TEXT PRIMARY KEY, phone TEXT, hash INTEGER NOT NULL, problem TEXT);
                CREATE INDEX IF NOT EXISTS local_index_phone ON local_index (phone);
                CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, phone TEXT NOT NULL,
                    local_key TEXT, remote_id TEXT, created_at INTEGER NOT NULL, contact TEXT);
                CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, finished_at INTEGER,
                    outcome TEXT, summary TEXT, error TEXT);
                CREATE TABLE IF NOT EXISTS conflicts (id INTEGER PRIMARY KEY, run_id INTEGER, phone TEXT NOT NULL, field TEXT NOT NULL,
                    base TEXT, local TEXT, remote TEXT, winner TEXT NOT NULL, reason TEXT, at INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS rejected (side TEXT NOT NULL, ref TEXT NOT NULL, phone TEXT, reason TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 1, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, PRIMARY KEY (side, ref));
                CREATE TABLE IF NOT EXISTS row_notes (local_key TEXT PRIMARY KEY, phone TEXT, note TEXT NOT NULL, at INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS listing_rows (remote_id TEXT PRIMARY KEY, phone TEXT NOT NULL, hash INTEGER NOT NULL,
                    updated_at INTEGER, contact TEXT NOT NULL, partial INTEGER NOT NULL, read_in_full INTEGER NOT NULL,
                    pristine INTEGER NOT NULL, page INTEGER);
                CREATE TABLE IF NOT EXISTS listing_seen (remote_id TEXT PRIMARY KEY, page INTEGER NOT NULL);
                PRAGMA user_version = \(Self.schemaVersion);
                """)
        }
    }

    // MARK: - Meta

    public func meta(_ name: String) -> String? {
        (try? database.first("SELECT value FROM meta WHERE name = ?", [.text(name)]))??.string(0)
    }

    public func setMeta(_ name: String, _ value: String) throws {
        try database.run(
            "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [.text(name), .text(value)])
    }

    /// A stable id for this state file, naming it in the CRM's change-capture tables.
    public func consumerID() throws -> String {
        if let existing = meta("consumer_id") { return existing }
        let id = "syncd-" + UUID().uuidString.lowercased().prefix(13)
        try setMeta("consumer_id", String(id))
        return String(id)
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try database.transaction(.immediate, body)
    }
}

// MARK: - Links

/// The pairing of a CRM row and a remote contact, with what they last agreed on.
public struct Link: Sendable, Equatable {
    public enum State: String, Sendable {
        case linked
        /// The CRM row was deleted and the delete was not sent on.
        case localDeleted = "local_deleted"
        /// The remote contact was deleted and the delete was not applied locally.
        case remoteDeleted = "remote_deleted"
        /// A remote contact left behind when its phone changed on a vendor that cannot change
        /// phones: reported once, then never synced again.
        case detached
    }

    public var id: Int64
    public var localKey: String?
    public var remoteID: String?
    public var phone: String
    public var base: Contact?
    public var remoteHash: Int64?
    public var remoteUpdatedAt: Timestamp?
    public var state: State
    /// The fingerprint of the vendor's listed item that `remoteHash` was taken from: the
    /// same bytes listed again mean the contact has not changed. Saved only with that hash;
    /// any other save forgets it. Not read back into a `Link`.
    public var listedItem: Int64?

    public init(
        id: Int64 = 0, localKey: String?, remoteID: String?, phone: String, base: Contact?,
        remoteHash: Int64?, remoteUpdatedAt: Timestamp?, state: State = .linked, listedItem: Int64? = nil
    ) {
        self.id = id
        self.localKey = localKey
        self.remoteID = remoteID
        self.phone = phone
        self.base = base
        self.remoteHash = remoteHash
        self.remoteUpdatedAt = remoteUpdatedAt
        self.state = state
        self.listedItem = listedItem
    }
}

extension Link {
    /// Whether the link stands for a person now: linked, with a CRM row. A contact left
    /// behind when its phone could not change, or a tombstone, speaks for nobody.
    public var speaksForSomebody: Bool { state == .linked && localKey != nil }
}

extension StateStore {
    static let linkColumns =
        "link_id, local_key, remote_id, phone, base, remote_hash, remote_updated_at, state"
    /// The same columns of a `links` table aliased `l`, for joins.
    static let joinedLinkColumns =
        "l.link_id, l.local_key, l.remote_id, l.phone, l.base, l.remote_hash, l.remote_updated_at, l.state"

    static func link(_ row: Row, offset: Int = 0) -> Link? {
        guard let id = row.int64(offset) else { return nil }
        return Link(
            id: id, localKey: row.string(offset + 1), remoteID: row.string(offset + 2),
            phone: row.string(offset + 3) ?? "",
            base: row.string(offset + 4).flatMap { try? JSON.parse($0) }.flatMap(Contact.init(json:)),
            remoteHash: row.int64(offset + 5),
            remoteUpdatedAt: row.int64(offset + 6).map(Timestamp.init(millisecondsSinceEpoch:)),
            state: Link.State(rawValue: row.string(offset + 7) ?? "") ?? .linked)
    }

    public func link(localKey: String) throws -> Link? {
        try database.first("SELECT \(Self.linkColumns) FROM links WHERE local_key = ?", [.text(localKey)])
            .flatMap { Self.link($0) }
    }

    public func link(remoteID: String) throws -> Link? {
        try database.first("SELECT \(Self.linkColumns) FROM links WHERE remote_id = ?", [.text(remoteID)])
            .flatMap { Self.link($0) }
    }

    public func link(id: Int64) throws -> Link? {
        try database.first("SELECT \(Self.linkColumns) FROM links WHERE link_id = ?", [.integer(id)]).flatMap
        { Self.link($0) }
    }

    public func links(phone: String) throws -> [Link] {
        try database.query(
            "SELECT \(Self.linkColumns) FROM links WHERE phone = ? ORDER BY link_id", [.text(phone)]
        ).compactMap { Self.link($0) }
    }

    /// Inserts or replaces a link; returns its id. A CRM row is followed by one link at a
    /// time: a link saved with a row's key takes it from any other (a person who moved rows
    /// within one cycle, while the row they left now holds somebody else).
    @discardableResult
    public func save(_ link: Link, at now: Timestamp) throws -> Int64 {
        if let key = link.localKey {
            try database.run(
                "UPDATE links SET local_key = NULL WHERE local_key = ? AND link_id != ?",
                [.text(key), .integer(link.id)])
        }
        let values: [DatabaseValue] = [
            DatabaseValue(link.localKey), DatabaseValue(link.remoteID), .text(link.phone),
            DatabaseValue(link.base?.json.text), DatabaseValue(link.remoteHash),
            DatabaseValue(link.remoteUpdatedAt?.millisecondsSinceEpoch),
            .text(link.state.rawValue), .integer(now.millisecondsSinceEpoch), DatabaseValue(link.listedItem),
        ]
        if link.id > 0 {
            try database.run(
                "UPDATE links SET local_key = ?, remote_id = ?, phone = ?, base = ?, remote_hash = ?, remote_updated_at = ?, state = ?, synced_at = ?, listed_item = ? WHERE link_id = ?",
                values + [.integer(link.id)])
            return link.id
        }
        try database.run(
            "INSERT INTO links (local_key, remote_id, phone, base, remote_hash, remote_updated_at, state, synced_at, listed_item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values)
        return database.lastInsertRowID
    }

    public func deleteLink(id: Int64) throws {
        try database.run("DELETE FROM links WHERE link_id = ?", [.integer(id)])
    }

    public func linkCount() throws -> Int {
        try database.first("SELECT count(*) FROM links WHERE state = 'linked'")?.int(0) ?? 0
    }
}

// MARK: - The CRM row index

extension StateStore {
    /// What a CRM row held when syncd last handled it: its phone and a hash of its contact
    /// (or of its problem), so a full scan can tell which rows changed.
    public func indexedHash(localKey: String) throws -> Int64? {
        try database.first("SELECT hash FROM local_index WHERE local_key = ?", [.text(localKey)])?.int64(0)
    }

    public func index(localKey: String, phone: String?, hash: Int64, problem: String?) throws {
        try database.run(
            "INSERT INTO local_index (local_key, phone, hash, problem) VALUES (?, ?, ?, ?) ON CONFLICT (local_key) DO UPDATE SET phone = excluded.phone, hash = excluded.hash, problem = excluded.problem",
            [.text(localKey), DatabaseValue(phone), .integer(hash), DatabaseValue(problem)])
    }

    public func unindex(localKey: String) throws {
        try database.run("DELETE FROM local_index WHERE local_key = ?", [.text(localKey)])
        try database.run("DELETE FROM row_notes WHERE local_key = ?", [.text(localKey)])
    }

    /// CRM rows with this phone that no link holds for this phone: rows changed this cycle (by
    /// their new phone; their own link, if any, followed another phone) and indexed rows that
    /// did not change.
    public func unlinkedLocalKeys(phone: String) throws -> [String] {
        try database.query(
            """
            SELECT local_key FROM local_changes c WHERE phone = ? AND deleted = 0 AND problem IS NULL
                AND NOT EXISTS (SELECT 1 FROM links l WHERE l.local_key = c.local_key AND l.phone = c.phone)
            UNION
            SELECT local_key FROM local_index i WHERE phone = ? AND problem IS NULL
                AND NOT EXISTS (SELECT 1 FROM links l WHERE l.local_key = i.local_key)
                AND NOT EXISTS (SELECT 1 FROM local_changes c2 WHERE c2.local_key = i.local_key)
            ORDER BY 1
            """,
            [.text(phone), .text(phone)]
        ).compactMap { $0.string(0) }
    }

    /// Every CRM row that holds `phone` now, readable or not, with its problem if it has one:
    /// rows changed this cycle and not deleted, and indexed rows that did not change. A row
    /// syncd cannot read but whose phone it can is still somebody with that number.
    public func localKeysHolding(phone: String) throws -> [(key: String, problem: String?)] {
        try database.query(
            """
            SELECT local_key, problem FROM local_changes WHERE phone = ? AND deleted = 0
                AND (problem IS NULL OR problem_kind = 'unreadable')
            UNION ALL
            SELECT local_key, problem FROM local_index i WHERE phone = ?
                AND NOT EXISTS (SELECT 1 FROM local_changes c WHERE c.local_key = i.local_key)
            ORDER BY 1
            """,
            [.text(phone), .text(phone)]
        ).compactMap { row in row.string(0).map { (key: $0, problem: row.string(1)) } }
    }

    /// Why the indexed CRM row under `key` could not be read when syncd last looked; `nil`
    /// when it read.
    public func indexedProblem(localKey: String) throws -> String? {
        try database.first("SELECT problem FROM local_index WHERE local_key = ?", [.text(localKey)])?.string(
            0)
    }

    public func indexedLocalKeys(_ body: (String) throws -> Void) throws {
        try database.forEachRow("SELECT local_key FROM local_index") { row in try body(row.string(0) ?? "") }
    }
}
