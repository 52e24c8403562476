/// A JSON object that keeps its members in insertion order.
///
/// Order matters only to people reading the output (an `id` first reads better); equality
/// ignores it, as JSON does. Objects in contact APIs are small, so lookups scan linearly.
public struct JSONObject: Sendable, Hashable, Sequence {
    public typealias Element = (key: String, value: JSON)

    private var keys: [String] = []
    private var values: [JSON] = []

    public init() {}

    public init<S: Sequence>(_ members: S) where S.Element == (String, JSON) {
        for (key, value) in members { self[key] = value }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var memberNames: [String] { keys }

    /// The member's value; setting `nil` removes the member, setting a value replaces it in place.
    public subscript(key: String) -> JSON? {
        get {
            guard let index = keys.firstIndex(of: key) else { return nil }
            return values[index]
        }
        set {
            if let index = keys.firstIndex(of: key) {
                if let newValue {
                    values[index] = newValue
                } else {
                    keys.remove(at: index)
                    values.remove(at: index)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    public func makeIterator() -> AnyIterator<Element> {
        var index = 0
        return AnyIterator {
            guard index < keys.count else { return nil }
            defer { index += 1 }
            return (keys[index], values[index])
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs where rhs[key] != value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine each member's own hash with XOR.
        var combined = 0
        for (key, value) in self {
            var member = Hasher()
            member.combine(key)
            member.combine(value)
            combined ^= member.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(elements)
    }
}
