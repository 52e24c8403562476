/// A linked vendor contact as last synced — its listed hash and `updatedAt` — and the page
/// this cycle's listing showed it on. Kept to 24 bytes: a cycle holds one for every linked
/// contact of the book, and the id beside it already costs more.
struct KnownRemote {
    private var rawHash: Int64
    private var rawUpdatedAt: Int64
    private var rawPage: Int32 = -1
    private var present: UInt8

    init(hash: Int64?, updatedAt: Int64?) {
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
