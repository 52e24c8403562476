import ContactModel
import JSON

/// Reading contact fields out of vendor JSON, tolerant where vendors are loose (numbers in
/// custom fields, empty strings for "no value").
enum ContactFieldsReading {
    static func text(_ value: JSON?) -> String? {
        guard let text = value?.string, !text.isEmpty else { return nil }
        return text
    }

    static func strings(_ value: JSON?) -> [String] {
        value?.array?.compactMap { $0.string } ?? []
    }

    /// Custom fields: strings, numbers and booleans as the vendor sent them; nulls and
    /// nested values are dropped.
    static func attributes(_ value: JSON?) -> [String: JSON] {
        guard let object = value?.object else { return [:] }
        var map: [String: JSON] = [:]
        for (key, member) in object where member.isScalar { map[key] = member }
        return map
    }

    /// The frame every vendor's contact shares: an `id`, a usable `phone` and `updated_at`;
    /// `fields` reads the rest, in the vendor's own names.
    static func remoteContact(_ json: JSON, fields: (PhoneNumber) -> Contact) -> Result<
        RemoteContact, UnusableRemoteContact
    > {
        let id = json["id"]?.string ?? "?"
        switch phone(json["phone"]) {
        case .failure(let reason):
            return .failure(UnusableRemoteContact(id: id, reason: reason.text))
        case .success(let phone):
            guard json["id"]?.string != nil else {
                return .failure(UnusableRemoteContact(id: id, reason: "no id"))
            }
            return .success(
                RemoteContact(
                    id: id, contact: fields(phone),
                    updatedAt: json["updated_at"]?.string.flatMap(Timestamp.init(iso8601:))))
        }
    }

    /// The one contact an endpoint answered, or why its answer is not usable.
    static func answeredContact(
        _ json: JSON?, _ what: String, decode: (JSON) -> Result<RemoteContact, UnusableRemoteContact>
    ) throws(RemoteError) -> RemoteContact {
        guard let json else { throw .malformed("\(what) answered no contact") }
        switch decode(json) {
        case .success(let contact): return contact
        case .failure(let unusable):
            throw .malformed("\(what) answered a contact syncd cannot read: \(unusable.reason)")
        }
    }

    /// The phone as E.164, or why it is unusable.
    static func phone(_ value: JSON?) -> Result<PhoneNumber, UnusableReason> {
        guard let raw = value?.string, !raw.isEmpty else { return .failure(UnusableReason("no phone")) }
        do {
            return .success(try PhoneNumber.normalize(raw))
        } catch {
            return .failure(UnusableReason("phone '\(raw)': \(error)"))
        }
    }

    struct UnusableReason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// Attribute changes for vendors that merge custom fields key by key: changed and new
    /// keys with their values, removed keys as `null`.
    /// Values go as text: the vendors keep custom fields as strings.
    static func attributeChanges(from old: [String: JSON], to new: [String: JSON]) -> JSONObject? {
        var changes = JSONObject()
        for key in Set(old.keys).union(new.keys).sorted() where old[key]?.scalarText != new[key]?.scalarText {
            changes[key] = new[key]?.scalarText.map(JSON.string) ?? .null
        }
        return changes.isEmpty ? nil : changes
    }
}
