import ContactModel

/// The emulator's contacts, with the indexes every dialect needs: by id, by phone, in
/// creation order, and sorted views built on demand and kept until the next write.
///
/// A value type, owned by the emulator's state under its lock.
struct ContactStore: Sendable {
    enum SortKey: String, Sendable, CaseIterable {
        case created, updated, name, phone, email, numericID, lastMessage
    }

    private(set) var contacts: [Int: SimContact] = [:]
    /// Keys in creation order.
    private(set) var order: [Int] = []
    private var keyByID: [String: Int] = [:]
    private var keyByPhone: [String: Int] = [:]
    private var keyByVendorID: [String: Int] = [:]
    private var sortedViews: [String: [Int]] = [:]

    private(set) var lists: [Int: SimList] = [:]
    var nextKey = 1
    var nextNumericID = 1001
    var nextListID = 501
    var sequence: Int64 = 0

    /// Keys written or removed since the last save, for the `--state` file.
    var dirtyKeys: Set<Int> = []
    var removedKeys: Set<Int> = []
    var listsDirty = false
    /// Rendered list items by key, dropped when the contact changes (list pages are the
    /// emulator's hottest path).
    var renderedItems: [Int: [UInt8]] = [:]

    var count: Int { contacts.count }

    // MARK: - Lookups

    func contact(id: String) -> SimContact? { keyByID[id].flatMap { contacts[$0] } }
    func contact(phone: String) -> SimContact? { keyByPhone[phone].flatMap { contacts[$0] } }
    func contact(vendorID: String) -> SimContact? { keyByVendorID[vendorID].flatMap { contacts[$0] } }
    func contact(key: Int) -> SimContact? { contacts[key] }

    /// Keys in the order asked for; ties break by creation order so pages are stable.
    mutating func keys(sortedBy sortKey: SortKey, ascending: Bool) -> [Int] {
        if sortKey == .created { return ascending ? order : order.reversed() }
        let cacheKey = "\(sortKey.rawValue)/\(ascending)"
        if let cached = sortedViews[cacheKey] { return cached }
        let contacts = self.contacts
        func less(_ a: Int, _ b: Int) -> Bool {
            guard let x = contacts[a], let y = contacts[b] else { return a < b }
            switch sortKey {
            case .created: return a < b
            case .updated:
                if x.updatedAt != y.updatedAt { return x.updatedAt < y.updatedAt }
                return x.sequence < y.sequence
            case .name: return Self.compare(x.name?.lowercased(), y.name?.lowercased()) ?? (a < b)
            case .phone: return Self.compare(x.phone, y.phone) ?? (a < b)
            case .email: return Self.compare(x.email?.lowercased(), y.email?.lowercased()) ?? (a < b)
            case .numericID: return (Int(x.id) ?? a) < (Int(y.id) ?? b)
            case .lastMessage: return Self.compare(x.lastMessageAt, y.lastMessageAt) ?? (a < b)
            }
        }
        var sorted = order.sorted(by: less)
        if !ascending { sorted.reverse() }
        sortedViews[cacheKey] = sorted
        return sorted
    }

    /// Orders present values before absent ones; `nil` when equal (caller breaks the tie).
    private static func compare<T: Comparable>(_ x: T?, _ y: T?) -> Bool? {
        switch (x, y) {
        case (nil, nil): return nil
        case (nil, _): return false
        case (_, nil): return true
        case (let x?, let y?): return x == y ? nil : x < y
        }
    }

    // MARK: - Writes

    /// Stores a new contact; the caller has set its ids and timestamps.
    mutating func insert(_ contact: SimContact) -> SimContact {
        var contact = contact
        contact.key = nextKey
        nextKey += 1
        sequence += 1
        contact.sequence = sequence
        contacts[contact.key] = contact
        order.append(contact.key)
        index(contact)
        changed(contact.key)
        return contact
    }

    /// Applies `change` to a stored contact and moves its `updatedAt` forward, strictly, so
    /// every write is visible as a newer timestamp.
    @discardableResult
    mutating func update(key: Int, at now: Timestamp, _ change: (inout SimContact) -> Void) -> SimContact? {
        guard var contact = contacts[key] else { return nil }
        unindex(contact)
        change(&contact)
        contact.updatedAt = max(now, contact.updatedAt.adding(milliseconds: 1))
        sequence += 1
        contact.sequence = sequence
        contacts[key] = contact
        index(contact)
        changed(key)
        return contact
    }

    mutating func remove(key: Int) {
        guard let contact = contacts.removeValue(forKey: key) else { return }
        unindex(contact)
        if let position = binarySearch(order, key) { order.remove(at: position) }
        changed(key)
        removedKeys.insert(key)
        dirtyKeys.remove(key)
    }

    mutating func removeAll() {
        removedKeys.formUnion(contacts.keys)
        self = ContactStore(removedKeys: removedKeys, nextKey: nextKey)
        listsDirty = true
    }

    private init(removedKeys: Set<Int>, nextKey: Int) {
        self.removedKeys = removedKeys
        self.nextKey = nextKey
    }

    init() {}

    // MARK: - Lists (Qlara)

    mutating func addList(name: String, description: String?, at now: Timestamp) -> SimList {
        let list = SimList(id: nextListID, name: name, description: description, createdAt: now)
        nextListID += 1
        lists[list.id] = list
        listsDirty = true
        return list
    }

    mutating func restore(list: SimList) {
        lists[list.id] = list
        nextListID = max(nextListID, list.id + 1)
    }

    func memberCount(ofList id: Int) -> Int {
        contacts.values.reduce(0) { $0 + ($1.listIDs.contains(id) ? 1 : 0) }
    }

    // MARK: - Loading from the state file

    mutating func restore(contact: SimContact) {
        contacts[contact.key] = contact
        if (order.last ?? 0) < contact.key {
            order.append(contact.key)
        } else {
            order.insert(contact.key, at: order.firstIndex { $0 > contact.key } ?? order.endIndex)
        }
        index(contact)
        nextKey = max(nextKey, contact.key + 1)
        sequence = max(sequence, contact.sequence)
        if let numeric = Int(contact.id) { nextNumericID = max(nextNumericID, numeric + 1) }
    }

    // MARK: - Indexes

    private mutating func index(_ contact: SimContact) {
        keyByID[contact.id] = contact.key
        if let phone = contact.phone { keyByPhone[phone] = contact.key }
        if let vendorID = contact.vendorContactID { keyByVendorID[vendorID] = contact.key }
    }

    private mutating func unindex(_ contact: SimContact) {
        keyByID[contact.id] = nil
        if let phone = contact.phone, keyByPhone[phone] == contact.key { keyByPhone[phone] = nil }
        if let vendorID = contact.vendorContactID { keyByVendorID[vendorID] = nil }
    }

    private mutating func changed(_ key: Int) {
        sortedViews.removeAll(keepingCapacity: true)
        renderedItems[key] = nil
        dirtyKeys.insert(key)
    }

    private func binarySearch(_ keys: [Int], _ key: Int) -> Int? {
        var low = 0
        var high = keys.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if keys[middle] == key { return middle }
            if keys[middle] < key { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }
}
