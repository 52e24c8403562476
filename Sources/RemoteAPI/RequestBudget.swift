public import Foundation
import Synchronization

/// How many requests syncd may send, shared by every request of one client (listing pages,
/// detail reads and writes alike), so that the process as a whole stays inside the vendor's
/// limit instead of discovering it through 429s.
///
/// - A rolling window: at most `limit` requests in any `window` seconds (a minute).
/// - Headers: when `X-RateLimit-Remaining` runs low, requests are spaced evenly over the
///   rest of the window instead of spent at once.
/// - 429s: every request pauses for the vendor's hint; a vendor that publishes no limit
///   (`learns`) gets one learned from the rate that drew the 429, raised again by a tenth for
///   every quiet window.
/// Each request reserves its slot under the lock before sleeping, so concurrent senders do
/// not all wake at the same moment.
public final class RequestBudget: Sendable {
    struct State {
        var limit: Int?
        /// Send times in order; those before `head` have left the window (dropped in bulk
        /// now and then, so each request costs amortized constant time).
        var sent: [Date] = []
        var head = 0
        var pauseUntil = Date.distantPast
        var spacing = 0.0
        var lastLimited: Date?
        var lastRaise = Date()
    }

    public let window: Double
    private let learns: Bool
    /// At most this many in any second (Qlara's bursts of 50), besides the window's limit.
    private let perSecond: Int?
    private let state: Mutex<State>

    public init(perWindow limit: Int?, window: Double = 60, learns: Bool, perSecond: Int? = nil) {
        self.window = window
        self.learns = learns
        self.perSecond = perSecond
        state = Mutex(State(limit: limit))
    }

    /// Records that the request planned for `planned` left at `actual` (later, on a busy
    /// machine): the windows count when requests left, so the next reservations are made
    /// from the truth.
    public func confirm(planned: Date, actual: Date) {
        guard actual > planned else { return }
        state.withLock { state in
            guard let index = state.sent[state.head...].lastIndex(of: planned) else { return }
            state.sent.remove(at: index)
            // Searched from the end: a request is confirmed soon after it left, among the newest.
            let position = state.sent[state.head...].lastIndex { $0 <= actual }.map { $0 + 1 } ?? state.head
            state.sent.insert(actual, at: position)
        }
    }

    /// Gives back a slot reserved for a request that will not be sent (its cycle deferred,
    /// or cancelled while waiting), so it does not count against the window.
    public func release(planned: Date) {
        state.withLock { state in
            guard let index = state.sent[state.head...].lastIndex(of: planned) else { return }
            state.sent.remove(at: index)
        }
    }

    /// The send times still inside the window, to keep across processes (a timer's back-to-back
    /// runs share the vendor's limit as much as one process's requests do).
    public func recentSends(now: Date = Date()) -> [Date] {
        state.withLock { state in
            let cutoff = now.addingTimeInterval(-window)
            return state.sent[state.head...].filter { $0 > cutoff && $0 <= now }
        }
    }

    /// Takes over the recent sends of an earlier process, when this budget has sent nothing yet.
    public func restore(_ sends: [Date], now: Date = Date()) {
        state.withLock { state in
            guard state.sent.count == state.head else { return }
            let cutoff = now.addingTimeInterval(-window)
            state.sent = sends.filter { $0 > cutoff && $0 <= now }.sorted()
            state.head = 0
        }
    }

    /// The limit in force (learned or published); `nil` when none.
    public var currentLimit: Int? { state.withLock { $0.limit } }

    /// Reserves a slot; returns how long the caller must wait before sending.
    public func reserve(now: Date = Date()) -> Double {
        reserveSlot(now: now).timeIntervalSince(now)
    }

    /// When a request could leave if one were asked for now (nothing is reserved): a daemon
    /// whose listing the budget cut short sleeps until then instead of asking again and again.
    public func nextSlot(now: Date = Date(), leaving room: Int = 0) -> Date {
        state.withLock { state in earliest(&state, now: now, leaving: room) }
    }

    /// Reserves a slot; returns when the caller may send. `room`: slots of the window left
    /// free for others (a daemon's long listing leaves some for the CRM's pushes).
    public func reserveSlot(now: Date = Date(), leaving room: Int = 0) -> Date {
        state.withLock { state in
            let start = earliest(&state, now: now, leaving: room)
            if let last = state.sent.last, start < last {
                // Rare (a pause ended early for an earlier reservation): keep the order.
                let position = state.sent[state.head...].firstIndex { $0 > start } ?? state.sent.endIndex
                state.sent.insert(start, at: position)
            } else {
                state.sent.append(start)
            }
            return start
        }
    }

    /// The first moment the window, the per-second burst, the spacing and any pause allow.
    private func earliest(_ state: inout State, now: Date, leaving room: Int) -> Date {
        let cutoff = now.addingTimeInterval(-window)
        while state.head < state.sent.count && state.sent[state.head] <= cutoff { state.head += 1 }
        if state.head > 1024 && state.head * 2 > state.sent.count {
            state.sent.removeFirst(state.head)
            state.head = 0
        }
        let inWindow = state.sent.count - state.head
        if learns, let limit = state.limit,
            now.timeIntervalSince(state.lastLimited ?? .distantPast) > window,
            now.timeIntervalSince(state.lastRaise) > window
        {
            state.limit = limit + max(1, limit / 10)
            state.lastRaise = now
        }
        var start = max(now, state.pauseUntil)
        if let whole = state.limit {
            let limit = max(1, whole - max(0, room))
            if inWindow >= limit {
                start = max(start, state.sent[state.sent.count - limit].addingTimeInterval(window))
            }
        }
        if let perSecond, inWindow >= perSecond {
            // A tenth of a second to spare: requests sent a second apart can arrive closer.
            start = max(start, state.sent[state.sent.count - perSecond].addingTimeInterval(1.1))
        }
        if state.spacing > 0, let last = state.sent.last {
            start = max(start, last.addingTimeInterval(state.spacing))
        }
        return start
    }

    /// Reads a response's rate-limit signals.
    public func observe(_ response: RemoteResponse, now: Date = Date()) {
        let remaining = response.header("X-RateLimit-Remaining").flatMap(Int.init)
        let limit = response.header("X-RateLimit-Limit").flatMap(Int.init)
        state.withLock { state in
            if let remaining, let limit, limit > 0 {
                state.spacing = remaining <= max(2, limit / 20) ? window / Double(limit) : 0
            }
            guard response.status == 429 else { return }
            let hint = RetryPolicy.hint(in: response, now: now) ?? 0
            state.pauseUntil = max(state.pauseUntil, now.addingTimeInterval(hint))
            state.lastLimited = now
            if learns {
                let recent = state.sent[state.head...].filter {
                    $0 > now.addingTimeInterval(-window) && $0 <= now
                }.count
                state.limit = max(5, min(state.limit ?? Int.max, Int(Double(recent) * 0.8)))
                state.lastRaise = now
            }
        }
    }
}
