import ContactModel
import JSON

/// A listed page's items as the vendor sent them, decoded only when asked.
///
/// In a quiet cycle nearly every listed contact is byte for byte what syncd saw when it last
/// synced it. Each item here has an id readable from its bytes and a fingerprint of the
/// whole item, so the engine can pass over those without decoding them; the others are
/// decoded with the vendor's reader. Only vendors whose item alone says everything syncd
/// reads from it (no lookup tables, no window) list this way.
public struct ListedItems: Sendable {
    private let page: PartlyParsedJSON
    private let what: String
    private let decoder: @Sendable (JSON) -> Result<RemoteContact, UnusableRemoteContact>

    /// The items of `page`'s deferred array, decoded by `decoder`; `what` names the request
    /// in errors.
    init(
        _ page: PartlyParsedJSON, what: String,
        decoder: @escaping @Sendable (JSON) -> Result<RemoteContact, UnusableRemoteContact>
    ) {
        self.page = page
        self.what = what
        self.decoder = decoder
    }

    public var count: Int { page.elements.count }

    /// The item's id as the vendor wrote it, when its bytes are the id decoding would give
    /// (text without escapes, or an integer); `nil`: decode the item to know. Only a hint to
    /// find the item by: its fingerprint says whether it is the one remembered.
    public func withID<Result>(_ index: Int, _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
        page.withScalarMember("id", ofElement: index, body)
    }

    /// A fingerprint of the item's bytes and of how syncd reads them, the same in every run:
    /// the same fingerprint, the same item read the same way.
    public func fingerprint(_ index: Int) -> Int64 {
        page.withElementBytes(index, StableHash.ofBlock) ^ Self.reading
    }

    /// How syncd reads list items into contacts. Change it with any change to that reading (a
    /// field read anew, a value normalized otherwise): items remembered under the old reading
    /// then no longer match, and the next cycle decodes and compares each one again instead
    /// of trusting what an older syncd made of it.
    static let reading = StableHash.of("list items, reading 2")

    /// The item decoded. An item that is not JSON makes the page a malformed answer.
    public func decode(_ index: Int) throws(RemoteError) -> Result<RemoteContact, UnusableRemoteContact> {
        do {
            return decoder(try page.element(index))
        } catch {
            throw .malformed("\(what) has an item that is not JSON (\(error.reason))")
        }
    }
}
