import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import LocalStore
import RemoteAPI
import SQLite
import SyncEngine
import SyncdCLI
import TestSupport
import Testing

/// Syncing with SuperWaba over loopback, against the bundled emulator: what sets it apart
/// from the other vendors. (The cases every vendor shares run in the first-sync, change and
/// fault suites for SuperWaba too.)
@Suite struct SuperWabaSyncTests {
    /// A fixture that logs in with the emulator's account instead of a long-lived token.
    private func loggedIn() throws -> SyncFixture {
        let fixture = try SyncFixture(.superwaba)
        fixture.configuration.remote.token = Secret("")
        fixture.configuration.remote.login = RemoteSettings.Login(
            email: "owner@example.com", password: Secret("sim-password"))
        return fixture
    }

    private func tokenRequests(_ fixture: SyncFixture) throws -> JSON? {
        try fixture.sim.stats()["endpoints"]?["POST /api/auth/token"]
    }

    // MARK: - Tokens

    @Test func aTokenThatExpiresMidCycleCostsOneRefresh() async throws {
        let fixture = try loggedIn()
        fixture.configuration.remote.concurrency = 1
        fixture.configuration.local.columns.attributes = nil  // pages only: no detail reads
        try fixture.sim.seed(800)
        try fixture.sim.faults(["latency_ms": 40, "methods": ["GET"]])
        let port = fixture.sim.port
        let expirer = Task.detached {
            // Once a few pages are in, every access token issued so far expires.
            while true {
                let stats = try LoopbackClient(port: port).request("GET", "/_sim/stats").json
                if (stats["endpoints"]?["GET /api/whatsapp/contacts"]?["200"]?.int ?? 0) >= 3 { break }
                try await Task.sleep(nanoseconds: 10_000_000)
            }
            _ = try LoopbackClient(port: port).request("POST", "/_sim/tokens/expire")
        }
        let report = try await fixture.sync()
        try await expirer.value
        #expect(report.local.created == 800, "the cycle went on")
        #expect(try tokenRequests(fixture) == ["200": 2], "the login, then one refresh")
        #expect(try fixture.sim.stats()["endpoints"]?["GET /api/whatsapp/contacts"]?["401"] == 1)
    }

    @Test func refreshTokensRotateAndARefusedRefreshFallsBackToTheLogin() async throws {
        let fixture = try loggedIn()
        try fixture.sim.seed(5)
        let engine = try fixture.engine()
        _ = try await engine.runOnce()
        try fixture.sim.control("POST", "/tokens/expire")
        _ = try await engine.runOnce()
        try fixture.sim.control("POST", "/tokens/expire")
        _ = try await engine.runOnce()
        // A spent refresh token is refused by the emulator: the second refresh worked only
        // because the newest one was kept.
        #expect(try tokenRequests(fixture) == ["200": 3])
        try fixture.sim.control("POST", "/tokens/expire", json: ["refresh_tokens": true])
        let report = try await engine.runOnce()
        #expect(report.pulled == 5)
        #expect(try tokenRequests(fixture) == ["200": 4, "401": 1], "the refused refresh, then the login")
    }

    @Test func aRefusedLoginEndsTheRunAtOnceWithoutShowingThePassword() async throws {
        let fixture = try SyncFixture(.superwaba)
        fixture.configuration.remote.login = RemoteSettings.Login(
            email: "owner@example.com", password: Secret("wrong-password-123"))
        try fixture.writeConfig()
        var text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        text = text.replacingOccurrences(
            of: #""token_env":"SYNCD_TOKEN""#,
            with: #""login_email":"owner@example.com","password_env":"SW_PASSWORD""#)
        try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
        let console = CapturedConsole()
        let started = Date()
        let code = await Syncd.main(
            arguments: ["--once", "--config", fixture.configPath],
            environment: ["SW_PASSWORD": "wrong-password-123"], console: console)
        #expect(code == .credentialRefused)
        // Retrying the login would take minutes of backoff; a busy machine takes seconds.
        #expect(Date().timeIntervalSince(started) < 25)
        #expect(console.stderr.contains("owner@example.com"))
        #expect(!(console.stdout + console.stderr).contains("wrong-password-123"))
        #expect(
            try fixture.sim.stats()["endpoints"]?["GET /api/whatsapp/contacts"] == nil,
            "nothing was asked with no token")
    }

    // MARK: - Reading only what is needed

    @Test func aQuietCycleCostsItsPagesAndAnEditedOneOneReadAnEdit() async throws {
        let fixture = try SyncFixture(.superwaba)
        try fixture.sim.seed(250)
        try await fixture.sync()
        try fixture.resetStats()
        #expect(try await fixture.sync().wroteNothing)
        #expect(try fixture.sim.stats()["reads"] == 3, "⌈250/100⌉ pages, no detail reads")

        let phones = Array(try fixture.remoteContacts().keys.sorted().prefix(4))
        for phone in phones { try fixture.editRemote(phone, ["attributes": ["segment": "edited"]]) }
        try fixture.resetStats()
        let report = try await fixture.sync()
        #expect(report.local.updated == 4)
        #expect(
            try fixture.sim.stats()["reads"]?.int == 3 + 4, "the pages, and one read of each edited contact")
        #expect(try fixture.localRows()[phones[0]]?.attributes["segment"] == "edited")
        try fixture.resetStats()
        #expect(try await fixture.sync().wroteNothing)
        #expect(try fixture.sim.stats()["reads"] == 3)
    }

    @Test func withNoAttributesMappedNoContactIsEverReadOnItsOwn() async throws {
        let fixture = try SyncFixture(.superwaba)
        fixture.configuration.local.columns.attributes = nil
        try fixture.sim.seed(150)
        try fixture.resetStats()
        try await fixture.sync()
        #expect(try fixture.sim.stats()["endpoints"]?["GET /api/whatsapp/contacts/{id}"] == nil)
        try fixture.editRemote(
            try fixture.remoteContacts().keys.sorted()[0], ["name": "Edited", "attributes": ["a": "1"]])
        try fixture.resetStats()
        #expect(try await fixture.sync().local.updated == 1)
        #expect(try fixture.sim.stats()["reads"] == 2)
        let params = try fixture.remoteContacts().values.first { $0["name"] == "Edited" }?["attributes"]
        #expect(params == ["a": "1"], "a PATCH never cleared the params syncd does not map")
    }

    // MARK: - Creates

    @Test func manyCreatesGoInBulkAndASkippedDuplicateIsLinked() async throws {
        let fixture = try SyncFixture(.superwaba)
        for index in 0..<1200 {
            try fixture.insertLocal("+2547200\(String(10_000 + index))", name: "P\(index)")
        }
        // One of them reaches SuperWaba by another way after syncd listed it.
        try fixture.sim.faults(["latency_ms": 500, "methods": ["POST"]])
        let port = fixture.sim.port
        let dashboardUser = Task.detached {
            try await Task.sleep(nanoseconds: 200_000_000)
            _ = try LoopbackClient(port: port).request(
                "POST", "/_sim/contacts",
                json: ["phone": "+254720010005", "name": "Dashboard", "email": "d@example.com"])
        }
        let report = try await fixture.sync()
        try await dashboardUser.value
        let bulk = try fixture.sim.stats()["endpoints"]?["POST /api/whatsapp/contacts/bulk"]
        #expect(bulk == ["200": 2], "1,000 and 200 rows")
        #expect(report.remote.created == 1199)
        #expect(report.rejected == 0)
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 1200, "linked, not duplicated")
        #expect(remote["+254720010005"]?["email"] == "d@example.com")
        try fixture.sim.control("DELETE", "/faults")
        try fixture.resetStats()
        #expect(
            try await fixture.sync().wroteNothing,
            "bulk answers carry no timestamps, and nothing is pushed again")
        #expect(
            try fixture.sim.stats()["reads"]?.int == 12, "nor read again: SuperWaba says they are as created")
    }

    @Test func aDuplicateOnASingleCreateIsFoundAndLinked() async throws {
        let fixture = try SyncFixture(.superwaba)
        try fixture.insertLocal("+254700000001", name: "Local", email: "l@example.com")
        try fixture.sim.faults(["latency_ms": 800, "methods": ["POST"]])
        let port = fixture.sim.port
        let dashboardUser = Task.detached {
            try await Task.sleep(nanoseconds: 300_000_000)
            _ = try LoopbackClient(port: port).request(
                "POST", "/_sim/contacts", json: ["phone": "+254700000001", "name": "There"])
        }
        let report = try await fixture.sync()
        try await dashboardUser.value
        #expect(report.remote.created == 0 && report.rejected == 0)
        #expect(try fixture.sim.stats()["endpoints"]?["POST /api/whatsapp/contacts"]?["409"] == 1)
        #expect(try fixture.remoteContacts().count == 1)
        #expect(try fixture.remoteContacts()["+254700000001"]?["email"] == "l@example.com")
    }

    // MARK: - Opt-in

    @Test func anOptedInContactIsOptedInAfterItsCreate() async throws {
        let fixture = try SyncFixture(.superwaba)
        for index in 1...6 {
            try fixture.insertLocal("+25470000000\(index)", name: "P\(index)", optIn: index % 2)
        }
        let report = try await fixture.sync()
        #expect(report.remote.created == 6)
        let remote = try fixture.remoteContacts()
        for index in 1...6 {
            #expect(remote["+25470000000\(index)"]?["opt_in"] == (index % 2 == 1 ? "opted_in" : "opted_out"))
        }
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aVendorOptOutWinsAndAnOlderOptInNeverUndoesIt() async throws {
        let fixture = try SyncFixture(.superwaba)
        try fixture.insertLocal("+254700000001", name: "Ann", optIn: 1)
        try fixture.insertLocal("+254700000002", name: "Ben", optIn: 0)
        try await fixture.sync()
        // The recipient replies STOP; a CRM edit of the same contact's opt-in, made earlier,
        // arrives in the same cycle.
        try fixture.updateLocal("+254700000001", "opt_in", .integer(1), at: SyncFixture.time(-30))
        try fixture.sim.control("POST", "/contacts/\(try fixture.remoteID("+254700000001"))/opt-out")
        // The CRM opts Ben in: that goes to SuperWaba.
        try fixture.updateLocal("+254700000002", "opt_in", .integer(1))
        try await fixture.sync()
        #expect(try fixture.localRows()["+254700000001"]?.optIn == 0)
        #expect(try fixture.remoteContacts()["+254700000001"]?["opt_in"] == "opted_out")
        #expect(try fixture.remoteContacts()["+254700000002"]?["opt_in"] == "opted_in")
        #expect(try await fixture.sync().wroteNothing)
    }

    // MARK: - What the API cannot do

    @Test func aCRMDeleteIsReportedAndTheContactStaysUnpulled() async throws {
        let fixture = try SyncFixture(.superwaba)
        fixture.configuration.sync.deletes = .both
        for index in 1...3 { try fixture.insertLocal("+25470000000\(index)", name: "P\(index)") }
        try await fixture.sync()
        try fixture.deleteLocal("+254700000002")
        let report = try await fixture.sync(SyncOptions(listChanges: true))
        #expect(report.remote.deleted == 0)
        #expect(try fixture.remoteContacts().count == 3, "SuperWaba has no delete")
        #expect(try await fixture.sync().local.created == 0, "and its copy is not pulled back")
        #expect(try fixture.localRows().count == 2)
    }

    @Test func aContactDeletedOnTheDashboardIsARemoteDelete() async throws {
        let fixture = try SyncFixture(.superwaba)
        fixture.configuration.sync.deletes = .both
        for index in 1...3 { try fixture.insertLocal("+25470000000\(index)", name: "P\(index)") }
        try await fixture.sync()
        try fixture.sim.control("DELETE", "/contacts/\(try fixture.remoteID("+254700000003"))")
        let report = try await fixture.sync()
        #expect(report.local.deleted == 1)
        #expect(
            try fixture.sim.stats()["endpoints"]?["GET /api/whatsapp/contacts/{id}"]?["404"] == 1,
            "confirmed by reading it")
        #expect(try fixture.localRows()["+254700000003"] == nil)
    }

    @Test func aNewPhoneIsANewContactAndTheOldOneIsLeftAlone() async throws {
        let fixture = try SyncFixture(.superwaba)
        try fixture.insertLocal("+254700000001", name: "Ann")
        try await fixture.sync()
        try fixture.updateLocal("+254700000001", "mobile", .text("+254711111111"))
        let report = try await fixture.sync()
        #expect(report.remote.created == 1)
        #expect(report.notes.contains { $0.contains("cannot change a phone") })
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 2)
        #expect(remote["+254711111111"]?["name"] == "Ann")
        let quiet = try await fixture.sync()
        #expect(quiet.wroteNothing, "the old contact is never pulled back into the CRM")
        #expect(try fixture.localRows().count == 1)
    }

    // MARK: - The published limit

    @Test func withTheBudgetAtTheLimitTheEmulatorNeverAnswers429() async throws {
        let fixture = try SyncFixture(
            .superwaba, simulator: { $0.rateLimit = RateLimit(perMinute: 30, perSecond: 30) })
        fixture.configuration.remote.requestsPerMinute = 30
        fixture.configuration.remote.maximumWaitSeconds = 0.2
        try fixture.sim.seed(3)
        for index in 0..<40 { try fixture.insertLocal("+2547910\(String(10_000 + index))", optIn: 1) }
        fixture.configuration.remote.concurrency = 8
        await #expect { try await fixture.sync() } throws: { ($0 as? SyncError)?.kind == .deferred }
        let endpoints = try #require(try fixture.sim.stats()["endpoints"]?.object)
        #expect(endpoints.allSatisfy { $0.value["429"] == nil }, "\(endpoints)")
    }
}
