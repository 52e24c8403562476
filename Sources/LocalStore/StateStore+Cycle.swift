public import ContactModel
public import JSON
import SQLite

/// A remote contact as listed in the current cycle.
public struct SnapshotRow: Sendable {
    public var remoteID: String
    public var contact: Contact
    public var hash: Int64
    public var updatedAt: Timestamp?
    /// A list item that lacks fields only the contact's own read has (SuperWaba's params).
    public var partial: Bool
    /// The vendor says it has not changed since it was created.
    public var unchangedSinceCreated = false
    /// The listed page it came from (for a listing resumed in a later cycle).
    public var page: Int?
    /// The fingerprint of the listed item it was decoded from (a listing that keeps items
    /// as bytes); `nil` for a contact read or written.
    public var listedItem: Int64?
    /// The contact's stored form, serialized once for both the hash and the row.
    var storedText: String

    /// A listed (or read) contact. Its hash covers `hashing`, the fields a list item carries,
    /// so the same contact listed or read in full hashes alike; by default, everything.
    public init(
        remoteID: String, contact: Contact, updatedAt: Timestamp?, hashing fields: FieldSet? = nil,
        partial: Bool = false
    ) {
        let bytes = contact.json.serialized
        var hash = StableHash.of(bytes)
        if let fields {
            let listed = contact.projected(onto: fields)
            if listed != contact { hash = listed.contentHash }
        }
        self.init(
            remoteID: remoteID, contact: contact, hash: hash, updatedAt: updatedAt, partial: partial,
            storedText: String(decoding: bytes, as: UTF8.self))
    }

    init(
        remoteID: String, contact: Contact, hash: Int64, updatedAt: Timestamp?, partial: Bool,
        storedText: String
    ) {
        self.remoteID = remoteID
        self.contact = contact
        self.hash = hash
        self.updatedAt = updatedAt
        self.partial = partial
        self.storedText = storedText
    }
}

/// A linked contact listed unchanged, with the fingerprint of the item it was listed as and
/// what its link held when they were compared.
public struct ListedItemMatch: Sendable {
    public var linkID: Int64
    public var fingerprint: Int64
    public var hash: Int64?
    public var updatedAt: Int64?

    public init(linkID: Int64, fingerprint: Int64, hash: Int64?, updatedAt: Int64?) {
        (self.linkID, self.fingerprint, self.hash, self.updatedAt) = (linkID, fingerprint, hash, updatedAt)
    }
}

/// A CRM row that changed since the last cycle.
public struct LocalChange: Sendable {
    public var key: String
    /// `nil` for a deleted row or one with a problem.
    public var contact: Contact?
    public var problem: LocalRowProblem?
    public var rawPhone: String?
    public var changedAt: Timestamp?
    public var deleted: Bool
    /// The key was (re)inserted, or the row was found by a rescan: a phone that differs from
    /// its link's means another person under a reused key, not an edit.
    public var replaced: Bool

    public init(
        key: String, contact: Contact?, problem: LocalRowProblem?, rawPhone: String?, changedAt: Timestamp?,
        deleted: Bool, replaced: Bool = false
    ) {
        self.key = key
        self.contact = contact
        self.problem = problem
        self.rawPhone = rawPhone
        self.changedAt = changedAt
        self.deleted = deleted
        self.replaced = replaced
    }
}

/// The working tables of one cycle: filled, read, and emptied at the start of the next.
///
/// They live in the TEMP schema: backed by a temporary file (so a 100,000-contact listing
/// does not sit in memory), but never journaled or synced to disk, and gone with the
/// connection — nothing in them needs to survive a crash.
extension StateStore {
    public func beginCycle() throws {
        try database.execute(
            """
            PRAGMA temp_store = FILE;
            CREATE TEMP TABLE IF NOT EXISTS remote_snapshot (remote_id TEXT PRIMARY KEY, phone TEXT NOT NULL, hash INTEGER NOT NULL,
                updated_at INTEGER, contact TEXT NOT NULL, partial INTEGER NOT NULL DEFAULT 0, read_in_full INTEGER NOT NULL DEFAULT 0,
                pristine INTEGER NOT NULL DEFAULT 0, page INTEGER, listed_item INTEGER);
            CREATE INDEX IF NOT EXISTS temp.remote_snapshot_phone ON remote_snapshot (phone);
            CREATE TEMP TABLE IF NOT EXISTS local_changes (local_key TEXT PRIMARY KEY, phone TEXT, contact TEXT, problem TEXT, problem_kind TEXT,
                changed_at INTEGER, deleted INTEGER NOT NULL, replaced INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX IF NOT EXISTS temp.local_changes_phone ON local_changes (phone);
            CREATE TEMP TABLE IF NOT EXISTS remote_gone (remote_id TEXT PRIMARY KEY);
            CREATE TEMP TABLE IF NOT EXISTS plan (id INTEGER PRIMARY KEY, phone TEXT NOT NULL, item TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS temp.plan_phone ON plan (phone);
            DELETE FROM remote_snapshot; DELETE FROM local_changes; DELETE FROM plan; DELETE FROM remote_gone;
            """)
    }

    // MARK: - Remote listing

    /// Stores one listed page, in one transaction. A contact listed twice keeps its later
    /// copy; `snapshotCount()` below the number stored tells that the listing repeated itself.
    public func storeSnapshot(_ rows: [SnapshotRow]) throws {
        let sql =
            "INSERT OR REPLACE INTO remote_snapshot (\(Self.snapshotColumns), listed_item) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        try database.transaction(.immediate) {
            for row in rows {
                try database.run(sql, Self.snapshotValues(row) + [DatabaseValue(row.listedItem)])
            }
        }
    }

    /// A stored snapshot row's columns, and its values in that order.
    static let snapshotColumns = "remote_id, phone, hash, updated_at, contact, partial, pristine, page"

    static func snapshotValues(_ row: SnapshotRow) -> [DatabaseValue] {
        [
            .text(row.remoteID), .text(row.contact.phone.e164), .integer(row.hash),
            DatabaseValue(row.updatedAt?.millisecondsSinceEpoch), .text(row.storedText),
            .integer(row.partial ? 1 : 0), .integer(row.unchangedSinceCreated ? 1 : 0),
            DatabaseValue(row.page.map(Int64.init)),
        ]
    }

    static func snapshotRow(_ row: Row, offset: Int = 0) -> SnapshotRow? {
        guard let id = row.string(offset), let text = row.string(offset + 4),
            let json = try? JSON.parse(text), let contact = Contact(json: json)
        else { return nil }
        return SnapshotRow(
            remoteID: id, contact: contact, hash: row.int64(offset + 2) ?? 0,
            updatedAt: row.int64(offset + 3).map(Timestamp.init(millisecondsSinceEpoch:)),
            partial: row.int(offset + 5) == 1,
            storedText: text)
    }

    public func snapshot(remoteID: String) throws -> SnapshotRow? {
        try database.first(
            "SELECT remote_id, phone, hash, updated_at, contact, partial FROM remote_snapshot WHERE remote_id = ?",
            [.text(remoteID)]
        ).flatMap { Self.snapshotRow($0) }
    }

    public func snapshots(phone: String) throws -> [SnapshotRow] {
        try database.query(
            "SELECT remote_id, phone, hash, updated_at, contact, partial, pristine FROM remote_snapshot WHERE phone = ? ORDER BY remote_id",
            [.text(phone)]
        ).compactMap { row in
            var snapshot = Self.snapshotRow(row)
            snapshot?.unchangedSinceCreated = row.int(6) == 1
            return snapshot
        }
    }

    public func snapshotCount() throws -> Int {
        try database.first("SELECT count(*) FROM remote_snapshot")?.int(0) ?? 0
    }

    /// Listed contacts that differ from what their link last saw, or that no link holds.
    public func forEachRemoteChange(_ body: (SnapshotRow, Link?) throws -> Void) throws {
        try database.forEachRow(
            """
            SELECT s.remote_id, s.phone, s.hash, s.updated_at, s.contact, s.partial, s.listed_item, \(Self.joinedLinkColumns)
            FROM remote_snapshot s LEFT JOIN links l ON l.remote_id = s.remote_id
            WHERE l.link_id IS NULL OR l.remote_hash IS NOT s.hash OR s.read_in_full = 1
            ORDER BY s.remote_id
            """
        ) { row in
            guard var snapshot = Self.snapshotRow(row) else { return }
            snapshot.listedItem = row.int64(6)
            try body(snapshot, Self.link(row, offset: 7))
        }
    }

    /// Replaces listed items with the contacts as read in full (their hash unchanged, for it
    /// covers the listed fields only); planning compares these with their links in full. The
    /// listed item's fingerprint stays only while the read shows the same hash and
    /// `updatedAt` as the item did (the contact did not change in between).
    public func storeReadInFull(_ rows: [SnapshotRow]) throws {
        let sql = """
            INSERT INTO remote_snapshot (\(Self.snapshotColumns), read_in_full) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
            ON CONFLICT (remote_id) DO UPDATE SET
                listed_item = CASE WHEN hash = excluded.hash AND updated_at IS excluded.updated_at THEN listed_item END,
                phone = excluded.phone, hash = excluded.hash, updated_at = excluded.updated_at,
                contact = excluded.contact, partial = excluded.partial, pristine = excluded.pristine, read_in_full = 1
            """
        try database.transaction(.immediate) {
            for row in rows { try database.run(sql, Self.snapshotValues(row)) }
        }
    }

    /// Listed items that lack fields only a read of the contact has, and that are new to
    /// syncd or changed since it last synced them (their hash or `updatedAt` moved). A contact
    /// syncd created in bulk (the answer had no time) needs no read while the vendor says it
    /// is unchanged since its creation: it holds what syncd sent.
    public func partialSnapshotsToRead() throws -> [String] {
        try database.query(
            """
            SELECT s.remote_id FROM remote_snapshot s LEFT JOIN links l ON l.remote_id = s.remote_id
            WHERE s.partial = 1 AND (l.link_id IS NULL
                OR (l.remote_updated_at IS NULL AND s.pristine = 0)
                OR (l.remote_updated_at IS NOT NULL AND (l.remote_hash IS NOT s.hash OR l.remote_updated_at IS NOT s.updated_at)))
            ORDER BY s.remote_id
            """
        ).compactMap { $0.string(0) }
    }

    /// What each linked vendor contact looked like when last synced: its listed hash and
    /// `updatedAt`, by id — what a listed contact is compared with before anything is stored.
    /// The id comes as its UTF-8 bytes, valid during the call: a book's worth of links is
    /// read without copying a string.
    public func forEachLinkedRemote(
        _ body: (
            _ id: UnsafeRawBufferPointer, _ linkID: Int64, _ hash: Int64?, _ updatedAt: Int64?,
            _ listedItem: Int64?
        ) -> Void
    ) throws {
        try database.forEachRowInPlace(
            "SELECT remote_id, link_id, remote_hash, remote_updated_at, listed_item FROM links WHERE state = 'linked' AND remote_id IS NOT NULL"
        ) { row in
            guard let link = row.int64(1) else { return }
            row.withText(0) { id in
                if let id { body(id, link, row.int64(2), row.int64(3), row.int64(4)) }
            }
        }
    }

    /// Remembers the listed item each of these links was found unchanged in — only while
    /// the link still holds the hash and `updatedAt` it was compared with.
    public func recordListedItems(_ items: [ListedItemMatch]) throws {
        guard !items.isEmpty else { return }
        try database.transaction(.immediate) {
            for item in items {
                try database.run(
                    "UPDATE links SET listed_item = ? WHERE link_id = ? AND remote_hash IS ? AND remote_updated_at IS ?",
                    [
                        .integer(item.fingerprint), .integer(item.linkID), DatabaseValue(item.hash),
                        DatabaseValue(item.updatedAt),
                    ])
            }
        }
    }

    /// The vendor ids of these links, by link.
    public func remoteIDs(linkIDs: [Int64]) throws -> [Int64: String] {
        var ids: [Int64: String] = [:]
        for chunk in stride(from: 0, to: linkIDs.count, by: 500) {
            let part = linkIDs[chunk..<min(chunk + 500, linkIDs.count)]
            try database.forEachRow(
                "SELECT link_id, remote_id FROM links WHERE link_id IN (\(part.map { _ in "?" }.joined(separator: ",")))",
                part.map { .integer($0) }
            ) { row in
                if let link = row.int64(0), let id = row.string(1) { ids[link] = id }
            }
        }
        return ids
    }

    // MARK: - A listing that spans cycles

    /// Keeps a listing cut short (deferred by the request budget) for the next cycle: the
    /// pages from `fromPage` (where the saved part ended) up to `nextPage`, what they held
    /// that differs from the last sync, and the ids they showed. Each stretch adds only its
    /// own pages, so a listing saved in a thousand stretches costs no more than one.
    public func saveListing(
        key: String, fromPage: Int, nextPage: Int, seen: [String: Int], startedAt: Timestamp
    ) throws {
        try database.transaction(.immediate) {
            if fromPage == 0 { try database.execute("DELETE FROM listing_rows; DELETE FROM listing_seen;") }
            try database.run(
                """
                INSERT OR REPLACE INTO listing_rows (remote_id, phone, hash, updated_at, contact, partial, read_in_full, pristine, page)
                SELECT remote_id, phone, hash, updated_at, contact, partial, read_in_full, pristine, page FROM temp.remote_snapshot
                WHERE page >= ? AND page < ?
                """, [.integer(Int64(fromPage)), .integer(Int64(nextPage))])
            for (id, page) in seen where page >= fromPage && page < nextPage {
                try database.run(
                    "INSERT OR REPLACE INTO listing_seen (remote_id, page) VALUES (?, ?)",
                    [.text(id), .integer(Int64(page))])
            }
            let progress: JSON = [
                "key": .string(key), "next_page": .int(nextPage),
                "started_at": .string(startedAt.iso8601(fractionalSeconds: true)),
            ]
            try setMeta("listing_progress", progress.text)
        }
    }

    /// A listing an earlier cycle left unfinished for `key`, loaded into this cycle: the
    /// page to go on from, when it began, and the ids already seen. One begun before
    /// `earliest` is not: its rows would stand for contacts as they were back then.
    public func resumeListing(key: String, startedAfter earliest: Timestamp) throws -> (
        nextPage: Int, startedAt: Timestamp, seen: [String: Int]
    )? {
        guard let (listed, next, started) = storedListing(), listed == key, started > earliest else {
            return nil
        }
        try database.execute(
            """
            INSERT OR REPLACE INTO temp.remote_snapshot (remote_id, phone, hash, updated_at, contact, partial, read_in_full, pristine, page)
            SELECT remote_id, phone, hash, updated_at, contact, partial, read_in_full, pristine, page FROM listing_rows
            """)
        var seen: [String: Int] = [:]
        try database.forEachRow("SELECT remote_id, page FROM listing_seen") { row in
            if let id = row.string(0) { seen[id] = row.int(1) ?? 0 }
        }
        return (next, started, seen)
    }

    /// Where an unfinished listing stands, for `syncd status`.
    public func listingProgress() -> (nextPage: Int, startedAt: Timestamp)? {
        storedListing().map { ($0.nextPage, $0.startedAt) }
    }

    private func storedListing() -> (key: String, nextPage: Int, startedAt: Timestamp)? {
        guard let text = meta("listing_progress"), let progress = try? JSON.parse(text),
            let key = progress["key"]?.string, let next = progress["next_page"]?.int,
            let started = progress["started_at"]?.string.flatMap(Timestamp.init(iso8601:))
        else { return nil }
        return (key, next, started)
    }

    public func clearListing() throws {
        guard meta("listing_progress") != nil else { return }
        try database.transaction(.immediate) {
            try database.execute(
                "DELETE FROM listing_rows; DELETE FROM listing_seen; DELETE FROM meta WHERE name = 'listing_progress';"
            )
        }
    }

    /// Records that a direct read found no contact with this id.
    public func markGone(remoteID: String) throws {
        try database.run("INSERT OR IGNORE INTO remote_gone (remote_id) VALUES (?)", [.text(remoteID)])
    }

    /// Linked contacts a direct read found gone this cycle.
    public func forEachLinkGoneFromVendor(_ body: (Link) throws -> Void) throws {
        let links = try database.query(
            "SELECT \(Self.linkColumns) FROM links l WHERE l.state = 'linked' AND l.remote_id IN (SELECT remote_id FROM remote_gone) ORDER BY l.link_id"
        ).compactMap { Self.link($0) }
        for link in links { try body(link) }
    }

    // MARK: - Local changes

    public func storeLocalChange(_ change: LocalChange) throws {
        try database.run(
            "INSERT OR REPLACE INTO local_changes (local_key, phone, contact, problem, changed_at, deleted, replaced, problem_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                .text(change.key), DatabaseValue(change.contact?.phone.e164 ?? change.rawPhone),
                DatabaseValue(change.contact?.json.text),
                DatabaseValue(change.problem?.reason),
                DatabaseValue(change.changedAt?.millisecondsSinceEpoch),
                .integer(change.deleted ? 1 : 0),
                .integer(change.replaced ? 1 : 0), DatabaseValue(change.problem?.kind.rawValue),
            ])
    }

    static func localChange(_ row: Row) -> LocalChange {
        let contact = row.string(2).flatMap { try? JSON.parse($0) }.flatMap(Contact.init(json:))
        return LocalChange(
            key: row.string(0) ?? "", contact: contact,
            problem: row.string(3).map { reason in
                let kind = row.string(7).flatMap(LocalRowProblem.Kind.init(rawValue:)) ?? .unreadable
                // Only a row whose phone read keeps it in the phone column as a number.
                return LocalRowProblem(
                    kind, reason, rawPhone: row.string(1), phone: kind == .unreadable ? row.string(1) : nil)
            }, rawPhone: row.string(1),
            changedAt: row.int64(4).map(Timestamp.init(millisecondsSinceEpoch:)), deleted: row.int(5) == 1,
            replaced: row.int(6) == 1)
    }

    public func localChange(key: String) throws -> LocalChange? {
        try database.first(
            "SELECT local_key, phone, contact, problem, changed_at, deleted, replaced, problem_kind FROM local_changes WHERE local_key = ?",
            [.text(key)]
        ).map(Self.localChange)
    }

    /// Every local change, with the link that holds its row (if any).
    public func forEachLocalChange(_ body: (LocalChange, Link?) throws -> Void) throws {
        try database.forEachRow(
            "SELECT c.local_key, c.phone, c.contact, c.problem, c.changed_at, c.deleted, c.replaced, c.problem_kind, \(Self.joinedLinkColumns) FROM local_changes c LEFT JOIN links l ON l.local_key = c.local_key ORDER BY c.local_key"
        ) { row in
            try body(Self.localChange(row), Self.link(row, offset: 8))
        }
    }

    /// Links whose CRM row this cycle is deleted or holds another phone: the person they
    /// follow may have moved to another row, or left the CRM. (`CROSS JOIN` keeps this
    /// cycle's changes, usually few, as the outer loop: ordered by link, SQLite would
    /// otherwise scan every link.)
    public func displacedLinks() throws -> [(link: Link, change: LocalChange)] {
        try database.query(
            """
            SELECT c.local_key, c.phone, c.contact, c.problem, c.changed_at, c.deleted, c.replaced, c.problem_kind, \(Self.joinedLinkColumns)
            FROM local_changes c CROSS JOIN links l ON l.local_key = c.local_key
            WHERE l.state != 'detached' AND (c.deleted = 1 OR c.phone IS NOT l.phone)
            ORDER BY l.link_id
            """
        ).compactMap { row in Self.link(row, offset: 8).map { ($0, Self.localChange(row)) } }
    }

    // MARK: - Plan

    public func storePlan(phone: String, item: JSON) throws {
        try database.run("INSERT INTO plan (phone, item) VALUES (?, ?)", [.text(phone), .text(item.text)])
    }

    /// The plan in order, `size` items at a time.
    public func forEachPlanBatch(size: Int, _ body: ([JSON]) async throws -> Void) async throws {
        var after: Int64 = 0
        while true {
            let rows = try database.query(
                "SELECT id, item FROM plan WHERE id > ? ORDER BY id LIMIT ?",
                [.integer(after), .integer(Int64(size))])
            guard let last = rows.last?.int64(0) else { return }
            after = last
            try await body(rows.compactMap { $0.string(1).flatMap { try? JSON.parse($0) } })
        }
    }

    public func planItems(phone: String) throws -> [JSON] {
        try database.query("SELECT item FROM plan WHERE phone = ? ORDER BY id", [.text(phone)]).compactMap {
            $0.string(0).flatMap { try? JSON.parse($0) }
        }
    }
}
