import ContactModel
import LocalStore

/// Which CRM row each person is in this cycle.
///
/// A link follows a person, not a row key: CRMs reuse keys (SQLite hands out a deleted
/// INTEGER PRIMARY KEY again), re-import whole tables in another order, and move people to
/// new keys. Before anything is decided, every link whose row was deleted or now holds
/// another phone looks for the row that holds its phone now — a row new this cycle, a row
/// whose own link left it, or a row skipped so far as a duplicate of that phone. Found, the
/// link follows that row (an ordinary edit of the same vendor contact, often no write at all);
/// not found, a deleted or reinserted row means the person left the CRM, while a phone edit
/// by UPDATE stays an edit.
struct IdentityMap {
    /// Links that follow another row from now on, by link id: that row's key.
    private(set) var movedTo: [Int64: String] = [:]
    /// The reverse: the link now following each of those rows.
    private(set) var movedFrom: [String: Int64] = [:]
    /// Links whose row is gone or is somebody else now, and which follow no other row.
    private(set) var released: Set<Int64> = []

    /// `link` as it stands this cycle: following the row it moved to, if it moved.
    func following(_ link: Link) -> Link {
        guard let key = movedTo[link.id] else { return link }
        var moved = link
        moved.localKey = key
        return moved
    }

    func isReleased(_ link: Link) -> Bool { released.contains(link.id) }
    func hasMoved(_ link: Link) -> Bool { movedTo[link.id] != nil }

    /// Whether the row under `key` belongs to no link this cycle: `linkAtKey` (the link the
    /// state file has for that key) moved away or was released, and no link moved in.
    func isUnclaimed(_ key: String, linkAtKey: Link?) -> Bool {
        guard movedFrom[key] == nil else { return false }
        guard let linkAtKey else { return true }
        return isReleased(linkAtKey) || hasMoved(linkAtKey)
    }

    /// The link a changed row belongs to this cycle, given the one the state file joins to it.
    func owner(ofKey key: String, joined: Link?, state: StateStore) throws -> Link? {
        if let id = movedFrom[key] { return try state.link(id: id).map(following) }
        guard let joined, !isReleased(joined), !hasMoved(joined) else { return nil }
        return joined
    }

    mutating func move(_ link: Link, to key: String) {
        movedTo[link.id] = key
        movedFrom[key] = link.id
    }

    mutating func release(_ link: Link) { released.insert(link.id) }
}

extension SyncCycle {
    /// Pairs the links whose rows were deleted or changed phone with the rows that now hold
    /// their phones; see `IdentityMap`.
    func resolveIdentities() throws -> IdentityMap {
        var map = IdentityMap()
        let displaced = try state.displacedLinks()
        guard !displaced.isEmpty else { return map }
        for (link, _) in displaced {
            for key in try state.unlinkedLocalKeys(phone: link.phone)
            where key != link.localKey && map.movedFrom[key] == nil {
                guard try holdsPhone(key, link.phone) else { continue }
                map.move(link, to: key)
                break
            }
        }
        for (link, change) in displaced where !map.hasMoved(link) {
            let rowTaken = change.key == link.localKey && map.movedFrom[change.key] != nil
            if change.deleted || change.replaced || rowTaken { map.release(link) }
        }
        return map
    }

    /// Whether the row under `key` holds `phone` now: from this cycle's changes, or read
    /// from the CRM for a row syncd indexed earlier (it may have gone since).
    private func holdsPhone(_ key: String, _ phone: String) throws -> Bool {
        if let change = try state.localChange(key: key) {
            return !change.deleted && change.contact?.phone.e164 == phone
        }
        guard let row = try crm.rows(keys: [key])[key], case .success(let contact) = row.contact else {
            return false
        }
        return contact.phone.e164 == phone
    }
}
