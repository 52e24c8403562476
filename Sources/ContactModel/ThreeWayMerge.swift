import JSON

/// How a field changed on both sides is settled.
public enum ConflictPolicy: String, Sendable, CaseIterable {
    /// The side with the newer `updated_at` wins (the local side on a tie).
    case newest
    case local
    case remote
}

/// One side of a merge: its contact and when it last changed.
public struct MergeSide: Sendable {
    public var contact: Contact
    public var updatedAt: Timestamp?

    public init(_ contact: Contact, updatedAt: Timestamp?) {
        self.contact = contact
        self.updatedAt = updatedAt
    }
}

/// A field both sides changed to different values, and who won.
public struct FieldConflict: Sendable, Hashable {
    public enum Winner: String, Sendable { case local, remote }

    public var field: ContactField
    public var base: String?
    public var local: String?
    public var remote: String?
    public var winner: Winner
    /// Why the winner won, for the conflict log and `syncd explain`.
    public var reason: String

    public init(
        field: ContactField, base: String?, local: String?, remote: String?, winner: Winner, reason: String
    ) {
        self.field = field
        self.base = base
        self.local = local
        self.remote = remote
        self.winner = winner
        self.reason = reason
    }
}

/// The three-way, field-level merge at the heart of a sync.
///
/// Against the last-synced copy (the base), a field changed on one side only takes that
/// side's value; a field changed on both sides to different values is a conflict, settled
/// by the policy and logged. Equal values are never a conflict. Attributes merge key by
/// key, tags element by element (so adding a tag on each side keeps both). Without a base
/// (two contacts matched by phone on a first sync) an empty value takes the other side's.
/// An opt-out is sticky: in a conflict on opt-in, opted out always wins.
public enum ThreeWayMerge {
    public struct Result: Sendable {
        public var merged: Contact
        public var conflicts: [FieldConflict]
    }

    public static func merge(base: Contact?, local: MergeSide, remote: MergeSide, policy: ConflictPolicy)
        -> Result
    {
        var merged = local.contact
        var conflicts: [FieldConflict] = []

        func resolve<T: Equatable>(_ field: ContactField, _ b: T?, _ l: T?, _ r: T?) -> T? {
            if l == r { return l }
            if base != nil {
                if l == b { return r }
                if r == b { return l }
            } else {
                if l == nil { return r }
                if r == nil { return l }
            }
            var winner = winner(policy: policy, local: local.updatedAt, remote: remote.updatedAt)
            var reason = reasonText(
                policy: policy, winner: winner, local: local.updatedAt, remote: remote.updatedAt)
            if field == .optIn {
                let localOut = local.contact.optIn == .optedOut
                let remoteOut = remote.contact.optIn == .optedOut
                if localOut != remoteOut {
                    winner = localOut ? .local : .remote
                    reason = "an opt-out is sticky"
                }
            }
            conflicts.append(
                FieldConflict(
                    field: field, base: base?.value(of: field), local: local.contact.value(of: field),
                    remote: remote.contact.value(of: field), winner: winner, reason: reason))
            return winner == .local ? l : r
        }

        let b = base
        let l = local.contact
        let r = remote.contact
        if let phone = resolve(.phone, b?.phone, l.phone, r.phone) { merged.phone = phone }
        merged.name = resolve(.name, b?.name, l.name, r.name)
        merged.email = resolve(.email, b?.email, l.email, r.email)
        merged.country = resolve(.country, b?.country, l.country, r.country)
        merged.optIn = resolve(.optIn, b?.optIn, l.optIn, r.optIn)
        var attributes: [String: JSON] = [:]
        for key in Set(l.attributes.keys).union(r.attributes.keys).union(b?.attributes.keys ?? [:].keys)
            .sorted()
        {
            attributes[key] = resolve(
                .attribute(key), b?.attributes[key], l.attributes[key], r.attributes[key])
        }
        merged.attributes = attributes
        merged.tags = mergeTags(base: b?.tags, local: l.tags, remote: r.tags)
        return Result(merged: merged, conflicts: conflicts)
    }

    /// Element by element: a tag added or removed on one side is added or removed.
    static func mergeTags(base: [String]?, local: [String], remote: [String]) -> [String] {
        let l = Set(local)
        let r = Set(remote)
        guard let base else { return Array(l.union(r)).sorted() }
        let b = Set(base)
        var result = Set<String>()
        for tag in l.union(r).union(b) {
            let inLocal = l.contains(tag)
            let inRemote = r.contains(tag)
            let keep = inLocal == inRemote ? inLocal : (inLocal == b.contains(tag) ? inRemote : inLocal)
            if keep { result.insert(tag) }
        }
        return result.sorted()
    }

    private static func winner(policy: ConflictPolicy, local: Timestamp?, remote: Timestamp?)
        -> FieldConflict.Winner
    {
        switch policy {
        case .local: return .local
        case .remote: return .remote
        case .newest:
            switch (local, remote) {
            case (let l?, let r?): return r > l ? .remote : .local
            case (nil, _?): return .remote
            default: return .local
            }
        }
    }

    private static func reasonText(
        policy: ConflictPolicy, winner: FieldConflict.Winner, local: Timestamp?, remote: Timestamp?
    ) -> String {
        switch policy {
        case .local: return "sync.conflict is local"
        case .remote: return "sync.conflict is remote"
        case .newest:
            let stamp = { (t: Timestamp?) in t?.iso8601(fractionalSeconds: true) ?? "unknown" }
            return "\(winner.rawValue) is newer (local \(stamp(local)), remote \(stamp(remote)))"
        }
    }
}
