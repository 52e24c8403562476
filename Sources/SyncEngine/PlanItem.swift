public import ContactModel
public import JSON

/// The planner's decision for one contact: what each side gets, and why.
///
/// Stored as JSON in the state file's plan table, so a first sync of 100,000 contacts never
/// holds its plan in memory, and `--dry-run` and `syncd explain` show exactly what a real
/// run would do.
public struct PlanItem: Sendable, Equatable {
    public enum LocalAction: String, Sendable { case none, insert, update, delete }
    public enum RemoteAction: String, Sendable {
        case none, create, update, delete
        /// A new remote contact for a new phone, on a vendor that cannot change phones; the
        /// old one is unlinked and reported.
        case recreate
    }

    public var phone: String
    public var linkID: Int64?
    public var localKey: String?
    public var remoteID: String?
    public var base: Contact?
    /// The CRM row as read (nil when absent or deleted).
    public var local: Contact?
    /// The remote contact as the vendor holds it (nil when absent or deleted).
    public var remote: Contact?
    public var merged: Contact?
    public var localTime: Timestamp?
    public var remoteTime: Timestamp?
    /// The hash of the remote contact as listed (or as the link last saw it).
    public var remoteHash: Int64?
    public var localAction: LocalAction = .none
    public var remoteAction: RemoteAction = .none
    /// The link's state after this item (a tombstone keeps a delete from coming back).
    public var linkState: String = "linked"
    /// Remove the link altogether (both sides are gone).
    public var dropLink = false
    public var conflicts: [FieldConflict] = []
    public var reasons: [String] = []
    /// Why the contact is skipped this cycle, if it is.
    public var skipped: String?

    public init(phone: String) {
        self.phone = phone
    }

    public var changesSomething: Bool {
        localAction != .none || remoteAction != .none || dropLink || linkID == nil || skipped != nil
    }
}

// MARK: - Stored form

extension PlanItem {
    public var json: JSON {
        var object: JSONObject = ["phone": .string(phone), "local_action": .string(localAction.rawValue), "remote_action": .string(remoteAction.rawValue), "link_state": .string(linkState)]
        if let linkID { object["link_id"] = .int(Int(linkID)) }
        if let localKey { object["local_key"] = .string(localKey) }
        if let remoteID { object["remote_id"] = .string(remoteID) }
        if let base { object["base"] = base.json }
        if let local { object["local"] = local.json }
        if let remote { object["remote"] = remote.json }
        if let merged { object["merged"] = merged.json }
        if let localTime { object["local_time"] = .int(Int(localTime.millisecondsSinceEpoch)) }
        if let remoteTime { object["remote_time"] = .int(Int(remoteTime.millisecondsSinceEpoch)) }
        if let remoteHash { object["remote_hash"] = .int(Int(remoteHash)) }
        if dropLink { object["drop_link"] = true }
        if !conflicts.isEmpty {
            object["conflicts"] = .array(conflicts.map { conflict in
                var entry: JSONObject = ["field": .string(conflict.field.description), "winner": .string(conflict.winner.rawValue), "reason": .string(conflict.reason)]
                entry["base"] = JSON(conflict.base)
                entry["local"] = JSON(conflict.local)
                entry["remote"] = JSON(conflict.remote)
                return .object(entry)
            })
        }
        if !reasons.isEmpty { object["reasons"] = JSON(reasons) }
        if let skipped { object["skipped"] = .string(skipped) }
        return .object(object)
    }

    public init?(json: JSON) {
        guard let phone = json["phone"]?.string else { return nil }
        self.init(phone: phone)
        linkID = json["link_id"]?.int.map(Int64.init)
        localKey = json["local_key"]?.string
        remoteID = json["remote_id"]?.string
        base = json["base"].flatMap(Contact.init(json:))
        local = json["local"].flatMap(Contact.init(json:))
        remote = json["remote"].flatMap(Contact.init(json:))
        merged = json["merged"].flatMap(Contact.init(json:))
        localTime = json["local_time"]?.int.map { Timestamp(millisecondsSinceEpoch: Int64($0)) }
        remoteTime = json["remote_time"]?.int.map { Timestamp(millisecondsSinceEpoch: Int64($0)) }
        remoteHash = json["remote_hash"]?.int.map(Int64.init)
        localAction = json["local_action"]?.string.flatMap(LocalAction.init(rawValue:)) ?? .none
        remoteAction = json["remote_action"]?.string.flatMap(RemoteAction.init(rawValue:)) ?? .none
        linkState = json["link_state"]?.string ?? "linked"
        dropLink = json["drop_link"]?.bool ?? false
        conflicts = (json["conflicts"]?.array ?? []).compactMap { entry in
            guard let field = entry["field"]?.string, let winner = entry["winner"]?.string.flatMap(FieldConflict.Winner.init(rawValue:)) else { return nil }
            return FieldConflict(field: ContactField(parsing: field), base: entry["base"]?.string, local: entry["local"]?.string,
                                 remote: entry["remote"]?.string, winner: winner, reason: entry["reason"]?.string ?? "")
        }
        reasons = json["reasons"]?.array?.compactMap(\.string) ?? []
        skipped = json["skipped"]?.string
    }
}

extension ContactField {
    /// The inverse of `description`.
    init(parsing text: String) {
        switch text {
        case "phone": self = .phone
        case "name": self = .name
        case "email": self = .email
        case "country": self = .country
        case "tags": self = .tags
        case "opt_in": self = .optIn
        default: self = .attribute(text.hasPrefix("attributes.") ? String(text.dropFirst("attributes.".count)) : text)
        }
    }
}
