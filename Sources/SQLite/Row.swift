import CSQLite

/// One result row, copied out of the statement so it outlives the next step.
public struct Row: Sendable {
    public let values: [DatabaseValue]

    public subscript(index: Int) -> DatabaseValue { values[index] }

    public func string(_ index: Int) -> String? { values[index].string }
    public func int(_ index: Int) -> Int? { values[index].int }
    public func int64(_ index: Int) -> Int64? { values[index].int64 }
    public func double(_ index: Int) -> Double? { values[index].double }
    public func isNull(_ index: Int) -> Bool { values[index].isNull }
}

/// The current row of a statement being stepped, read in place (see
/// `Database.forEachRowInPlace`): valid only until the next step.
public struct ColumnReader {
    let handle: OpaquePointer

    /// The whole row, copied out.
    public func row() -> Row {
        Row(values: (0..<sqlite3_column_count(handle)).map(value(at:)))
    }

    func value(at column: Int32) -> DatabaseValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            // Length-delimited: String(cString:) would stop at an embedded NUL.
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let text = sqlite3_column_text(handle, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let blob = sqlite3_column_blob(handle, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default: return .null
        }
    }

    public func int64(_ index: Int) -> Int64? {
        // NULL reads as 0: only a 0 needs a second call to tell them apart.
        let value = sqlite3_column_int64(handle, Int32(index))
        return value == 0 && sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL ? nil : value
    }

    /// The column's text as UTF-8 bytes; `nil` when it is NULL.
    public func withText<Result>(_ index: Int, _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
        let column = Int32(index)
        guard sqlite3_column_type(handle, column) != SQLITE_NULL else { return body(nil) }
        let text = sqlite3_column_text(handle, column)
        return body(UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column))))
    }
}
