public import JSON

/// A contact as syncd sees it, whatever the CRM's columns or the vendor's field names.
///
/// The vendor adapters and the CRM mapping both translate to and from this shape, so the
/// planner compares like with like. Tags are a set (kept sorted); attributes are a flat map
/// of JSON scalars: the CRM keeps a number a number, while vendors that store only text get
/// its text (see `retypingAttributes(like:)`).
public struct Contact: Sendable, Hashable {
    public var phone: PhoneNumber
    public var name: String?
    public var email: String?
    /// ISO 3166-1 alpha-2, upper case.
    public var country: String?
    public var tags: [String] {
        didSet { tags = Self.normalizedTags(tags) }
    }
    public var attributes: [String: JSON]
    /// `nil` when unknown.
    public var optIn: OptIn?

    public init(
        phone: PhoneNumber, name: String? = nil, email: String? = nil, country: String? = nil,
        tags: [String] = [],
        attributes: [String: JSON] = [:], optIn: OptIn? = nil
    ) {
        self.phone = phone
        self.name = name
        self.email = email
        self.country = country
        self.tags = Self.normalizedTags(tags)
        self.attributes = attributes
        self.optIn = optIn
    }

    /// Sorted, without duplicates or blanks: tag order carries no meaning anywhere.
    public static func normalizedTags(_ tags: [String]) -> [String] {
        // Most contacts' tags are few, clean and in order already (a vendor echoes what syncd
        // sent): returned as they are, without building a set.
        let clean = tags.allSatisfy { tag in
            guard let first = tag.first, let last = tag.last else { return false }
            return !first.isWhitespace && !last.isWhitespace
        }
        if clean && zip(tags, tags.dropFirst()).allSatisfy({ $0 < $1 }) { return tags }
        return Array(Set(tags.map { $0.trimmingSpaces }.filter { !$0.isEmpty }.map(String.init))).sorted()
    }
}

/// Whether the person agreed to receive messages.
public enum OptIn: String, Sendable, Hashable {
    case optedIn = "opted_in"
    case optedOut = "opted_out"
}

/// The parts of a contact that merge on their own. Attributes merge key by key and tags
/// element by element, so these name whole fields; `attribute(key)` names one key.
public enum ContactField: Hashable, Sendable, CustomStringConvertible, Comparable {
    case phone, name, email, country, tags, optIn
    case attribute(String)

    public var description: String {
        switch self {
        case .phone: return "phone"
        case .name: return "name"
        case .email: return "email"
        case .country: return "country"
        case .tags: return "tags"
        case .optIn: return "opt_in"
        case .attribute(let key): return "attributes.\(key)"
        }
    }

    public static func < (lhs: ContactField, rhs: ContactField) -> Bool { lhs.description < rhs.description }
}

/// Which whole fields a side can hold.
public struct FieldSet: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let name = FieldSet(rawValue: 1 << 0)
    public static let email = FieldSet(rawValue: 1 << 1)
    public static let country = FieldSet(rawValue: 1 << 2)
    public static let tags = FieldSet(rawValue: 1 << 3)
    public static let attributes = FieldSet(rawValue: 1 << 4)
    public static let optIn = FieldSet(rawValue: 1 << 5)
    public static let all: FieldSet = [.name, .email, .country, .tags, .attributes, .optIn]

    /// Whether a side with these fields holds `field` (the phone, every side does).
    public func holds(_ field: ContactField) -> Bool {
        switch field {
        case .phone: return true
        case .name: return contains(FieldSet.name)
        case .email: return contains(FieldSet.email)
        case .country: return contains(FieldSet.country)
        case .tags: return contains(FieldSet.tags)
        case .optIn: return contains(FieldSet.optIn)
        case .attribute: return contains(FieldSet.attributes)
        }
    }
}

extension Contact {
    /// This contact with the fields outside `fields` taken from `other` (what a side that
    /// cannot hold a field is taken to have: the other side's value, so it never differs).
    public func keeping(_ fields: FieldSet, otherwise other: Contact) -> Contact {
        var result = other
        result.phone = phone
        if fields.contains(.name) { result.name = name }
        if fields.contains(.email) { result.email = email }
        if fields.contains(.country) { result.country = country }
        if fields.contains(.tags) { result.tags = tags }
        if fields.contains(.attributes) { result.attributes = attributes }
        if fields.contains(.optIn) { result.optIn = optIn }
        return result
    }

    /// Only the fields in `fields` (and the phone); the rest cleared. What a side that holds
    /// just those fields would show.
    public func projected(onto fields: FieldSet) -> Contact {
        keeping(fields, otherwise: Contact(phone: phone))
    }

    /// The value of one field, as text for logs and the conflict log (`nil` when empty).
    public func value(of field: ContactField) -> String? {
        switch field {
        case .phone: return phone.e164
        case .name: return name
        case .email: return email
        case .country: return country
        case .tags: return tags.isEmpty ? nil : tags.joined(separator: ",")
        case .optIn: return optIn?.rawValue
        case .attribute(let key): return attributes[key]?.scalarText
        }
    }

    /// This contact with each text attribute that spells another contact's typed value (`"5"`
    /// where `other` holds the number 5) given that value's type: a vendor that keeps custom
    /// fields as text has not changed a number by echoing it back as text.
    public func retypingAttributes(like other: Contact?) -> Contact {
        guard let other, !attributes.isEmpty else { return self }
        var result = self
        for (key, value) in attributes {
            guard case .string(let text) = value, let typed = other.attributes[key], typed.string == nil,
                typed.scalarText == text
            else { continue }
            result.attributes[key] = typed
        }
        return result
    }

    /// The attributes as text, for vendors whose custom fields hold only strings.
    public var attributeTexts: [String: String] {
        attributes.compactMapValues(\.scalarText)
    }
}
