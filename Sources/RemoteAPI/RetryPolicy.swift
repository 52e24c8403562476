public import Foundation
import JSON

/// When to try a request again, and how long to wait first.
///
/// Only 429, 5xx and network failures are retried, never 400/401/403/404/409/422. A wait the
/// vendor hints at (`Retry-After` in seconds or as an HTTP date, or a `retryAfter` member in
/// a JSON body) is honoured; otherwise the wait starts at `initialBackoff` and doubles, with
/// full jitter, up to `maximumBackoff` — long enough, in sum, to outlast a one-minute window.
public struct RetryPolicy: Sendable {
    public var maximumAttempts: Int
    public var initialBackoff: Double
    public var maximumBackoff: Double

    public init(maximumAttempts: Int = 8, initialBackoff: Double = 1, maximumBackoff: Double = 60) {
        self.maximumAttempts = maximumAttempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
    }

    public static func isRetryable(status: Int) -> Bool { status == 429 || (500...599).contains(status) }

    /// The wait before attempt `attempt + 1` (attempts count from 0).
    public func backoff(attempt: Int, hint: Double?, random: Double = Double.random(in: 0...1)) -> Double {
        if let hint, hint.isFinite { return min(max(hint, 0), maximumBackoff) }
        let ceiling = min(maximumBackoff, initialBackoff * pow(2, Double(attempt)))
        return max(0.05, ceiling * random)
    }

    /// The vendor's hint in a response: `Retry-After` (seconds or HTTP date) or a JSON body's
    /// `retryAfter` (seconds). A number that cannot be a wait (NaN, infinite, negative) is no
    /// hint at all; a wait longer than a day is read as a day — far longer than any cycle may
    /// wait, so the cycle is deferred rather than backing off as if nothing had been said.
    public static func hint(in response: RemoteResponse, now: Date = Date()) -> Double? {
        func plausible(_ seconds: Double) -> Double? {
            seconds.isFinite && seconds >= 0 ? min(seconds, 86_400) : nil
        }
        if let header = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(header) { return plausible(seconds) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: header) {
                return plausible(max(0, date.timeIntervalSince(now)))
            }
        }
        if response.header("Content-Type")?.contains("json") ?? true,
            let body = try? JSONBody.parse(response.body),
            let seconds = body["retryAfter"]?.double
        {
            return plausible(seconds)
        }
        return nil
    }
}
