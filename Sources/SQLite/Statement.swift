import CSQLite

/// A prepared statement, owned by its `Database` and reused through its cache.
final class Statement {
    /// Owned by this object from `sqlite3_prepare_v3` until `deinit`; used only on the
    /// connection's confinement domain, like the connection itself.
    let handle: OpaquePointer
    let sql: String
    private unowned let database: Database

    init(database: Database, sql: String) throws(DatabaseError) {
        var handle: OpaquePointer?
        let code = sqlite3_prepare_v3(
            database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard code == SQLITE_OK, let handle else {
            throw database.error(code: code, sql: sql)
        }
        self.handle = handle
        self.sql = sql
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ arguments: [DatabaseValue]) throws(DatabaseError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.count == expected else {
            throw DatabaseError(
                extendedCode: SQLITE_RANGE, message: "expected \(expected) arguments, got \(arguments.count)",
                sql: sql)
        }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .text(let text):
                code = sqlite3_bind_text(
                    handle, index, text, Int32(text.utf8.count), SQLiteTransient.destructor)
            case .blob(let bytes):
                code = bytes.withUnsafeBytes {
                    sqlite3_bind_blob(
                        handle, index, $0.baseAddress, Int32($0.count), SQLiteTransient.destructor)
                }
            }
            guard code == SQLITE_OK else { throw database.error(code: code, sql: sql) }
        }
    }

    /// Steps once: `true` with a row ready, `false` when done.
    func step() throws(DatabaseError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.error(code: code, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    func row() -> Row { ColumnReader(handle: handle).row() }

    func reset() { sqlite3_reset(handle) }
}

/// `SQLITE_TRANSIENT`, which does not import into Swift: the sentinel -1 tells SQLite to copy
/// the bytes before the bind call returns, so the Swift buffer may go away right after.
enum SQLiteTransient {
    static let destructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
