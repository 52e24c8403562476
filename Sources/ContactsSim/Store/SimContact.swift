import ContactModel
import JSON

/// One stored contact: the union of every vendor's fields.
///
/// The emulator keeps one record shape for all four dialects; each dialect reads and writes
/// the fields it has and renders them in its own names and casing.
struct SimContact: Sendable, Equatable {
    enum OptIn: String, Sendable {
        case optedIn = "opted_in"
        case optedOut = "opted_out"
        case unknown
    }

    /// Internal key: creation order, never reused.
    var key: Int
    /// The vendor's id (Qlara: its integer, as text).
    var id: String
    /// SuperWaba's 24-hex second id.
    var vendorContactID: String?
    var phone: String?
    var name: String?
    var email: String?
    var country: String?
    var tags: [String] = []
    var attributes: [String: String] = [:]
    var optIn: OptIn = .unknown
    var blocked = false
    var source: String?
    var labels: [String] = []
    var lifecycleStage: String?
    var gender: String?
    var listIDs: [Int] = []
    var lastMessageAt: Timestamp?
    var conversationCount = 0
    var createdAt: Timestamp
    var updatedAt: Timestamp
    /// Global write order; breaks ties between equal timestamps.
    var sequence: Int64 = 0

    init(key: Int = 0, id: String = "", createdAt: Timestamp, updatedAt: Timestamp? = nil) {
        self.key = key
        self.id = id
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}

// MARK: - Persistence form

extension SimContact {
    /// Every field, for the `--state` file.
    var stored: JSON {
        var object: JSONObject = [
            "key": .int(key), "id": .string(id), "vendor_contact_id": JSON(vendorContactID),
            "phone": JSON(phone),
            "name": JSON(name), "email": JSON(email), "country": JSON(country), "tags": JSON(tags),
            "attributes": JSON(attributes), "opt_in": .string(optIn.rawValue), "blocked": .bool(blocked),
            "source": JSON(source), "labels": JSON(labels), "lifecycle_stage": JSON(lifecycleStage),
            "gender": JSON(gender), "list_ids": .array(listIDs.map(JSON.int)),
            "conversation_count": .int(conversationCount),
            "created_at": .int(Int(createdAt.millisecondsSinceEpoch)),
            "updated_at": .int(Int(updatedAt.millisecondsSinceEpoch)), "sequence": .int(Int(sequence)),
        ]
        object["last_message_at"] = lastMessageAt.map { .int(Int($0.millisecondsSinceEpoch)) } ?? .null
        return .object(object)
    }

    init?(stored json: JSON) {
        guard let key = json["key"]?.int, let id = json["id"]?.string, let created = json["created_at"]?.int,
            let updated = json["updated_at"]?.int
        else { return nil }
        self.init(
            key: key, id: id, createdAt: Timestamp(millisecondsSinceEpoch: Int64(created)),
            updatedAt: Timestamp(millisecondsSinceEpoch: Int64(updated)))
        vendorContactID = json["vendor_contact_id"]?.string
        phone = json["phone"]?.string
        name = json["name"]?.string
        email = json["email"]?.string
        country = json["country"]?.string
        tags = json["tags"]?.array?.compactMap(\.string) ?? []
        attributes =
            (json["attributes"]?.object).map { object in
                Dictionary(
                    uniqueKeysWithValues: object.compactMap { key, value in value.string.map { (key, $0) } })
            } ?? [:]
        optIn = json["opt_in"]?.string.flatMap(OptIn.init(rawValue:)) ?? .unknown
        blocked = json["blocked"]?.bool ?? false
        source = json["source"]?.string
        labels = json["labels"]?.array?.compactMap(\.string) ?? []
        lifecycleStage = json["lifecycle_stage"]?.string
        gender = json["gender"]?.string
        listIDs = json["list_ids"]?.array?.compactMap(\.int) ?? []
        conversationCount = json["conversation_count"]?.int ?? 0
        lastMessageAt = json["last_message_at"]?.int.map { Timestamp(millisecondsSinceEpoch: Int64($0)) }
        sequence = Int64(json["sequence"]?.int ?? 0)
    }
}
