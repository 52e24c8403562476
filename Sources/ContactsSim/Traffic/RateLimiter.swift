import ContactModel

/// Rolling-window request limits per caller (API key or organisation).
///
/// Keeps the times of admitted requests and refuses a request when the last 60 seconds (or
/// the last second, for burst limits) already hold the limit. The wait it reports is the
/// exact time until the oldest request in the full window leaves it.
struct RateLimiter: Sendable {
    enum Decision: Sendable, Equatable {
        case allowed(remaining: Int)
        case limited(retryAfterSeconds: Int)
    }

    var limit: RateLimit?
    private var admitted: [String: [Int64]] = [:]

    init(limit: RateLimit?) {
        self.limit = limit
    }

    mutating func admit(_ caller: String, at now: Timestamp) -> Decision {
        guard let limit else { return .allowed(remaining: Int.max) }
        let millis = now.millisecondsSinceEpoch
        var times = admitted[caller, default: []]
        if let stale = times.firstIndex(where: { $0 > millis - 60_000 }) {
            times.removeFirst(stale)
        } else {
            times.removeAll()
        }
        if times.count >= limit.perMinute {
            admitted[caller] = times
            return .limited(
                retryAfterSeconds: Self.seconds(
                    until: times[times.count - limit.perMinute] + 60_000, from: millis))
        }
        if let perSecond = limit.perSecond {
            let recent = times.suffix(perSecond)
            if recent.count >= perSecond, let oldest = recent.first, oldest > millis - 1000 {
                admitted[caller] = times
                return .limited(retryAfterSeconds: Self.seconds(until: oldest + 1000, from: millis))
            }
        }
        times.append(millis)
        admitted[caller] = times
        return .allowed(remaining: limit.perMinute - times.count)
    }

    /// What is left of the caller's minute without spending any (Qlara's headers).
    func remaining(_ caller: String, at now: Timestamp) -> Int {
        guard let limit else { return Int.max }
        let since = now.millisecondsSinceEpoch - 60_000
        return max(0, limit.perMinute - (admitted[caller]?.count { $0 > since } ?? 0))
    }

    mutating func reset() { admitted.removeAll() }

    private static func seconds(until moment: Int64, from now: Int64) -> Int {
        max(1, Int((moment - now + 999) / 1000))
    }
}
