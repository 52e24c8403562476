import CSQLite

/// A failed SQLite call: the extended result code, SQLite's message and the statement.
///
/// Bound arguments are never part of the message: they are contacts' personal data, and
/// errors end up in logs.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    /// The extended result code (for example 2067, a UNIQUE constraint).
    public let extendedCode: Int32
    public let message: String
    public let sql: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    public var code: Int32 { extendedCode & 0xFF }

    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    public var isUniqueViolation: Bool { extendedCode == 2067 || extendedCode == 1555 }
    /// A CHECK, NOT NULL, UNIQUE, FOREIGN KEY or trigger RAISE refused the row.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    public var isReadOnly: Bool { code == SQLITE_READONLY }
    public var isDiskFull: Bool { code == SQLITE_FULL }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " (in: \(sql.prefix(200)))" }
        return text
    }
}
