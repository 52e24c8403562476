import Configuration
import ContactsSim
import Foundation
import JSON
import LocalStore
import SQLite
import SyncEngine
import TestSupport
import Testing

@Suite struct RecoveryTests {
    @Test func aWaplyCreateWhoseAnswerWasLostIsFoundNotRepeated() async throws {
        let fixture = try SyncFixture()
        for index in 1...5 { try fixture.insertLocal("+25470000000\(index)", name: "P\(index)") }
        try fixture.sim.faults(["drop_after_next": 3, "methods": ["POST"]])
        let report = try await fixture.sync()
        #expect(report.remote.created == 5)
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 5, "no duplicate")
        let stats = try fixture.sim.stats()
        #expect(stats["endpoints"]?["POST /v1/contacts"]?["dropped"] == 3)
        #expect(
            (stats["endpoints"]?["POST /v1/contacts"]?["201"]?.int ?? 0) == 2,
            "the three lost creates were found by a search, not posted again")
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aSendyStackUpsertWhoseAnswerWasLostIsReplayedByItsKey() async throws {
        let fixture = try SyncFixture(.sendystack)
        for index in 1...2 { try fixture.insertLocal("+25470000000\(index)", name: "P\(index)") }
        try fixture.sim.faults(["drop_after_next": 1, "methods": ["POST"]])
        let report = try await fixture.sync()
        #expect(report.remote.created == 2)
        #expect(try fixture.remoteContacts().count == 2)
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aDuplicateOnCreateLinksToTheExistingContact() async throws {
        // The contact appears on the vendor after syncd listed, before its create arrives.
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Local", email: "l@example.com")
        try fixture.sim.faults(["latency_ms": 800, "methods": ["POST"]])
        let port = fixture.sim.port
        let dashboardUser = Task.detached {
            try await Task.sleep(nanoseconds: 300_000_000)
            _ = try LoopbackClient(port: port).request(
                "POST", "/_sim/contacts", json: ["phone": "+254700000001", "name": "Already there"])
        }
        let result = try await fixture.sync()
        try await dashboardUser.value
        #expect(result.remote.created == 0)
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 1, "linked, not duplicated")
        #expect(remote["+254700000001"]?["email"] == "l@example.com", "merged as a first match")
        #expect(try fixture.sim.stats()["endpoints"]?["POST /v1/contacts"]?["409"] == 1)
        try fixture.sim.control("DELETE", "/faults")
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func transientFailuresAreRetried() async throws {
        let fixture = try SyncFixture()
        try fixture.sim.seed(300)
        try fixture.sim.faults(["server_error_rate": 0.2, "methods": ["GET"]])
        let report = try await fixture.sync()
        #expect(report.local.created == 300)
        #expect(try fixture.localRows().count == 300)
    }

    @Test func aRefusedCredentialEndsTheRunAndNeverShowsTheToken() async throws {
        let fixture = try SyncFixture()
        fixture.configuration.remote.token = Secret("wrong-secret-value")
        try fixture.insertLocal("+254700000001")
        await #expect { try await fixture.sync() } throws: { error in
            (error as? SyncError)?.kind == .credentialRefused && !"\(error)".contains("wrong-secret-value")
        }
        #expect(try fixture.sim.stats()["total"] == 1, "one refused request, then it stopped")
    }

    @Test func aVendorRejectionIsReportedAndTheRestGoOn() async throws {
        let fixture = try SyncFixture(simulator: { $0.customFields = ["tier"] })
        try fixture.insertLocal("+254700000001", name: "Fine", attributes: ["tier": "gold"])
        try fixture.insertLocal("+254700000002", name: "Undefined field", attributes: ["shoe_size": "42"])
        try fixture.insertLocal("+254700000003", name: "Also fine")
        let report = try await fixture.sync()
        #expect(report.rejected == 1)
        #expect(report.remote.created == 2)
        #expect(report.notes.contains { $0.contains("unknown_custom_field") })
        let rejections = try LocalStore.StateStore(path: fixture.configuration.sync.state).rejections()
        #expect(rejections.count == 1)
        #expect(rejections.first?.reason.contains("shoe_size") == true)
    }
}
