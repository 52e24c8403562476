public import Foundation
import Synchronization

/// Sends vendor requests through the transport, retrying what may be retried, and counts
/// every request that went out (the summary's "requests").
///
/// Written once for every vendor: what differs between them (how a 429 says when to come
/// back) is read from the response generically (`RetryPolicy.hint`).
public final class RequestExecutor: Sendable {
    /// Whether a request may be sent again after an answer that was lost.
    public enum Repeatable: Sendable {
        /// GET, PUT, PATCH, DELETE, or a POST with an idempotency key.
        case yes
        /// A plain POST: after a network failure or 5xx it may have been applied, so the
        /// caller gets `.outcomeUnknown` and looks before sending again.
        case no
    }

    public struct Statistics: Sendable {
        public var requests = 0
        public var byStatus: [Int: Int] = [:]
        public var networkFailures = 0
        public var retries = 0
        /// Seconds spent waiting before retries.
        public var waited = 0.0
        /// Seconds spent waiting for the request budget.
        public var budgetWaited = 0.0
    }

    private let transport: any HTTPTransport
    private let authorizer: any Authorizer
    private let policy: RetryPolicy
    private let timeout: Double
    private let budget: RequestBudget
    /// The longest a cycle may spend waiting for the budget before it stops as deferred.
    private let maximumWait: Double
    /// What the current cycle may still wait for the budget, and what it had waited when it
    /// began (the client of a daemon lives across cycles).
    private let allowance = Mutex((limit: Double?.none, waitedBefore: 0.0, room: 0))
    private let statistics = Mutex(Statistics())

    public init(
        transport: any HTTPTransport, policy: RetryPolicy = RetryPolicy(), timeout: Double,
        budget: RequestBudget = RequestBudget(perWindow: nil, learns: false), maximumWait: Double = 120,
        authorizer: any Authorizer
    ) {
        self.authorizer = authorizer
        self.transport = transport
        self.policy = policy
        self.timeout = timeout
        self.budget = budget
        self.maximumWait = maximumWait
    }

    public var stats: Statistics { statistics.withLock { $0 } }

    /// Starts a cycle's allowance of waiting for the budget: `seconds`, or the configured
    /// `remote.max_wait_seconds` when `nil`. A cycle that would wait longer stops as deferred.
    /// `leavingRoom`: the cycle leaves a tenth of the window (at least one request) to others.
    public func startCycle(maximumWait seconds: Double? = nil, leavingRoom: Bool = false) {
        let waited = statistics.withLock { $0.budgetWaited }
        let room = leavingRoom ? max(1, (budget.currentLimit ?? 0) / 10) : 0
        allowance.withLock { $0 = (seconds, waited, room) }
    }

    /// When the current cycle could send its next request (a deferred one: when to go on).
    public var nextSlot: Date { budget.nextSlot(leaving: allowance.withLock { $0.room }) }

    /// Seconds this cycle may still wait.
    private var waitLeft: Double {
        let waited = statistics.withLock { $0.budgetWaited }
        let (limit, before, _) = allowance.withLock { $0 }
        return (limit ?? maximumWait) - (waited - before)
    }

    /// The budget this executor keeps to, for saving and restoring across processes.
    public var requestBudget: RequestBudget { budget }

    /// Sends `request`; returns the first answer that is not retried (2xx or a 4xx other
    /// than 429). Throws `.unavailable` once retries run out. Each attempt carries the
    /// authorizer's current credential; a 401 is answered by renewing it, once, and sending
    /// the request again.
    public func send(_ unsigned: RemoteRequest, repeatable: Repeatable) async throws(RemoteError)
        -> RemoteResponse
    {
        var attempt = 0
        var lastProblem = ""
        var cutShort = false
        var renewed = false
        while true {
            try Self.checkCancellation()
            var request = unsigned
            request.freshConnection = repeatable == .no || request.body != nil
            try await authorizer.authorize(&request)
            let leftAt = try await waitForBudget()
            statistics.withLock { $0.requests += 1 }
            let hint: Double?
            do {
                let sent: Result<RemoteResponse, TransportError>
                do throws(TransportError) {
                    sent = .success(try await Self.sendShielded(request, timeout: timeout, over: transport))
                } catch {
                    sent = .failure(error)
                }
                // The vendor had the request by the time it answered (or failed): the budget
                // counts it from then, so a loaded machine whose requests sat in a queue on the
                // way cannot bunch more of them into the vendor's second than it allows.
                budget.confirm(planned: leftAt, actual: Date())
                let response = try sent.get()
                budget.observe(response)
                statistics.withLock { $0.byStatus[response.status, default: 0] += 1 }
                if response.status == 401 && !renewed {
                    renewed = true
                    if try await authorizer.renew(after: request) { continue }
                }
                cutShort = Self.isCutShort(response, for: request)
                if cutShort {
                    // The answer was lost on the way: the write may have happened.
                    lastProblem =
                        "HTTP \(response.status) from \(request.method) \(request.url.path) with its body cut short"
                    if repeatable == .no { throw RemoteError.outcomeUnknown(lastProblem) }
                    statistics.withLock { $0.networkFailures += 1 }
                    throw Retry.again(hint: nil)
                }
                guard RetryPolicy.isRetryable(status: response.status) else { return response }
                lastProblem = "HTTP \(response.status) from \(request.method) \(request.url.path)"
                if response.status != 429 && repeatable == .no {
                    throw RemoteError.outcomeUnknown(lastProblem)
                }
                let asked = RetryPolicy.hint(in: response)
                // The vendor asks for a longer wait than the cycle may spend: stop here,
                // progress saved, rather than sit it out.
                if let asked, asked > waitLeft {
                    throw RemoteError.deferred(
                        "the vendor asked syncd to wait \(Int(asked.rounded())) s (HTTP \(response.status) from \(request.method) \(request.url.path))"
                    )
                }
                hint = asked
            } catch let error as RemoteError {
                throw error
            } catch Retry.again(let again) {
                hint = again
            } catch TransportError.authenticationChallenge {
                statistics.withLock { $0.byStatus[401, default: 0] += 1 }
                if !renewed {
                    renewed = true
                    if try await authorizer.renew(after: request) { continue }
                }
                return RemoteResponse(status: 401, headers: [:], body: [])
            } catch TransportError.cancelled {
                throw .unavailable("cancelled")
            } catch TransportError.cannotConnect(let reason) {
                // Nothing listens there: a wrong base_url or a vendor down. Two quick tries
                // more, then say so, rather than minutes of backoff.
                statistics.withLock { $0.networkFailures += 1 }
                attempt += 1
                guard attempt < min(3, policy.maximumAttempts) else { throw .unavailable(reason) }
                try await Self.sleep(seconds: 0.5)
                continue
            } catch {
                statistics.withLock { $0.networkFailures += 1 }
                lastProblem = "\(error)"
                if repeatable == .no { throw .outcomeUnknown(lastProblem) }
                hint = nil
            }
            attempt += 1
            guard attempt < policy.maximumAttempts else {
                if lastProblem.hasPrefix("HTTP 429") {
                    throw .deferred("the vendor kept answering 429 (\(attempt) attempts)")
                }
                if cutShort { throw .malformed("\(lastProblem), \(attempt) times in a row") }
                throw .unavailable("\(lastProblem), still failing after \(attempt) attempts")
            }
            let wait = policy.backoff(attempt: attempt - 1, hint: hint)
            statistics.withLock {
                $0.retries += 1
                $0.waited += wait
            }
            try await Self.sleep(seconds: wait)
        }
    }

    /// Waits for a slot in the budget; a wait that would take the cycle past its allowance
    /// stops it as deferred (its progress is saved; the next cycle goes on from there).
    /// Returns when the request left, as the budget recorded it.
    private func waitForBudget() async throws(RemoteError) -> Date {
        let now = Date()
        let planned = budget.reserveSlot(now: now, leaving: allowance.withLock { $0.room })
        let wait = planned.timeIntervalSince(now)
        guard wait > 0 else { return leaving(planned: planned) }
        if wait > waitLeft {
            budget.release(planned: planned)
            let allowed = allowance.withLock { $0.limit } ?? maximumWait
            throw .deferred(
                "the request budget (\(budget.currentLimit.map { "\($0) a minute" } ?? "vendor's limit")) would make this cycle wait over \(allowed.formatted(.number.precision(.fractionLength(0...1)))) s"
            )
        }
        statistics.withLock { $0.budgetWaited += wait }
        do {
            try await Self.sleep(seconds: wait)
        } catch {
            budget.release(planned: planned)
            throw error
        }
        return leaving(planned: planned)
    }

    /// Records that a request planned for `planned` leaves now.
    private func leaving(planned: Date) -> Date {
        let now = Date()
        budget.confirm(planned: planned, actual: now)
        return max(planned, now)
    }

    /// Sends outside the caller's cancellation: a request already on the wire runs to its
    /// answer or its timeout. Cancelling URLSession's async call mid-flight on Linux can leave
    /// it never resuming; the executor instead stops before the next request.
    private static func sendShielded(
        _ request: RemoteRequest, timeout: Double, over transport: any HTTPTransport
    ) async throws(TransportError) -> RemoteResponse {
        let result = await Task { () -> Result<RemoteResponse, TransportError> in
            do throws(TransportError) {
                return .success(try await transport.send(request, timeout: timeout))
            } catch {
                return .failure(error)
            }
        }.value
        return try result.get()
    }

    /// A way out of the attempt's `do` block to the retry below it.
    private enum Retry: Error { case again(hint: Double?) }

    /// A successful JSON answer that does not end as it began (`{…}` or `[…]`): the
    /// connection ended before the body did. Checked on the last bytes only, so a 100,000
    /// contact listing is not parsed twice; a body of the wrong shape is the vendor's answer
    /// and is reported as malformed where it is read.
    private static func isCutShort(_ response: RemoteResponse, for request: RemoteRequest) -> Bool {
        guard (200..<300).contains(response.status), request.headers["Accept"]?.contains("json") == true,
            let first = response.body.first(where: { !isWhitespace($0) })
        else { return false }
        let last = response.body.last(where: { !isWhitespace($0) })
        switch first {
        case UInt8(ascii: "{"): return last != UInt8(ascii: "}")
        case UInt8(ascii: "["): return last != UInt8(ascii: "]")
        default: return false
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private static func checkCancellation() throws(RemoteError) {
        if Task.isCancelled { throw .unavailable("cancelled") }
    }

    private static func sleep(seconds: Double) async throws(RemoteError) {
        guard seconds.isFinite, seconds > 0 else { return }
        do {
            try await Task.sleep(nanoseconds: UInt64(min(seconds, 86_400) * 1_000_000_000))
        } catch {
            throw .unavailable("cancelled while waiting to retry")
        }
    }
}
