public import Configuration
import Foundation
import LocalStore
public import Vendors

/// What a quiet full cycle costs against the vendor's request budget: a listing of the
/// whole book, page by page. A book whose listing takes longer than `sync.interval_seconds`
/// is listed back to back (the daemon goes on from where each stretch stopped), so the
/// operator is told rather than left wondering why cycles never rest.
public struct FullCycleCost: Sendable, Equatable {
    /// Contacts linked so far (the book's size as syncd knows it).
    public var contacts: Int
    /// Listing requests one full cycle makes.
    public var requests: Int
    /// The budget a minute the estimate assumes; `nil` where the vendor publishes none.
    public var requestsPerMinute: Int?

    public init(contacts: Int, vendor: Vendor, requestsPerMinute: Int?) {
        self.contacts = contacts
        self.requests =
            vendor.listsWholeBook ? max(1, (contacts + vendor.listPageSize - 1) / vendor.listPageSize) : 1
        self.requestsPerMinute = requestsPerMinute
    }

    /// The least time the budget lets a full listing take: the first window's worth goes at
    /// once, each further window's worth a minute later. `nil` without a published budget.
    public var secondsAtBudget: Double? {
        guard let requestsPerMinute, requestsPerMinute > 0 else { return nil }
        return Double((requests - 1) / requestsPerMinute) * 60
    }

    /// A warning when full cycles cannot rest between intervals, else `nil`.
    public func warning(interval: Double) -> String? {
        guard let seconds = secondsAtBudget, seconds > interval, let requestsPerMinute else { return nil }
        return
            "a full cycle lists \(contacts) contacts in \(requests) requests, at least \(Self.describe(seconds)) at \(requestsPerMinute) requests a minute — longer than sync.interval_seconds (\(Int(interval))): full cycles will run back to back (CRM edits still go out between their stretches); raise sync.interval_seconds to \(Int(seconds.rounded(.up))) or more to leave the budget room"
    }

    /// "9 min", "45 s": how long, for people.
    public static func describe(_ seconds: Double) -> String {
        seconds >= 120 ? "\(Int((seconds / 60).rounded())) min" : "\(Int(seconds.rounded())) s"
    }
}

extension SyncEngine {
    /// The cost of a full cycle for the book in `configuration`'s state file; `nil` before
    /// the first sync.
    public static func fullCycleCost(_ configuration: SyncdConfiguration) -> FullCycleCost? {
        guard FileManager.default.fileExists(atPath: configuration.sync.state),
            let state = try? StateStore(path: configuration.sync.state),
            let links = try? state.linkCount()
        else { return nil }
        return FullCycleCost(
            contacts: links, vendor: configuration.remote.provider,
            requestsPerMinute: configuration.remote.effectiveRequestsPerMinute)
    }
}
