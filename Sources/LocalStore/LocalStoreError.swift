/// A problem with the CRM database or syncd's state file.
public struct LocalStoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The configuration does not fit the database (missing table or column): EX_CONFIG.
        case configuration
        /// Another syncd holds the state file, or another program kept the CRM locked: try later.
        case locked
        /// The file cannot be written (read-only, disk full): nothing was half-written.
        case unwritable
        case other
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
