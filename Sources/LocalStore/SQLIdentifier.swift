import Foundation

/// Quotes a table or column name for SQL, so names from the config cannot break a statement.
func quoted(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
