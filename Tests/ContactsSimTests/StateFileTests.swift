import ContactsSim
import Foundation
import JSON
import TestSupport
import Testing

@Suite struct StateFileTests {
    @Test func theStoreSurvivesARestartAndIdsAreNeverReused() throws {
        let path = NSTemporaryDirectory() + "contacts-sim-state-\(UUID().uuidString).sqlite"
        var firstIDs: [Int] = []
        do {
            let sim = try SimHarness(.qlara) { $0.stateFile = path }
            try sim.seed(30)
            let created = try sim.call(
                "POST", "/contacts", json: ["phoneNumber": "+34600000001", "fullName": "Persisted"]
            ).json
            firstIDs = try sim.storedContacts().compactMap { $0["id"]?.string.flatMap { Int($0) } }
            let id = try #require(created["id"]?.int)
            try sim.control("DELETE", "/contacts/\(id)")
            firstIDs.removeAll { $0 == id }
            sim.simulator.stop()
        }
        let restarted = try SimHarness(.qlara) { $0.stateFile = path }
        let stored = try restarted.storedContacts()
        #expect(stored.compactMap { $0["id"]?.string.flatMap { Int($0) } } == firstIDs)
        #expect(
            stored.contains { $0["tags"]?.array?.isEmpty == false }, "list memberships and lists came back")
        let next =
            try restarted.call("POST", "/contacts", json: ["phoneNumber": "+34600000002"]).json["id"]?.int
            ?? 0
        #expect(next > (firstIDs.max() ?? 0) + 1, "the deleted contact's id is not handed out again")
        #expect(restarted.simulator.seedIfEmpty(count: 10) == 0, "a restored store is not seeded again")
    }
}
