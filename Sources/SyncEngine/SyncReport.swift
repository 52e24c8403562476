public import JSON

/// What one sync did: the one-line summary, the per-contact lines of a dry run, and notes.
public struct SyncReport: Sendable {
    public struct SideCounts: Sendable, Equatable {
        public var created = 0
        public var updated = 0
        public var deleted = 0

        var text: String { "+\(created) ~\(updated) -\(deleted)" }
        var isZero: Bool { created == 0 && updated == 0 && deleted == 0 }
    }

    public var vendor: String
    public var dryRun = false
    /// The cycle stopped for the vendor's rate limit, its progress saved; the counts are of
    /// what it did until then.
    public var deferred = false
    /// Remote contacts listed.
    public var pulled = 0
    public var local = SideCounts()
    public var remote = SideCounts()
    public var conflicts = 0
    /// Contacts left out this cycle, by reason (invalid phone, duplicate phone...).
    public var skipped: [String: Int] = [:]
    /// Contacts the vendor refused.
    public var rejected = 0
    /// Writes the CRM refused (a constraint, a value its columns cannot hold).
    public var refusedByCRM = 0
    public var requests = 0
    public var seconds = 0.0
    /// Things the user should know (an unlinked old contact, a change feed that overflowed).
    public var notes: [String] = []
    /// One line a planned change (dry runs, or `--verbose`).
    public var planLines: [String] = []

    public init(vendor: String) {
        self.vendor = vendor
    }

    public var wroteNothing: Bool { local.isZero && remote.isZero }

    mutating func skip(_ reason: String) { skipped[reason, default: 0] += 1 }

    /// Counts what an item did on each side (or, in a dry run, would do).
    mutating func tally(_ item: PlanItem) {
        switch item.localAction {
        case .insert: local.created += 1
        case .update: local.updated += 1
        case .delete: local.deleted += 1
        case .none: break
        }
        switch item.remoteAction {
        case .create, .recreate: remote.created += 1
        case .update: remote.updated += 1
        case .delete: remote.deleted += 1
        case .none: break
        }
        conflicts += item.conflicts.count
    }

    /// `synced waply in 1.42s: pulled 1000; CRM +12 ~5 -0; waply +30 ~8 -0; conflicts 1; ...`
    public var summaryLine: String {
        let skippedTotal = skipped.values.reduce(0, +)
        let reasons = skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
            separator: ", ")
        var line =
            dryRun
            ? "dry run with \(vendor) (nothing was changed)"
            : deferred ? "deferred with \(vendor) (progress saved)" : "synced with \(vendor)"
        line +=
            " in \(String(format2(seconds)))s: pulled \(pulled); CRM \(local.text); \(vendor) \(remote.text)"
        line +=
            "; conflicts \(conflicts); skipped \(skippedTotal)\(skippedTotal > 0 ? " (\(reasons))" : ""); rejected \(rejected)"
        if refusedByCRM > 0 { line += "; refused by the CRM \(refusedByCRM)" }
        return line + "; requests \(requests)"
    }

    /// Whether some contact could not be written to one side or the other.
    public var isPartial: Bool { rejected > 0 || refusedByCRM > 0 }

    public var json: JSON {
        [
            "vendor": .string(vendor), "dry_run": .bool(dryRun), "pulled": .int(pulled),
            "local": [
                "created": .int(local.created), "updated": .int(local.updated),
                "deleted": .int(local.deleted),
            ],
            "remote": [
                "created": .int(remote.created), "updated": .int(remote.updated),
                "deleted": .int(remote.deleted),
            ],
            "conflicts": .int(conflicts),
            "skipped": .object(
                JSONObject(skipped.sorted { $0.key < $1.key }.map { ($0.key, JSON.int($0.value)) })),
            "rejected": .int(rejected), "refused_by_crm": .int(refusedByCRM), "requests": .int(requests),
            "seconds": .double((seconds * 1000).rounded() / 1000),
            "notes": JSON(notes),
        ]
    }
}

/// Two decimals, without Foundation's locale-dependent formatting.
func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}
