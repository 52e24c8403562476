import Configuration
import ContactModel
import ContactsSim
import Daemon
import Foundation
import JSON
import LocalStore
import RemoteAPI
import SQLite
import SyncEngine
import TestSupport
import Testing
import Vendors

/// A book bigger than one budget window: cycles go on where the last one stopped, keep to
/// the vendor's limit across runs, and stop rather than wait out a long 429.
@Suite struct LargeBookTests {
    /// A fresh process's worth of client: its budget knows only what the state file keeps.
    func engine(_ fixture: SyncFixture) throws -> SyncEngine {
        SyncEngine(
            configuration: fixture.configuration,
            remote: try RemoteClients.make(fixture.configuration.remote, retry: SyncFixture.quickRetries))
    }

    /// The budget's minute has passed: the requests the state file keeps are forgotten, so
    /// the next stretch need not wait a real minute (however slow the machine, the budget
    /// still cuts every stretch short at the same request).
    func minutePasses(_ fixture: SyncFixture) throws {
        try Database(path: fixture.configuration.sync.state).execute(
            "DELETE FROM meta WHERE name LIKE 'budget:%'")
    }

    @Test func aTwentyPageBookIsListedAcrossCyclesWithoutAskingForAPageTwice() async throws {
        let fixture = try SyncFixture()
        // Five requests a window: twenty pages take four windows, however slow the machine.
        fixture.configuration.remote.requestsPerMinute = 5
        fixture.configuration.remote.maximumWaitSeconds = 0.5
        fixture.configuration.remote.concurrency = 4
        try fixture.sim.seed(2000)
        let (pull, cutShort) = try await runUntilFinished(fixture)
        #expect(pull?.local.created == 2000 && cutShort >= 2, "cut short \(cutShort) time(s), then finished")
        #expect(try fixture.localRows().count == 2000)
        let pages = try fixture.requests("GET /v1/contacts")
        #expect(pages >= 20 && pages <= 21, "\(pages) list requests for 20 pages: none asked twice")
        // The next full cycle starts afresh from the first page, and goes on the same way.
        try minutePasses(fixture)
        let (quiet, _) = try await runUntilFinished(fixture)
        #expect(quiet?.wroteNothing == true && quiet?.pulled ?? 0 <= 2000)
        let again = try fixture.requests("GET /v1/contacts") - pages
        #expect(again >= 20 && again <= 21, "\(again) list requests for 20 pages")
        #expect(try fixture.sim.stats()["endpoints"]?["GET /v1/contacts"]?["429"] == nil)
    }

    /// Runs cycles (each a fresh process's worth: a new client) until one finishes.
    func runUntilFinished(_ fixture: SyncFixture) async throws -> (SyncReport?, cutShort: Int) {
        var cutShort = 0
        for _ in 0..<12 {
            do {
                return (try await engine(fixture).runOnce(), cutShort)
            } catch let error as SyncError where error.kind == .deferred {
                cutShort += 1
                try minutePasses(fixture)
            }
        }
        return (nil, cutShort)
    }

    /// A SuperWaba first sync with custom fields mapped costs a detail read per contact on
    /// top of its pages. Stretches cut short by the budget keep the reads they paid for, so
    /// the sync finishes at the budget's pace, each read made once.
    @Test func aSuperWabaFirstSyncKeepsItsDetailReadsBetweenStretches() async throws {
        let fixture = try SyncFixture(.superwaba)
        fixture.configuration.remote.requestsPerMinute = 100
        fixture.configuration.remote.maximumWaitSeconds = 0
        fixture.configuration.remote.concurrency = 1
        try fixture.sim.seed(300)
        let state = try Database(path: fixture.configuration.sync.state)
        var report: SyncReport?
        var stretches = 0
        while report == nil && stretches < 8 {
            stretches += 1
            do {
                report = try await engine(fixture).runOnce()
            } catch let error as SyncError where error.kind == .deferred {
                // The next stretch comes when the window has passed: here, at once.
                try state.execute("DELETE FROM meta WHERE name LIKE 'budget:%'")
            }
        }
        #expect(report?.local.created == 300, "finished in \(stretches) stretches")
        #expect(stretches <= 5, "(3 pages + 300 reads) at 100 a window")
        let reads = try fixture.requests("GET /api/whatsapp/contacts/{id}")
        #expect(reads == 300, "\(reads) detail reads for 300 contacts: none made twice")
        #expect(try fixture.localRows().count == 300)
    }

    @Test func aListingCutShortMoreThanADayAgoIsListedAfreshWithoutItsOldRows() async throws {
        let fixture = try SyncFixture()
        try fixture.sim.seed(150)
        try await fixture.sync()
        let names = try fixture.remoteContacts().mapValues { $0["name"]?.string ?? "" }
        for phone in names.keys { try fixture.editRemote(phone, ["name": "Edited For A While"]) }
        // One request a window: the listing stops after its first page, which it keeps.
        fixture.configuration.remote.requestsPerMinute = 1
        fixture.configuration.remote.maximumWaitSeconds = 0.5
        let state = try Database(path: fixture.configuration.sync.state)
        try state.execute("DELETE FROM meta WHERE name LIKE 'budget:%'")  // the first sync's requests
        await #expect { try await engine(fixture).runOnce() } throws: {
            ($0 as? SyncError)?.kind == .deferred
        }
        // The edits are undone, and the kept listing is two days old when the next cycle runs.
        for (phone, name) in names { try fixture.editRemote(phone, ["name": .string(name)]) }
        let twoDaysAgo = Timestamp(
            millisecondsSinceEpoch: SystemClock().now().millisecondsSinceEpoch - 172_800_000)
        #expect(
            try state.run(
                "UPDATE meta SET value = json_set(value, '$.started_at', ?) WHERE name = 'listing_progress'",
                [.text(twoDaysAgo.iso8601(fractionalSeconds: false))]) == 1)
        fixture.configuration.remote.requestsPerMinute = 1_000_000
        let report = try await fixture.sync()
        #expect(report.notes.allSatisfy { !$0.contains("went on with") })
        #expect(report.wroteNothing, "the old listing's edits, undone since, are not applied")
        #expect(try fixture.localRows().values.allSatisfy { $0.name != "Edited For A While" })
    }

    @Test func a429AskingForLongerThanTheCycleMayWaitDefersIt() async throws {
        let fixture = try SyncFixture()
        fixture.configuration.remote.maximumWaitSeconds = 2
        for index in 0..<3 { try fixture.insertLocal("+2547930\(String(10_000 + index))") }
        try fixture.sim.faults(["force_429_next": 1, "retry_after_seconds": 600])
        await #expect {
            try await fixture.sync()
        } throws: { error in
            guard let error = error as? SyncError, error.kind == .deferred else { return false }
            return error.message.contains("600")
        }
        try fixture.sim.control("DELETE", "/faults")
        try await fixture.sync()
        #expect(try fixture.remoteContacts().count == 3, "the next cycle does the work")
    }
}

@Suite struct FullCycleCostTests {
    @Test func aHundredThousandWaplyContactsTakeNineMinutesOfBudget() {
        let cost = FullCycleCost(contacts: 100_000, vendor: .waply, requestsPerMinute: 100)
        #expect(cost.requests == 1000)
        #expect(cost.secondsAtBudget == 540, "100 at once, then 100 a minute for nine minutes")
        #expect(cost.warning(interval: 300)?.contains("raise sync.interval_seconds to 540") == true)
        #expect(cost.warning(interval: 600) == nil)
    }

    @Test func eachVendorsPageAndBudgetCount() {
        #expect(
            FullCycleCost(contacts: 100_000, vendor: .qlara, requestsPerMinute: 1000).secondsAtBudget == 0)
        #expect(FullCycleCost(contacts: 100_001, vendor: .superwaba, requestsPerMinute: 100).requests == 1001)
        #expect(FullCycleCost(contacts: 0, vendor: .waply, requestsPerMinute: 100).requests == 1)
        let sendy = FullCycleCost(contacts: 100_000, vendor: .sendystack, requestsPerMinute: nil)
        #expect(sendy.requests == 1 && sendy.secondsAtBudget == nil && sendy.warning(interval: 5) == nil)
    }
}

/// `syncd run` with a book that needs several budget windows: it lists at the budget's pace
/// and lets the CRM's edits through between stretches.
@Suite struct PacedDaemonTests {
    @Test func aLongListingGoesOnAtTheBudgetsPaceAndCRMEditsGoOutMeanwhile() async throws {
        let fixture = try SyncFixture()
        try fixture.sim.seed(3000)  // thirty pages
        try await fixture.sync()  // the first sync, unhurried (no pushes before it: nothing is matched yet)
        try fixture.resetStats()
        fixture.configuration.remote.requestsPerMinute = 6  // a window: six requests
        fixture.configuration.sync.intervalSeconds = 3600  // idling to the interval would never finish
        // One page at a time: pages fetched side by side can take each other's turn in the
        // budget, and a page read ahead of a gap is read again by the next stretch (a
        // request or two more on a loaded machine), which is not what this test is about.
        fixture.configuration.remote.concurrency = 1
        try fixture.writeConfig()
        let daemon = SyncDaemon(
            configPath: fixture.configPath, environment: ["SYNCD_TOKEN": fixture.sim.token],
            logger: Logger(format: .plain, minimum: .error), notifier: SystemdNotifier(environment: [:]),
            handlesSignals: false,
            makeRemote: { try RemoteClients.make($0, retry: SyncFixture.quickRetries, budgetWindow: 2) })
        let running = Task { await daemon.run() }
        defer { daemon.stop() }
        let statePath = fixture.configuration.sync.state
        func listingUnderway() -> Bool {
            (try? StateStore(path: statePath))?.listingProgress() != nil
        }
        try await until("the listing is under way", listingUnderway)
        try fixture.insertLocal("+254799000001", name: "Typed in meanwhile")
        try await until("the CRM's new row reaches the vendor") {
            (try? fixture.remoteContacts()["+254799000001"]) != nil
        }
        #expect(listingUnderway(), "the push went out between the listing's stretches")
        try await until("the full cycle finishes", seconds: 60) {
            !listingUnderway()
                && (try? StateStore(path: statePath).recentRuns(limit: 1).first?.outcome) == .synced
        }
        let pages = try fixture.requests("GET /v1/contacts")
        #expect(pages <= 33, "\(pages) list requests for 30 pages")
        daemon.stop()
        #expect(await running.value == 0)
    }

    /// Looks every tenth of a second until `condition` holds, for at most `seconds`.
    func until(_ what: String, seconds: Double = 30, _ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else {
                Issue.record("not within \(seconds) s: \(what)")
                return
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }
}
