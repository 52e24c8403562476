import ContactModel
import JSON
import SQLite

/// The emulator's optional SQLite file (`--state`), so a remote book survives restarts.
///
/// Write-through: after each request, the contacts it changed are written in one
/// transaction. Uploads, exports, idempotency keys and issued tokens stay in memory.
final class StateFile {
    private let database: Database

    init(path: String) throws {
        database = try Database(path: path)
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS contacts (key INTEGER PRIMARY KEY, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS lists (id INTEGER PRIMARY KEY, name TEXT NOT NULL, description TEXT,
                created_at INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
            """)
    }

    /// Loads every stored contact and list into `store`; returns the saved clock offset.
    func load(into store: inout ContactStore) throws -> Int64 {
        try database.forEachRow("SELECT body FROM contacts ORDER BY key") { row in
            guard let text = row.string(0), let contact = SimContact(stored: try JSON.parse(text)) else {
                throw SimError.badRequest("unreadable contact in the state file")
            }
            store.restore(contact: contact)
        }
        for row in try database.query("SELECT id, name, description, created_at FROM lists ORDER BY id") {
            store.restore(
                list: SimList(
                    id: row.int(0) ?? 0, name: row.string(1) ?? "", description: row.string(2),
                    createdAt: Timestamp(millisecondsSinceEpoch: row.int64(3) ?? 0)))
        }
        for row in try database.query("SELECT name, value FROM meta") {
            let value = row.int64(1) ?? 0
            switch row.string(0) {
            case "next_key": store.nextKey = max(store.nextKey, Int(value))
            case "next_numeric_id": store.nextNumericID = max(store.nextNumericID, Int(value))
            case "next_list_id": store.nextListID = max(store.nextListID, Int(value))
            case "sequence": store.sequence = max(store.sequence, value)
            default: break
            }
        }
        store.dirtyKeys.removeAll()
        store.removedKeys.removeAll()
        store.listsDirty = false
        return try database.first("SELECT value FROM meta WHERE name = 'clock_offset'")?.int64(0) ?? 0
    }

    func save(_ store: inout ContactStore, clockOffset: Int64) throws {
        guard !store.dirtyKeys.isEmpty || !store.removedKeys.isEmpty || store.listsDirty else { return }
        let snapshot = store
        try database.transaction {
            for key in snapshot.removedKeys {
                try database.run("DELETE FROM contacts WHERE key = ?", [.integer(Int64(key))])
            }
            for key in snapshot.dirtyKeys {
                guard let contact = snapshot.contact(key: key) else { continue }
                try database.run(
                    "INSERT OR REPLACE INTO contacts (key, body) VALUES (?, ?)",
                    [.integer(Int64(key)), .text(contact.stored.text)])
            }
            if snapshot.listsDirty {
                try database.run("DELETE FROM lists")
                for list in snapshot.lists.values {
                    try database.run(
                        "INSERT INTO lists (id, name, description, created_at) VALUES (?, ?, ?, ?)",
                        [
                            .integer(Int64(list.id)), .text(list.name), DatabaseValue(list.description),
                            .integer(list.createdAt.millisecondsSinceEpoch),
                        ])
                }
            }
            let meta: [(String, Int64)] = [
                ("next_key", Int64(snapshot.nextKey)), ("next_numeric_id", Int64(snapshot.nextNumericID)),
                ("next_list_id", Int64(snapshot.nextListID)), ("sequence", snapshot.sequence),
                ("clock_offset", clockOffset),
            ]
            for (name, value) in meta {
                try database.run(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", [.text(name), .integer(value)])
            }
        }
        store.dirtyKeys.removeAll()
        store.removedKeys.removeAll()
        store.listsDirty = false
    }
}
