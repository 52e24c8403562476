public import ContactModel

/// One CRM row read through the column mapping.
public struct LocalRow: Sendable {
    public var key: String
    /// The contact, or why the row cannot be synced (an invalid phone, unreadable tags...).
    public var contact: Result<Contact, LocalRowProblem>
    /// The row's own `updated_at`, when the table has one and it reads.
    public var updatedAt: Timestamp?
    /// An `updated_at` that is there but is no time (NaN, 1e300, negative, text that is no
    /// date): taken as unknown, and reported.
    public var unreadableUpdatedAt: String?
    /// An extension typed after the number (`x12`): no vendor keeps one, so it is dropped.
    public var droppedExtension: String?

    public init(
        key: String, contact: Result<Contact, LocalRowProblem>, updatedAt: Timestamp?,
        unreadableUpdatedAt: String? = nil
    ) {
        self.key = key
        self.contact = contact
        self.updatedAt = updatedAt
        self.unreadableUpdatedAt = unreadableUpdatedAt
    }
}

/// Why a CRM row is skipped; it is reported and never pushed.
public struct LocalRowProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case noPhone = "no_phone"
        case invalidPhone = "invalid_phone"
        /// Tags, attributes or opt-in that do not read, or a value a column cannot hold.
        case unreadable
    }

    public let kind: Kind
    public let reason: String
    /// The phone as the CRM has it, for reports.
    public let rawPhone: String?
    /// The phone as read, when it reads and something else in the row does not: the row is
    /// still somebody's, and that somebody has this number.
    public let phone: String?

    public init(_ kind: Kind, _ reason: String, rawPhone: String?, phone: String? = nil) {
        self.kind = kind
        self.reason = reason
        self.rawPhone = rawPhone
        self.phone = phone
    }

    public var description: String { reason }
}

/// A change to the CRM table, captured by syncd's triggers. syncd's own writes are captured
/// too; they come back equal to the row index and so cause nothing.
public struct CapturedChange: Sendable {
    public var sequence: Int64
    public var key: String
    public var deleted: Bool
    /// The key was inserted since the last cycle: the row under it may be another person.
    public var replaced: Bool
    public var capturedAt: Timestamp?
}
