import ContactModel
import Testing

@testable import ContactsSim

@Suite struct RateLimiterTests {
    private func at(_ seconds: Double) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64(seconds * 1000))
    }

    @Test func refusesTheRequestOverTheLimitUntilTheOldestLeavesTheWindow() {
        var limiter = RateLimiter(limit: RateLimit(perMinute: 3))
        #expect(limiter.admit("key", at: at(0)) == .allowed(remaining: 2))
        #expect(limiter.admit("key", at: at(10)) == .allowed(remaining: 1))
        #expect(limiter.admit("key", at: at(20)) == .allowed(remaining: 0))
        #expect(limiter.admit("key", at: at(30)) == .limited(retryAfterSeconds: 30))
        #expect(limiter.admit("key", at: at(59.5)) == .limited(retryAfterSeconds: 1))
        // Rolling, not fixed: at 60 s the first request has left, the other two still count.
        #expect(limiter.admit("key", at: at(60.001)) == .allowed(remaining: 0))
        #expect(limiter.admit("key", at: at(61)) == .limited(retryAfterSeconds: 9))
    }

    @Test func keepsCallersApart() {
        var limiter = RateLimiter(limit: RateLimit(perMinute: 1))
        #expect(limiter.admit("a", at: at(0)) == .allowed(remaining: 0))
        #expect(limiter.admit("b", at: at(0)) == .allowed(remaining: 0))
        #expect(limiter.admit("a", at: at(1)) == .limited(retryAfterSeconds: 59))
    }

    @Test func limitsBurstsPerSecondAsWell() {
        var limiter = RateLimiter(limit: RateLimit(perMinute: 1000, perSecond: 2))
        #expect(limiter.admit("k", at: at(0)) == .allowed(remaining: 999))
        #expect(limiter.admit("k", at: at(0.1)) == .allowed(remaining: 998))
        #expect(limiter.admit("k", at: at(0.2)) == .limited(retryAfterSeconds: 1))
        #expect(limiter.admit("k", at: at(1.05)) == .allowed(remaining: 997))
        #expect(limiter.remaining("k", at: at(1.05)) == 997)
    }

    @Test func noLimitAdmitsEverything() {
        var limiter = RateLimiter(limit: nil)
        for index in 0..<10_000 {
            #expect(limiter.admit("k", at: at(Double(index) / 1000)) != .limited(retryAfterSeconds: 1))
        }
    }
}
