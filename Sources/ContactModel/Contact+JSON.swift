public import JSON

/// The stored form of a contact: the last-synced copy is kept as this JSON, and the hash of
/// its bytes tells whether a side changed since.
extension Contact {
    /// Members in a fixed order, attribute keys sorted: equal contacts give equal bytes.
    public var json: JSON {
        var object: JSONObject = ["phone": .string(phone.e164)]
        if let name { object["name"] = .string(name) }
        if let email { object["email"] = .string(email) }
        if let country { object["country"] = .string(country) }
        if !tags.isEmpty { object["tags"] = JSON(tags) }
        if !attributes.isEmpty { object["attributes"] = JSON(sortedMembers: attributes) }
        if let optIn { object["opt_in"] = .string(optIn.rawValue) }
        return .object(object)
    }

    public init?(json: JSON) {
        guard let phone = json["phone"]?.string.flatMap(PhoneNumber.init(e164:)) else { return nil }
        self.init(
            phone: phone, name: json["name"]?.string, email: json["email"]?.string,
            country: json["country"]?.string,
            tags: json["tags"]?.array?.compactMap(\.string) ?? [],
            attributes: json["attributes"]?.object.map { object in
                Dictionary(
                    object.filter { $0.value.isScalar }.map { ($0.key, $0.value) },
                    uniquingKeysWith: { _, last in last })
            } ?? [:],
            optIn: json["opt_in"]?.string.flatMap(OptIn.init(rawValue:)))
    }

    /// A stable hash of the stored form: equal contacts, equal hash.
    public var contentHash: Int64 { StableHash.of(json.serialized) }
}
