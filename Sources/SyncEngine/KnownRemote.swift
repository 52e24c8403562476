import ContactModel

/// A linked vendor contact as last synced — its listed hash and `updatedAt`, and the
/// fingerprint of the listed item they came from — and the page this cycle's listing showed
/// it on. 56 bytes with its key, and 16 to 32 bytes of slots: a cycle holds one for every
/// linked contact of the book.
struct KnownRemote {
    fileprivate var key: KnownRemotes.Key
    let linkID: Int64
    private var rawHash: Int64
    private var rawUpdatedAt: Int64
    private var rawListedItem: Int64
    private var rawPage: Int32 = -1
    private var present: UInt8

    fileprivate init(
        key: KnownRemotes.Key, linkID: Int64, hash: Int64?, updatedAt: Int64?, listedItem: Int64?
    ) {
        self.key = key
        self.linkID = linkID
        rawHash = hash ?? 0
        rawUpdatedAt = updatedAt ?? 0
        rawListedItem = listedItem ?? 0
        present = (hash == nil ? 0 : 1) | (updatedAt == nil ? 0 : 2) | (listedItem == nil ? 0 : 4)
    }

    var hash: Int64? { present & 1 != 0 ? rawHash : nil }
    var updatedAt: Int64? { present & 2 != 0 ? rawUpdatedAt : nil }
    var listedItem: Int64? { present & 4 != 0 ? rawListedItem : nil }

    /// The listing page it was seen on this cycle (counted from 0); `nil`: not (yet) seen.
    var listedOnPage: Int? {
        get { rawPage >= 0 ? Int(rawPage) : nil }
        set { rawPage = newValue.map { Int32(clamping: $0) } ?? -1 }
    }
}

/// The linked vendor contacts, found by id: an array of entries keyed by a 128-bit
/// fingerprint of the id, and an open-addressed table of their positions. A dictionary of
/// `String` ids costs about three times as much (each 30-byte id is its own heap
/// allocation), which a million-contact book feels; a fingerprint shared by two ids (odds
/// around 10⁻²⁶ for a million) is caught when the table is sealed.
struct KnownRemotes {
    struct Key: Equatable {
        var high: UInt64
        var low: UInt64
    }

    private var entries: [KnownRemote] = []
    /// Where each key's entry is: at the slot the key's top bits name or the next taken one,
    /// the entry's position plus one in the low 32 bits (0: empty) and 32 other bits of its
    /// key above them, so a lookup passes over other keys' slots without reading their
    /// entries. At most half full: a lookup reads about one slot and one entry.
    private var slots: [UInt64] = [0]
    private var slotBits = 0

    var count: Int { entries.count }

    /// The id's UTF-8 bytes hashed twice: by SipHash with the process's seed (so nobody can
    /// pick ids that collide), and by the faster `StableHash.ofBlock`. Never stored.
    static func key(_ id: UnsafeRawBufferPointer) -> Key {
        var high = Hasher()
        high.combine(bytes: id)
        return Key(
            high: UInt64(bitPattern: Int64(high.finalize())),
            low: UInt64(bitPattern: StableHash.ofBlock(id)))
    }

    static func key(_ id: String) -> Key {
        var id = id
        return id.withUTF8 { key(UnsafeRawBufferPointer($0)) }
    }

    /// Adds a linked contact by the UTF-8 bytes of its id.
    mutating func add(
        id: UnsafeRawBufferPointer, linkID: Int64, hash: Int64?, updatedAt: Int64?, listedItem: Int64?
    ) {
        entries.append(
            KnownRemote(
                key: Self.key(id), linkID: linkID, hash: hash, updatedAt: updatedAt, listedItem: listedItem))
    }

    /// Builds the table for lookups; `false` when two ids share a fingerprint (then nothing
    /// can be trusted).
    mutating func seal() -> Bool {
        slotBits = 1
        while 1 << slotBits < 2 * entries.count { slotBits += 1 }
        slots = Array(repeating: 0, count: 1 << slotBits)
        for index in entries.indices {
            let key = entries[index].key
            if self.index(of: key) != nil { return false }
            var slot = firstSlot(key)
            while slots[slot] != 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = Self.tag(key) | UInt64(index + 1)
        }
        return true
    }

    private func firstSlot(_ key: Key) -> Int { Int(key.high >> (64 - UInt64(slotBits))) }

    private static func tag(_ key: Key) -> UInt64 { key.low & 0xFFFF_FFFF_0000_0000 }

    /// The entry a key's tag points to (position plus one; 0: none), reading slots only.
    private func candidate(_ key: Key) -> Int {
        let tag = Self.tag(key)
        var slot = firstSlot(key)
        while slots[slot] != 0 {
            if slots[slot] & 0xFFFF_FFFF_0000_0000 == tag { return Int(slots[slot] & 0xFFFF_FFFF) }
            slot = (slot + 1) & (slots.count - 1)
        }
        return 0
    }

    func index(of id: String) -> Int? { index(of: Self.key(id)) }

    /// The entries of many keys at once (`nil`: not linked, or no key). Looking a page's
    /// contacts up together lets the processor fetch their scattered slots and entries from
    /// memory side by side instead of one after another.
    func indices(of keys: [Key?]) -> [Int?] {
        let candidates = keys.map { key in key.map(candidate) ?? 0 }
        return zip(keys, candidates).map { key, candidate in
            guard let key, candidate != 0 else { return nil }
            return entries[candidate - 1].key == key ? candidate - 1 : index(of: key)
        }
    }

    private func index(of key: Key) -> Int? {
        let tag = Self.tag(key)
        var slot = firstSlot(key)
        while slots[slot] != 0 {
            let index = Int(slots[slot] & 0xFFFF_FFFF) - 1
            if slots[slot] & 0xFFFF_FFFF_0000_0000 == tag, entries[index].key == key { return index }
            slot = (slot + 1) & (slots.count - 1)
        }
        return nil
    }

    subscript(index: Int) -> KnownRemote {
        get { entries[index] }
        set { entries[index] = newValue }
    }

    /// The links the listing has not shown.
    func unlisted() -> [Int64] { entries.compactMap { $0.listedOnPage == nil ? $0.linkID : nil } }

    /// The links the listing showed on `pages`, with their page.
    func listed(pages: Range<Int>) -> [Int64: Int] {
        var links: [Int64: Int] = [:]
        for entry in entries {
            if let page = entry.listedOnPage, pages.contains(page) { links[entry.linkID] = page }
        }
        return links
    }
}
