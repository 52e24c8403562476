import Configuration
import ContactsSim
import Foundation
import JSON
import RemoteAPI
import SQLite
import SyncEngine
import TestSupport
import Testing
import Vendors

@Suite struct RequestBudgetTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func keepsToTheLimitInAnyRollingWindow() {
        let budget = RequestBudget(perWindow: 3, window: 60, learns: false)
        #expect(budget.reserve(now: start) == 0)
        #expect(budget.reserve(now: start.addingTimeInterval(1)) == 0)
        #expect(budget.reserve(now: start.addingTimeInterval(2)) == 0)
        #expect(
            abs(budget.reserve(now: start.addingTimeInterval(3)) - 57) < 0.001,
            "the fourth waits for the first to leave the window")
        #expect(
            abs(budget.reserve(now: start.addingTimeInterval(3)) - 58) < 0.001,
            "reservations queue, they do not all wake at once")
    }

    @Test func aListingLeavesRoomForPushes() {
        let budget = RequestBudget(perWindow: 10, window: 60, learns: false)
        for _ in 0..<9 { #expect(budget.reserve(now: start) == 0) }
        let planned = budget.reserveSlot(now: start, leaving: 1)
        #expect(
            planned == start.addingTimeInterval(60), "the listing's next request waits for the next window")
        budget.release(planned: planned)  // its stretch defers rather than wait a minute
        #expect(budget.nextSlot(now: start, leaving: 1) == start.addingTimeInterval(60))
        #expect(budget.reserve(now: start.addingTimeInterval(1)) == 0, "a push takes the room left at once")
    }

    @Test func aSlotGivenBackIsNotCounted() {
        let budget = RequestBudget(perWindow: 2, window: 60, learns: false)
        _ = budget.reserve(now: start)
        _ = budget.reserve(now: start)
        let planned = budget.reserveSlot(now: start)
        #expect(planned == start.addingTimeInterval(60))
        budget.release(planned: planned)
        #expect(budget.reserve(now: start) == 60, "the same slot again, not the one after it")
    }

    @Test func slowsDownAsRemainingRunsLow() {
        let budget = RequestBudget(perWindow: nil, window: 60, learns: false)
        budget.observe(
            RemoteResponse(
                status: 200, headers: ["x-ratelimit-limit": "1000", "x-ratelimit-remaining": "900"], body: []),
            now: start)
        _ = budget.reserve(now: start)
        #expect(budget.reserve(now: start) == 0)
        budget.observe(
            RemoteResponse(
                status: 200, headers: ["x-ratelimit-limit": "1000", "x-ratelimit-remaining": "10"], body: []),
            now: start)
        #expect(budget.reserve(now: start) > 0.05, "spaced out to the window's steady rate")
    }

    @Test func pausesEveryoneOnA429AndLearnsAnUnpublishedLimit() {
        let budget = RequestBudget(perWindow: nil, window: 60, learns: true)
        for second in 0..<50 { _ = budget.reserve(now: start.addingTimeInterval(Double(second) / 10)) }
        budget.observe(
            RemoteResponse(status: 429, headers: ["retry-after": "7"], body: []),
            now: start.addingTimeInterval(5))
        #expect(budget.currentLimit == 40, "80% of the rate that drew the 429")
        #expect(budget.reserve(now: start.addingTimeInterval(5)) >= 7, "every request waits out the hint")
        // A quiet window later, the limit is raised again, a tenth at a time.
        _ = budget.reserve(now: start.addingTimeInterval(200))
        #expect(budget.currentLimit == 44)
    }

    @Test(arguments: ["nan", "NaN", "inf", "-inf", "-5"])
    func aWaitThatCannotBeAWaitIsNoHint(_ value: String) {
        let header = RemoteResponse(status: 429, headers: ["retry-after": value], body: [])
        #expect(RetryPolicy.hint(in: header) == nil)
        let body = RemoteResponse(
            status: 429, headers: ["content-type": "application/json"],
            body: Array(#"{"retryAfter": -3}"#.utf8))
        #expect(RetryPolicy.hint(in: body) == nil)
        let budget = RequestBudget(perWindow: nil, window: 60, learns: false)
        budget.observe(header, now: start)
        #expect(budget.reserve(now: start) == 0, "no pause from a nonsense hint")
        #expect(RetryPolicy().backoff(attempt: 0, hint: .nan, random: 0.5) == 0.5)
        #expect(RetryPolicy().backoff(attempt: 0, hint: .infinity, random: 0.5) == 0.5)
    }

    @Test(arguments: ["99999999", "1e300", "9999999999"])
    func aWaitLongerThanADayIsADay(_ value: String) {
        let header = RemoteResponse(status: 429, headers: ["retry-after": value], body: [])
        #expect(RetryPolicy.hint(in: header) == 86_400, "far past any cycle's allowance: the cycle defers")
        let body = RemoteResponse(
            status: 429, headers: ["content-type": "application/json"],
            body: Array(#"{"retryAfter": \#(value)}"#.utf8))
        #expect(RetryPolicy.hint(in: body) == 86_400)
    }

    @Test func aPublishedLimitIsTheDefault() {
        #expect(RemoteSettings(provider: .waply, token: Secret("t")).effectiveRequestsPerMinute == 100)
        #expect(RemoteSettings(provider: .qlara, token: Secret("t")).effectiveRequestsPerMinute == 1000)
        #expect(RemoteSettings(provider: .sendystack, token: Secret("t")).effectiveRequestsPerMinute == nil)
        #expect(
            RemoteSettings(provider: .waply, token: Secret("t"), requestsPerMinute: 500)
                .effectiveRequestsPerMinute == 500)
    }
}

@Suite struct DeferredCycleTests {
    @Test func aCycleCutShortByTheBudgetIsDeferredAndTheNextGoesOn() async throws {
        let fixture = try SyncFixture()
        // Ten requests a minute: a cycle outruns it however slow the machine.
        fixture.configuration.remote.requestsPerMinute = 10
        fixture.configuration.remote.maximumWaitSeconds = 0.5
        for index in 0..<50 {
            try fixture.insertLocal("+2547900\(String(10_000 + index))", name: "P\(index)")
        }
        var deferred = 0
        for _ in 0..<14 {
            do {
                let engine = SyncEngine(
                    configuration: fixture.configuration,
                    remote: try RemoteClients.make(
                        fixture.configuration.remote, retry: SyncFixture.quickRetries))
                let report = try await engine.runOnce()
                if report.remote.created == 0 && report.wroteNothing { break }
            } catch let error as SyncError where error.kind == .deferred {
                deferred += 1
                #expect(error.message.contains("progress saved"))
                // The next stretch comes when the minute has passed: here, at once.
                try Database(path: fixture.configuration.sync.state).execute(
                    "DELETE FROM meta WHERE name LIKE 'budget:%'")
            }
        }
        #expect(deferred >= 2)
        #expect(try fixture.remoteContacts().count == 50, "the deferred cycles' work was kept and finished")
        #expect(try fixture.sim.stats()["endpoints"]?["POST /v1/contacts"]?["429"] == nil)
    }

    @Test func theEmulatorsLimitIsNeverHitWhenTheBudgetMatchesIt() async throws {
        let fixture = try SyncFixture(simulator: { $0.rateLimit = RateLimit(perMinute: 1000, perSecond: 50) })
        fixture.configuration.remote.requestsPerMinute = 30
        fixture.configuration.remote.maximumWaitSeconds = 0.2
        try fixture.sim.control("PATCH", "/settings", json: ["rate_per_minute": 30])
        for index in 0..<40 { try fixture.insertLocal("+2547910\(String(10_000 + index))") }
        await #expect { try await fixture.sync() } throws: { ($0 as? SyncError)?.kind == .deferred }
        #expect(try fixture.remoteContacts().count == 29, "the listing and 29 creates fit the minute")
        #expect(
            try fixture.sim.stats()["endpoints"]?["POST /v1/contacts"]?["429"] == nil,
            "no 429: the budget kept syncd inside the limit")
        // Another process (a fresh client) straight after: the minute is spent, so it waits
        // for nothing and sends nothing, rather than drawing the vendor's 429.
        let before = try fixture.sim.stats()["total"]
        await #expect { try await fixture.sync() } throws: { ($0 as? SyncError)?.kind == .deferred }
        #expect(try fixture.sim.stats()["total"] == before, "not one request more")
        #expect(try fixture.sim.stats()["endpoints"]?["GET /v1/contacts"]?["429"] == nil)
        #expect(try fixture.sim.stats()["endpoints"]?["POST /v1/contacts"]?["429"] == nil)
    }
}
