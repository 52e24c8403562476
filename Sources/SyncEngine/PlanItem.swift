public import ContactModel
public import JSON
public import LocalStore

/// The planner's decision for one contact: what each side gets, and why.
///
/// The writes are values that carry everything they need (the contact to create, the id and
/// both versions of an update), so the executor never unwraps an optional to send one. Stored
/// as JSON in the state file's plan table, so a first sync of 100,000 contacts never holds its
/// plan in memory, and `--dry-run` and `syncd explain` show exactly what a real run would do.
public struct PlanItem: Sendable, Equatable {
    /// A write to the vendor.
    public enum RemoteWrite: Sendable, Equatable {
        case create(Contact)
        case update(id: String, from: Contact, to: Contact)
        case delete(id: String)
        /// A new contact under a new phone, on a vendor that cannot change phones; the old one
        /// (`replacing`, as it was: `old`) is unlinked and reported.
        case recreate(Contact, replacing: String, old: Contact)

        /// The contact a create or recreate sends.
        public var created: Contact? {
            switch self {
            case .create(let contact), .recreate(let contact, _, _): return contact
            case .update, .delete: return nil
            }
        }
    }

    /// Why a contact is left out this cycle.
    public enum SkipReason: Sendable, Equatable, CustomStringConvertible {
        /// The CRM row cannot be read as a contact (no or invalid phone, unreadable tags...).
        case unreadableRow(LocalRowProblem)
        /// Another CRM row already syncs this phone.
        case duplicatePhone(String)
        /// Two people, one phone: the vendor moved a contact onto a number another CRM row
        /// holds, or answered a create with a contact another row is linked to. Both stay as
        /// they are, on both sides, until one of them changes; what clashed, in words.
        case phoneClash(String)
        /// The CRM row `key` holds this phone but cannot be read: the vendor's copy is not
        /// pulled in beside it as a second row.
        case heldByUnreadableRow(key: String, reason: String)

        /// The group the summary counts it under.
        public var category: String {
            switch self {
            case .unreadableRow(let problem):
                switch problem.kind {
                case .noPhone, .invalidPhone: return "invalid phone"
                case .unreadable: return "unreadable CRM row"
                }
            case .duplicatePhone: return "duplicate phone"
            case .phoneClash: return "phone clash"
            case .heldByUnreadableRow: return "phone held by an unreadable CRM row"
            }
        }

        /// A clash is looked at again every cycle, whether or not its rows change: it clears
        /// when either person's phone moves.
        public var isClash: Bool {
            if case .phoneClash = self { return true }
            return false
        }

        /// Worth a note in the cycle's report beside the count: somebody must act on it.
        var isWorthANote: Bool {
            switch self {
            case .phoneClash, .heldByUnreadableRow: return true
            case .unreadableRow, .duplicatePhone: return false
            }
        }

        public var description: String {
            switch self {
            case .unreadableRow(let problem): return problem.reason
            case .duplicatePhone(let phone): return "duplicate phone: another CRM row already syncs \(phone)"
            case .phoneClash(let what): return "phone clash: \(what)"
            case .heldByUnreadableRow(let key, let reason):
                return
                    "CRM row \(key) holds this phone but cannot be read (\(reason)); the vendor's contact is not pulled in beside it"
            }
        }
    }

    /// What a write does on its side, for counting and describing.
    public enum LocalAction: String, Sendable { case none, insert, update, delete }
    public enum RemoteAction: String, Sendable { case none, create, update, delete, recreate }

    public var phone: String
    public var linkID: Int64?
    public var localKey: String?
    public var remoteID: String?
    public var base: Contact?
    /// The CRM row as read (nil when absent or deleted).
    public var local: Contact?
    /// The remote contact as the vendor holds it (nil when absent or deleted).
    public var remote: Contact?
    /// What both sides agree on once the writes are done: the next last-synced copy.
    public var merged: Contact?
    public var localTime: Timestamp?
    public var remoteTime: Timestamp?
    /// The hash of the remote contact as listed (or as the link last saw it).
    public var remoteHash: Int64?
    /// The fingerprint of the listed item `remoteHash` was taken from, when it was.
    public var listedItem: Int64?
    public var crmWrite: LocalWrite?
    public var remoteWrite: RemoteWrite?
    /// The link's state after this item (a tombstone keeps a delete from coming back).
    public var linkState: Link.State = .linked
    /// Remove the link altogether (both sides are gone).
    public var dropLink = false
    public var conflicts: [FieldConflict] = []
    public var reasons: [String] = []
    public var skipped: SkipReason?

    public init(phone: String) {
        self.phone = phone
    }

    public var localAction: LocalAction {
        switch crmWrite {
        case nil: return .none
        case .insert: return .insert
        case .update: return .update
        case .delete: return .delete
        }
    }

    public var remoteAction: RemoteAction {
        switch remoteWrite {
        case nil: return .none
        case .create: return .create
        case .update: return .update
        case .delete: return .delete
        case .recreate: return .recreate
        }
    }
}

// MARK: - Stored form

extension PlanItem {
    public var json: JSON {
        var object: JSONObject = ["phone": .string(phone), "link_state": .string(linkState.rawValue)]
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
        if let listedItem { object["listed_item"] = .int(Int(listedItem)) }
        if let crmWrite { object["crm_write"] = Self.json(crmWrite) }
        if let remoteWrite { object["remote_write"] = Self.json(remoteWrite) }
        if dropLink { object["drop_link"] = true }
        if !conflicts.isEmpty {
            object["conflicts"] = .array(
                conflicts.map { conflict in
                    var entry: JSONObject = [
                        "field": .string(conflict.field.description),
                        "winner": .string(conflict.winner.rawValue),
                        "reason": .string(conflict.reason),
                    ]
                    entry["base"] = JSON(conflict.base)
                    entry["local"] = JSON(conflict.local)
                    entry["remote"] = JSON(conflict.remote)
                    return .object(entry)
                })
        }
        if !reasons.isEmpty { object["reasons"] = JSON(reasons) }
        switch skipped {
        case .unreadableRow(let problem)?:
            object["skipped"] = [
                "row": .string(problem.reason), "kind": .string(problem.kind.rawValue),
                "raw_phone": JSON(problem.rawPhone), "read_phone": JSON(problem.phone),
            ]
        case .duplicatePhone(let phone)?:
            object["skipped"] = ["duplicate_phone": .string(phone)]
        case .phoneClash(let what)?:
            object["skipped"] = ["clash": .string(what)]
        case .heldByUnreadableRow(let key, let reason)?:
            object["skipped"] = ["held_by": .string(key), "reason": .string(reason)]
        case nil: break
        }
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
        listedItem = json["listed_item"]?.int.map(Int64.init)
        crmWrite = json["crm_write"].flatMap(Self.crmWrite)
        remoteWrite = json["remote_write"].flatMap(Self.remoteWrite)
        linkState = json["link_state"]?.string.flatMap(Link.State.init(rawValue:)) ?? .linked
        dropLink = json["drop_link"]?.bool ?? false
        conflicts = (json["conflicts"]?.array ?? []).compactMap { entry in
            guard let field = entry["field"]?.string,
                let winner = entry["winner"]?.string.flatMap(FieldConflict.Winner.init(rawValue:))
            else { return nil }
            return FieldConflict(
                field: ContactField(parsing: field), base: entry["base"]?.string,
                local: entry["local"]?.string,
                remote: entry["remote"]?.string, winner: winner, reason: entry["reason"]?.string ?? "")
        }
        reasons = json["reasons"]?.array?.compactMap(\.string) ?? []
        if let skip = json["skipped"] {
            if let phone = skip["duplicate_phone"]?.string {
                skipped = .duplicatePhone(phone)
            } else if let what = skip["clash"]?.string {
                skipped = .phoneClash(what)
            } else if let key = skip["held_by"]?.string {
                skipped = .heldByUnreadableRow(key: key, reason: skip["reason"]?.string ?? "")
            } else if let reason = skip["row"]?.string {
                let kind = skip["kind"]?.string.flatMap(LocalRowProblem.Kind.init(rawValue:)) ?? .unreadable
                skipped = .unreadableRow(
                    LocalRowProblem(
                        kind, reason, rawPhone: skip["raw_phone"]?.string, phone: skip["read_phone"]?.string))
            }
        }
    }

    private static func json(_ write: LocalWrite) -> JSON {
        switch write {
        case .insert(let contact): return ["insert": contact.json]
        case .update(let key, let expected, let new):
            return ["update": .string(key), "from": expected.json, "to": new.json]
        case .delete(let key, let expected):
            return ["delete": .string(key), "expected": expected.map(\.json) ?? .null]
        }
    }

    private static func crmWrite(_ json: JSON) -> LocalWrite? {
        if let contact = json["insert"].flatMap(Contact.init(json:)) { return .insert(contact) }
        if let key = json["update"]?.string, let from = json["from"].flatMap(Contact.init(json:)),
            let to = json["to"].flatMap(Contact.init(json:))
        {
            return .update(key: key, expected: from, new: to)
        }
        if let key = json["delete"]?.string {
            return .delete(key: key, expected: json["expected"].flatMap(Contact.init(json:)))
        }
        return nil
    }

    private static func json(_ write: RemoteWrite) -> JSON {
        switch write {
        case .create(let contact): return ["create": contact.json]
        case .update(let id, let from, let to):
            return ["update": .string(id), "from": from.json, "to": to.json]
        case .delete(let id): return ["delete": .string(id)]
        case .recreate(let contact, let old, let oldContact):
            return ["recreate": contact.json, "replacing": .string(old), "old": oldContact.json]
        }
    }

    private static func remoteWrite(_ json: JSON) -> RemoteWrite? {
        if let contact = json["create"].flatMap(Contact.init(json:)) { return .create(contact) }
        if let id = json["update"]?.string, let from = json["from"].flatMap(Contact.init(json:)),
            let to = json["to"].flatMap(Contact.init(json:))
        {
            return .update(id: id, from: from, to: to)
        }
        if let id = json["delete"]?.string { return .delete(id: id) }
        if let contact = json["recreate"].flatMap(Contact.init(json:)), let old = json["replacing"]?.string,
            let oldContact = json["old"].flatMap(Contact.init(json:))
        {
            return .recreate(contact, replacing: old, old: oldContact)
        }
        return nil
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
        default:
            self = .attribute(
                text.hasPrefix("attributes.") ? String(text.dropFirst("attributes.".count)) : text)
        }
    }
}
