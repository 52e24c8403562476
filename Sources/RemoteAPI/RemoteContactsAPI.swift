public import ContactModel
import JSON
public import Vendors

/// A contact as the vendor holds it.
public struct RemoteContact: Sendable, Equatable {
    public var id: String
    public var contact: Contact
    /// The vendor's `updated_at`; `nil` when an answer carries none (bulk results).
    public var updatedAt: Timestamp?
    /// The vendor says the contact has not changed since it was created (its `updatedAt` is
    /// its `createdAt`): a contact syncd created holds what syncd sent.
    public var unchangedSinceCreated = false

    public init(id: String, contact: Contact, updatedAt: Timestamp?, unchangedSinceCreated: Bool = false) {
        self.id = id
        self.contact = contact
        self.updatedAt = updatedAt
        self.unchangedSinceCreated = unchangedSinceCreated
    }
}

/// A remote record syncd cannot use (no valid phone, or an id that cannot be one), with the
/// reason.
public struct UnusableRemoteContact: Error, Sendable, Equatable {
    /// What makes it unusable: the summary counts each apart.
    public enum Flaw: Sendable {
        case phone
        /// An id no vendor hands out (empty, a path, control characters, too long).
        case id
    }

    /// The id as it may be shown (escaped and cut short where it is itself the flaw).
    public var id: String
    public var reason: String
    public var flaw = Flaw.phone
}

/// One page of a listing: its contacts decoded, or its items kept for the reader to decode
/// (`listed`).
public struct RemotePage: Sendable {
    public var contacts: [RemoteContact]
    public var unusable: [UnusableRemoteContact]
    /// Items not decoded yet, beside `contacts`.
    public var listed: ListedItems?
    /// The page's number in a paged listing (where a listing can resume).
    public var number: Int?
    /// Pages in the whole listing, as far as the vendor said when this page was read.
    public var pageCount: Int?

    public init(contacts: [RemoteContact], unusable: [UnusableRemoteContact] = []) {
        self.contacts = contacts
        self.unusable = unusable
    }

    /// A page of listed items, each decoded with the vendor's reader.
    init(decoding items: [JSON], with decode: (JSON) -> Result<RemoteContact, UnusableRemoteContact>) {
        self.init(contacts: [])
        for item in items {
            switch decode(item) {
            case .success(let contact): contacts.append(contact)
            case .failure(let unusable): self.unusable.append(unusable)
            }
        }
    }

    /// A page whose items stay undecoded until the reader asks.
    init(listed: ListedItems) {
        self.init(contacts: [])
        self.listed = listed
    }
}

/// What a vendor's API can and cannot do; the engine plans around it.
public struct RemoteCapabilities: Sendable {
    /// What a listing shows.
    public enum Listing: Sendable, Equatable {
        /// Every contact, page by page.
        case complete
        /// Only the `size` most recently changed (SendyStack's 500): a change feed, in which
        /// absence never means deletion.
        case recentWindow(size: Int)
    }

    /// Fields the vendor holds.
    public var fields: FieldSet
    /// Fields syncd can change on an existing contact.
    public var writableFields: FieldSet
    /// Fields a listed item carries; the rest need a read of the contact itself.
    public var listedFields: FieldSet
    public var canDelete: Bool
    public var canChangePhone: Bool
    public var listing: Listing
    /// Whether one contact can be read by id (to confirm a deletion).
    public var canReadOne: Bool
    /// Rows per bulk create, when the vendor has a bulk endpoint.
    public var batchCreateLimit: Int?
    /// Whether a bulk create writes over a contact that already has the phone (Qlara's
    /// import creates or updates by phone): used only when a listing has just shown which
    /// phones the vendor holds, so one person is never written over with another.
    public var batchCreateOverwrites = false
    /// Contacts per listed page, where the listing is paged: a full cycle costs the book's
    /// size divided by this.
    public var listPageSize: Int?
    /// Whether a create can set opt-in; where it cannot (SuperWaba starts every contact
    /// opted out), an opted-in contact gets an update right after its create.
    public var createSetsOptIn = true
    /// Whether updates go to the vendor together (`updateBatch`): Qlara's list memberships
    /// are one request per list for every contact that joins or leaves it.
    public var updatesInBatches = false
    /// Ids per delete request, where the vendor deletes many at once.
    public var deleteBatchLimit: Int?

    public init(
        fields: FieldSet, writableFields: FieldSet, listedFields: FieldSet? = nil, canDelete: Bool,
        canChangePhone: Bool,
        listing: Listing = .complete, canReadOne: Bool, batchCreateLimit: Int? = nil
    ) {
        self.fields = fields
        self.writableFields = writableFields
        self.listedFields = listedFields ?? fields
        self.canDelete = canDelete
        self.canChangePhone = canChangePhone
        self.listing = listing
        self.canReadOne = canReadOne
        self.batchCreateLimit = batchCreateLimit
    }

    /// Whether a listing shows the whole book.
    public var listsEverything: Bool { listing == .complete }
}

/// What an update applied.
public enum UpdateOutcome: Sendable {
    /// Nothing needed sending.
    case unchanged
    /// Everything was applied; the vendor's copy afterwards.
    case applied(RemoteContact)
    /// The first requests went through (the vendor's copy after them), then one was refused.
    case partly(RemoteContact, refused: RemoteError)
}

/// How a create ended.
public enum CreateOutcome: Sendable {
    case created(RemoteContact)
    /// The phone already had a contact (found after a duplicate answer): link to it.
    case existing(RemoteContact)
}

/// A vendor's contacts API, as the sync engine uses it. One implementation a vendor.
public protocol RemoteContactsAPI: Sendable {
    var provider: Vendor { get }
    var capabilities: RemoteCapabilities { get }
    /// Request counts so far.
    var statistics: RequestExecutor.Statistics { get }
    /// The pipeline every request goes through (its budget and a cycle's wait allowance).
    var executor: RequestExecutor { get }

    /// The whole listing from page `start` on (0: from the beginning, whatever the vendor's
    /// first page number), page by page as pages arrive (in any order); ends with an error
    /// if the listing cannot be completed.
    func listAll(from start: Int) -> RemotePages
    /// One contact by id; `nil` when the vendor says it does not exist.
    func fetch(id: String) async throws(RemoteError) -> RemoteContact?
    /// The contact with exactly this phone, if the vendor has one.
    func find(phone: PhoneNumber) async throws(RemoteError) -> RemoteContact?
    /// Creates a contact. A lost answer is resolved by looking the phone up, never by
    /// blindly posting again; `key` identifies this create across retries and restarts.
    func create(_ contact: Contact, key: String) async throws(RemoteError) -> CreateOutcome
    /// Creates many at once where the vendor has a bulk endpoint; one result a row, in order.
    /// A row whose phone the vendor already had comes back `.existing`.
    func createBatch(_ contacts: [Contact], key: String) async throws(RemoteError) -> [Result<
        CreateOutcome, RemoteError
    >]
    /// Sends what changed between `old` and `new`, in as many requests as the vendor needs.
    /// Throws when nothing was applied; a write that went part of the way says what it
    /// applied and what stopped the rest.
    func update(id: String, from old: Contact, to new: Contact, key: String) async throws(RemoteError)
        -> UpdateOutcome
    func delete(id: String) async throws(RemoteError)
    /// Many updates at once, where the vendor batches part of them; one result an update.
    func updateBatch(_ updates: [RemoteUpdate]) async throws(RemoteError) -> [Result<
        UpdateOutcome, RemoteError
    >]
    /// Many deletes in one request, where the vendor has it; one result an id.
    func deleteBatch(_ ids: [String]) async throws(RemoteError) -> [Result<Void, RemoteError>]
    /// Called once at the start of every cycle, before anything is read: a vendor that keeps
    /// something of its own for a cycle (Qlara's lists) reads it here.
    func beginCycle() async throws(RemoteError)
}

/// One update of a batch.
public struct RemoteUpdate: Sendable {
    public var id: String
    public var from: Contact
    public var to: Contact
    public var key: String

    public init(id: String, from: Contact, to: Contact, key: String) {
        self.id = id
        self.from = from
        self.to = to
        self.key = key
    }
}

extension RemoteContactsAPI {
    public func listAll() -> RemotePages { listAll(from: 0) }

    public func beginCycle() async throws(RemoteError) {}

    /// One update after another, for vendors with nothing to batch.
    public func updateBatch(_ updates: [RemoteUpdate]) async throws(RemoteError) -> [Result<
        UpdateOutcome, RemoteError
    >] {
        var results: [Result<UpdateOutcome, RemoteError>] = []
        for update in updates {
            do throws(RemoteError) {
                results.append(
                    .success(
                        try await self.update(
                            id: update.id, from: update.from, to: update.to, key: update.key)))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    public func deleteBatch(_ ids: [String]) async throws(RemoteError) -> [Result<Void, RemoteError>] {
        var results: [Result<Void, RemoteError>] = []
        for id in ids {
            do throws(RemoteError) {
                try await delete(id: id)
                results.append(.success(()))
            } catch {
                results.append(.failure(error))
            }
        }
        return results
    }

    public func createBatch(_ contacts: [Contact], key: String) async throws(RemoteError) -> [Result<
        CreateOutcome, RemoteError
    >] {
        throw .unsupported("\(provider.rawValue) has no bulk create")
    }
}
