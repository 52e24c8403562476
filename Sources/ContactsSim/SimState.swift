import ContactModel
import HTTPServer
import JSON

/// Everything an emulator instance knows, guarded by one lock in `ContactsSimulator`.
///
/// One lock for all of it keeps every request atomic (a drop-after-write fault applies the
/// write and only then hangs up) at a cost that loopback traffic never notices.
struct SimState {
    var configuration: SimConfiguration
    var store = ContactStore()
    var limiter: RateLimiter
    var faults: FaultPlan
    var counters = RequestCounters()
    var random: SeededRandom
    var generator: SeedGenerator
    var tokens: TokenBook
    /// SendyStack's Idempotency-Key replays, by key.
    var idempotentReplies: [String: IdempotentReply] = [:]
    var uploads: [String: SimUpload] = [:]
    var exports: [String: SimExport] = [:]
    /// Added to the real clock; moved by `/_sim/clock`.
    var clockOffsetMilliseconds: Int64 = 0
    let clock: any WallClock
    /// The `--state` file, when there is one. A connection confined to this state's lock.
    var stateFile: StateFile?

    init(configuration: SimConfiguration, clock: any WallClock) {
        self.configuration = configuration
        self.clock = clock
        limiter = RateLimiter(limit: configuration.rateLimit)
        faults = configuration.faults
        random = SeededRandom(seed: configuration.randomSeed)
        generator = SeedGenerator(seed: configuration.randomSeed)
        tokens = TokenBook(ownerToken: configuration.token)
    }

    var dialect: Dialect { configuration.dialect }

    func now() -> Timestamp { clock.now().adding(milliseconds: clockOffsetMilliseconds) }

    // MARK: - Creating contacts

    /// Gives a new contact the vendor's kind of id and stores it.
    @discardableResult
    mutating func insertNew(_ contact: SimContact) -> SimContact {
        var contact = contact
        let now = self.now()
        switch dialect {
        case .sendystack: contact.id = "ct_" + ulid(at: now)
        case .waply: contact.id = "con_" + ulid(at: now)
        case .superwaba:
            contact.id = "contact_" + uuid()
            contact.vendorContactID = String(format8Hex(now.millisecondsSinceEpoch / 1000)) + random.hex(16)
        case .qlara:
            contact.id = String(store.nextNumericID)
            store.nextNumericID += 1
        }
        return store.insert(contact)
    }

    /// A fresh contact stamped now, ready for `insertNew`.
    func blankContact() -> SimContact {
        let now = self.now()
        return SimContact(createdAt: now, updatedAt: now)
    }

    /// Adds `count` generated contacts whose phones are not taken yet.
    mutating func seed(count: Int, seed: UInt64?) -> Int {
        if let seed { generator = SeedGenerator(seed: seed) }
        let keys = dialect == .waply && !configuration.customFields.isEmpty ? configuration.customFields : nil
        var added = 0
        var attempts = 0
        while added < count && attempts < count * 10 + 100 {
            attempts += 1
            var contact = generator.contact(at: now(), attributeKeys: keys)
            guard let phone = contact.phone, store.contact(phone: phone) == nil else { continue }
            if dialect == .qlara {
                contact.listIDs = contact.tags.map { listID(named: $0) }
                contact.tags = []
            }
            insertNew(contact)
            added += 1
        }
        return added
    }

    /// The oldest list of that name, created when missing (how syncd maps tags on Qlara).
    mutating func listID(named name: String) -> Int {
        if let existing = store.lists.values.filter({ $0.name == name }).min(by: { $0.id < $1.id }) {
            return existing.id
        }
        return store.addList(name: name, description: nil, at: now()).id
    }

    /// Inserts and deletes contacts the way dashboard users would while a client pages.
    mutating func churn(insert: Int, delete: Int) {
        for _ in 0..<delete where store.count > 0 {
            let key = store.order[Int.random(in: 0..<store.order.count, using: &random)]
            store.remove(key: key)
        }
        _ = seed(count: insert, seed: nil)
    }

    // MARK: - Rendering pages

    /// `[item,item,...]` for the given contacts, reusing each contact's rendered bytes until
    /// it changes.
    mutating func renderedArray(_ keys: some Sequence<Int>, render: (SimContact) -> JSON) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "[")]
        var first = true
        for key in keys {
            guard let contact = store.contact(key: key) else { continue }
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            if let cached = store.renderedItems[key] {
                output.append(contentsOf: cached)
            } else {
                let bytes = render(contact).serialized
                store.renderedItems[key] = bytes
                output.append(contentsOf: bytes)
            }
        }
        output.append(UInt8(ascii: "]"))
        return output
    }

    // MARK: - Ids

    mutating func ulid(at now: Timestamp) -> String {
        var time = UInt64(max(0, now.millisecondsSinceEpoch))
        var characters: [Character] = []
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        for _ in 0..<10 {
            characters.insert(alphabet[Int(time % 32)], at: 0)
            time /= 32
        }
        return String(characters) + random.base32(16)
    }

    mutating func uuid() -> String {
        let hex = random.hex(32)
        let chars = Array(hex)
        return
            "\(String(chars[0..<8]))-\(String(chars[8..<12]))-4\(String(chars[13..<16]))-a\(String(chars[17..<20]))-\(String(chars[20..<32]))"
    }

    private func format8Hex(_ value: Int64) -> String {
        let text = String(UInt32(truncatingIfNeeded: value), radix: 16)
        return String(repeating: "0", count: max(0, 8 - text.count)) + text
    }

    // MARK: - Faults

    /// Whether a fault of one kind strikes now: a pending "next N" first, then the dice.
    mutating func strikes(next: WritableKeyPath<FaultPlan, Int>, rate: KeyPath<FaultPlan, Double>) -> Bool {
        if faults[keyPath: next] > 0 {
            faults[keyPath: next] -= 1
            return true
        }
        return random.chance(faults[keyPath: rate])
    }

    /// Milliseconds to wait before serving a request.
    mutating func latency(for request: HTTPRequest) -> Int {
        guard faults.matches(method: request.method, path: request.path) else { return 0 }
        var delay = faults.latencyMilliseconds
        if random.chance(faults.spikeRate) { delay += faults.spikeMilliseconds }
        return delay
    }

    // MARK: - Persistence

    /// Writes what changed to the state file, if there is one.
    mutating func save() throws {
        guard let stateFile else { return }
        try stateFile.save(&store, clockOffset: clockOffsetMilliseconds)
    }
}

/// A SendyStack answer kept for replay under its Idempotency-Key.
struct IdempotentReply: Sendable {
    let body: [UInt8]
    let response: HTTPResponse
    let at: Timestamp
}

/// Credentials the emulator accepts.
struct TokenBook: Sendable {
    /// Long-lived tokens and API keys, with their role.
    var roles: [String: Caller.Role]
    /// SuperWaba access tokens issued by the token endpoint, with their expiry.
    var accessTokens: [String: Timestamp] = [:]
    var refreshTokens: Set<String> = []

    init(ownerToken: String) {
        roles = [ownerToken: .owner]
    }
}
