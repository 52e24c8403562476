import CSQLite
import Glibc

/// One SQLite connection.
///
/// Not `Sendable`: a connection belongs to one confinement domain at a time (an actor, or a
/// value guarded by a mutex), as SQLite's own threading model wants. Opened with a busy
/// timeout, because another process (the CRM) may write the same file at any time; switched to
/// WAL only when asked, since the journal mode is the file's, not the connection's.
public final class Database {
    public struct Options: Sendable {
        public var readOnly: Bool
        /// Create the file when it is missing.
        public var create: Bool
        /// How long a call waits for another connection's lock before failing with BUSY.
        public var busyTimeoutMilliseconds: Int32
        /// Switch the file to WAL journaling (needs write access). It stays WAL for every
        /// program that opens the file afterwards: only for files that are syncd's own.
        public var walMode: Bool

        public init(
            readOnly: Bool = false, create: Bool = true, busyTimeoutMilliseconds: Int32 = 5000,
            walMode: Bool = true
        ) {
            self.readOnly = readOnly
            self.create = create
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.walMode = walMode
        }
    }

    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED"
        /// Takes the write lock at BEGIN: a deferred read upgraded to a write can fail with a
        /// BUSY that the busy timeout does not cover.
        case immediate = "IMMEDIATE"
    }

    /// Owned from `sqlite3_open_v2` until `deinit`.
    let handle: OpaquePointer
    public let path: String
    private var statements: [String: Statement] = [:]

    public init(path: String, options: Options = Options()) throws(DatabaseError) {
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= options.readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if options.create && !options.readOnly { flags |= SQLITE_OPEN_CREATE }
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let message =
                handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(handle)
            throw DatabaseError(extendedCode: code, message: "cannot open \(path): \(message)")
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, options.busyTimeoutMilliseconds)
        guard !options.readOnly else { return }
        if options.walMode { try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") }
        try execute("PRAGMA foreign_keys=ON;")
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: - Running SQL

    /// Runs one or more statements that take no arguments (schema, pragmas).
    public func execute(_ sql: String) throws(DatabaseError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw DatabaseError(extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql)
        }
    }

    /// Runs one statement with arguments; returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ arguments: [DatabaseValue] = []) throws(DatabaseError) -> Int {
        let statement = try prepared(sql)
        try statement.bind(arguments)
        while try statement.step() {}
        statement.reset()
        return Int(sqlite3_changes(handle))
    }

    /// Every row of a query, copied out.
    public func query(_ sql: String, _ arguments: [DatabaseValue] = []) throws(DatabaseError) -> [Row] {
        var rows: [Row] = []
        try forEachRow(sql, arguments) { rows.append($0) }
        return rows
    }

    /// The first row of a query, if any.
    public func first(_ sql: String, _ arguments: [DatabaseValue] = []) throws(DatabaseError) -> Row? {
        let statement = try prepared(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        return try statement.step() ? statement.row() : nil
    }

    /// Streams rows one at a time, so a large result never sits in memory whole.
    public func forEachRow(
        _ sql: String, _ arguments: [DatabaseValue] = [], _ body: (Row) throws -> Void
    ) throws(DatabaseError) {
        try forEachRowInPlace(sql, arguments) { try body($0.row()) }
    }

    /// Steps through the rows handing each to `body` where SQLite holds it, copying nothing:
    /// for scans of many rows read once. The columns are valid only during the call.
    public func forEachRowInPlace(
        _ sql: String, _ arguments: [DatabaseValue] = [], _ body: (ColumnReader) throws -> Void
    ) throws(DatabaseError) {
        let statement = try prepared(sql)
        try statement.bind(arguments)
        defer { statement.reset() }
        while try statement.step() {
            do {
                try body(ColumnReader(handle: statement.handle))
            } catch let error as DatabaseError {
                throw error
            } catch {
                throw DatabaseError(extendedCode: SQLITE_ABORT, message: "\(error)", sql: sql)
            }
        }
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    // MARK: - Transactions

    /// Runs `body` in a transaction, committing when it returns and rolling back when it throws.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try begin(kind)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    // MARK: - Internals

    /// BEGIN, tried again on SQLITE_PROTOCOL: a WAL race SQLite itself gave up retrying
    /// (seen when many connections open the same file at once); nothing has happened yet.
    private func begin(_ kind: TransactionKind) throws {
        var attempt = 0
        while true {
            do {
                return try execute("BEGIN \(kind.rawValue)")
            } catch {
                guard error.code == SQLITE_PROTOCOL && attempt < 5 else { throw error }
                attempt += 1
                usleep(UInt32(10_000 * attempt))
            }
        }
    }

    private func prepared(_ sql: String) throws(DatabaseError) -> Statement {
        if let statement = statements[sql] { return statement }
        let statement = try Statement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    func error(code: Int32, sql: String?) -> DatabaseError {
        DatabaseError(
            extendedCode: sqlite3_extended_errcode(handle) != 0 ? sqlite3_extended_errcode(handle) : code,
            message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}
