/// A linked vendor contact as last synced — its listed hash and `updatedAt` — and the page
/// this cycle's listing showed it on. 48 bytes with its key: a cycle holds one for every
/// linked contact of the book.
struct KnownRemote {
    fileprivate var key: KnownRemotes.Key
    let linkID: Int64
    private var rawHash: Int64
    private var rawUpdatedAt: Int64
    private var rawPage: Int32 = -1
    private var present: UInt8

    fileprivate init(key: KnownRemotes.Key, linkID: Int64, hash: Int64?, updatedAt: Int64?) {
        self.key = key
        self.linkID = linkID
        rawHash = hash ?? 0
        rawUpdatedAt = updatedAt ?? 0
        present = (hash == nil ? 0 : 1) | (updatedAt == nil ? 0 : 2)
    }

    var hash: Int64? { present & 1 != 0 ? rawHash : nil }
    var updatedAt: Int64? { present & 2 != 0 ? rawUpdatedAt : nil }

    /// The listing page it was seen on this cycle (counted from 0); `nil`: not (yet) seen.
    var listedOnPage: Int? {
        get { rawPage >= 0 ? Int(rawPage) : nil }
        set { rawPage = newValue.map { Int32(clamping: $0) } ?? -1 }
    }
}

/// The linked vendor contacts, found by id: one sorted array keyed by a 128-bit fingerprint
/// of the id. A dictionary of `String` ids costs about three times as much (each 30-byte
/// id is its own heap allocation), which a million-contact book feels; a fingerprint shared
/// by two ids (odds around 10⁻²⁶ for a million) is caught when the table is sealed.
struct KnownRemotes {
    struct Key: Comparable {
        var high: UInt64
        var low: UInt64
        static func < (a: Key, b: Key) -> Bool { (a.high, a.low) < (b.high, b.low) }
    }

    private var entries: [KnownRemote] = []

    var count: Int { entries.count }

    /// Two differently salted SipHashes of the id (the process's seed; never stored).
    static func key(_ id: String) -> Key {
        var high = Hasher()
        high.combine(0x5EED as UInt16)
        high.combine(id)
        var low = Hasher()
        low.combine(0xF00D as UInt16)
        low.combine(id)
        return Key(
            high: UInt64(bitPattern: Int64(high.finalize())), low: UInt64(bitPattern: Int64(low.finalize())))
    }

    mutating func reserveCapacity(_ count: Int) { entries.reserveCapacity(count) }

    mutating func add(id: String, linkID: Int64, hash: Int64?, updatedAt: Int64?) {
        entries.append(KnownRemote(key: Self.key(id), linkID: linkID, hash: hash, updatedAt: updatedAt))
    }

    /// Sorts for lookups; `false` when two ids share a fingerprint (then nothing can be trusted).
    mutating func seal() -> Bool {
        entries.sort { $0.key < $1.key }
        return !zip(entries, entries.dropFirst()).contains { $0.key == $1.key }
    }

    func index(of id: String) -> Int? {
        let key = Self.key(id)
        var (low, high) = (0, entries.count)
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].key < key { low = middle + 1 } else { high = middle }
        }
        return low < entries.count && entries[low].key == key ? low : nil
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
