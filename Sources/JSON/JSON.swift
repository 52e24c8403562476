/// A JSON value.
///
/// Both the emulator and syncd's vendor adapters speak JSON with exact types: a vendor that
/// sends `true` must not be read as `1`, and an integer id must not become a `Double`.
/// Foundation's `JSONSerialization` on Linux bridges through `NSNumber` and blurs both, so
/// this small value type, its parser and its writer are used instead.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

// MARK: - Reading values

extension JSON {
    /// The member named `key` when this is an object, else `nil`.
    public subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// An integer, also from a double that holds a whole number (some APIs send `12.0`).
    public var int: Int? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e15: return Int(value)
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var array: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var object: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// A scalar as text — strings as they are, numbers and booleans written out — for
    /// string-valued fields that some senders fill with numbers. `nil` for null, arrays and
    /// objects.
    public var scalarText: String? {
        switch self {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return String(flag)
        default: return nil
        }
    }

    /// A short name of the value's kind, for error messages ("expected a string, got an array").
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

// MARK: - Literals

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(JSONObject(elements))
    }
}

extension JSON {
    /// `.string(value)` or `.null` for an absent value.
    public init(_ value: String?) { self = value.map(JSON.string) ?? .null }

    /// An array of strings.
    public init(_ values: [String]) { self = .array(values.map(JSON.string)) }

    /// An object of string values, keys sorted so output is stable.
    public init(_ values: [String: String]) {
        self = .object(JSONObject(values.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }))
    }

    /// An object of these members, keys sorted so output is stable.
    public init(sortedMembers values: [String: JSON]) {
        self = .object(JSONObject(values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
    }

    /// Whether this is a string, number or boolean (not null, an array or an object).
    public var isScalar: Bool {
        switch self {
        case .string, .int, .double, .bool: return true
        default: return false
        }
    }
}
