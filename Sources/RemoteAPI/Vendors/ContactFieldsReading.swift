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

    /// The names a vendor gives the frame every contact shares: its id (text or a number),
    /// its phone and when it last changed (`nil` where items carry no such time).
    struct Frame: Sendable {
        var id = "id"
        var phone = "phone"
        var updatedAt: String? = "updated_at"

        /// `id`, `phone`, `updated_at`: Waply and SendyStack.
        static let snakeCase = Frame()
    }

    /// A contact's frame read with the vendor's names; `fields` reads the rest.
    static func remoteContact(
        _ json: JSON, frame: Frame = .snakeCase, fields: (PhoneNumber) -> Contact
    ) -> Result<RemoteContact, UnusableRemoteContact> {
        let id: String? =
            switch json[frame.id] {
            case .string(let text)?: text
            case .int(let number)?: String(number)
            default: nil
            }
        // Checked first: whatever else is wrong with it, an id that cannot be one is the story.
        if let id, let problem = VendorURL.problem(withID: id) {
            return .failure(UnusableRemoteContact(id: VendorURL.printable(id), reason: problem, flaw: .id))
        }
        switch phone(json[frame.phone]) {
        case .failure(let reason):
            return .failure(UnusableRemoteContact(id: id ?? "?", reason: reason.text))
        case .success(let phone):
            guard let id else { return .failure(UnusableRemoteContact(id: "?", reason: "no id")) }
            let updatedAt = frame.updatedAt.flatMap { json[$0]?.string }.flatMap(Timestamp.init(iso8601:))
            return .success(RemoteContact(id: id, contact: fields(phone), updatedAt: updatedAt))
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

    /// The phone as E.164, or why it is unusable. Read as a CRM's phone is (a number in use,
    /// by its numbering plan): a contact pulled into the CRM must be one syncd can read back
    /// there, or the row would be unreadable to it — its edits never synced, and the contact
    /// pulled again after a run cut short between the CRM write and the link.
    static func phone(_ value: JSON?) -> Result<PhoneNumber, UnusableReason> {
        guard let raw = value?.string, !raw.isEmpty else { return .failure(UnusableReason("no phone")) }
        do {
            return .success(try PhoneNumber.read(raw, defaultCountry: nil).number)
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
