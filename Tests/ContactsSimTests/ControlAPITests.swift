import ContactsSim
import Foundation
import JSON
import TestSupport
import Testing

@Suite struct ControlAPITests {
    @Test func seedsTheSameRealisticPeopleFromTheSameSeed() throws {
        let first = try SimHarness(.waply)
        let second = try SimHarness(.waply)
        try first.seed(300, seed: 42)
        try second.seed(300, seed: 42)
        let people = try first.storedContacts()
        let again = try second.storedContacts()
        #expect(people.map { $0["phone"] } == again.map { $0["phone"] })
        #expect(people.map { $0["name"] } == again.map { $0["name"] })
        let phones = people.compactMap { $0["phone"]?.string }
        #expect(Set(phones).count == 300, "phones are unique")
        #expect(phones.allSatisfy { $0.hasPrefix("+") && (9...16).contains($0.count) })
        #expect(Set(people.compactMap { $0["country"]?.string }).count >= 8, "several countries")
        #expect(
            people.contains { $0["name"]?.string?.unicodeScalars.contains { !$0.isASCII } == true },
            "non-ASCII names")
        #expect(people.contains { $0["email"]?.string != nil })
        #expect(people.contains { $0["tags"]?.array?.isEmpty == false })
        #expect(people.allSatisfy { $0["attributes"]?.object?.isEmpty == false })
        let third = try SimHarness(.waply)
        try third.seed(300, seed: 43)
        #expect(try third.storedContacts().map { $0["phone"] } != people.map { $0["phone"] })
    }

    @Test func seedsQlaraTagsAsLists() throws {
        let sim = try SimHarness(.qlara)
        try sim.seed(50)
        let lists = try sim.call("GET", "/contacts/list?limit=100").json["content"]?.array ?? []
        #expect(!lists.isEmpty)
        #expect(Set(lists.compactMap { $0["name"]?.string }).count == lists.count, "one list a tag")
        #expect(try sim.storedContacts().contains { $0["tags"]?.array?.isEmpty == false })
    }

    @Test func editsDeletesAndOptsOutAsTheVendorSideWould() throws {
        let sim = try SimHarness(.waply)
        let created = try sim.control(
            "POST", "/contacts",
            json: ["phone": "+14155550001", "name": "Dash Board", "tags": ["x"], "attributes": ["a": "1"]])
        let id = try #require(created["id"]?.string)
        try sim.control("POST", "/clock", json: ["advance_seconds": 1])
        let edited = try sim.control("PATCH", "/contacts/\(id)", json: ["name": "Edited", "tags": ["y"]])
        #expect(edited["name"] == "Edited")
        #expect(try #require(edited["updated_at"]?.string) > (created["updated_at"]?.string ?? ""))
        #expect(try sim.call("GET", "/contacts/\(id)").json["name"] == "Edited")
        #expect(try sim.control("GET", "/contacts/+14155550001")["id"]?.string == id, "found by phone too")
        #expect(try sim.control("POST", "/contacts/\(id)/opt-out")["opt_in"] == "opted_out")
        try sim.control("DELETE", "/contacts/\(id)")
        #expect(try sim.call("GET", "/contacts/\(id)").status == 404)
        let client = try sim.client()
        #expect(try client.request("PATCH", "/_sim/contacts/\(id)", json: ["name": "x"]).status == 404)
        #expect(
            try client.request("POST", "/_sim/contacts", json: ["phone": "+14155550002", "colour": "red"])
                .status == 400)
        #expect(try client.request("GET", "/_sim/nothing").status == 404)
    }

    @Test func countsRequestsByEndpointAndOutcome() throws {
        let sim = try SimHarness(.waply)
        try sim.seed(5)
        _ = try sim.call("GET", "/contacts")
        _ = try sim.call("GET", "/contacts?page=2")
        _ = try sim.call("GET", "/contacts/missing")
        _ = try sim.call("POST", "/contacts", json: ["phone": "+14155550001"])
        let stats = try sim.stats()
        #expect(stats["total"] == 4)
        #expect(stats["reads"] == 3)
        #expect(stats["writes"] == 1)
        #expect(stats["endpoints"]?["GET /v1/contacts"] == ["200": 2])
        #expect(stats["endpoints"]?["GET /v1/contacts/{id}"] == ["404": 1])
        #expect(stats["endpoints"]?["POST /v1/contacts"] == ["201": 1])
        try sim.control("DELETE", "/stats")
        #expect(try sim.stats()["total"] == 0)
    }

    @Test func resetEmptiesTheStoreAndClearsFaults() throws {
        let sim = try SimHarness(.sendystack)
        try sim.seed(20)
        try sim.faults(["server_error_rate": 1])
        try sim.control("POST", "/reset")
        #expect(try sim.storedContacts().isEmpty)
        #expect(try sim.call("GET", "/internal/contacts").status == 200)
        #expect(try sim.control("GET", "/health")["contacts"] == 0)
    }

    @Test func settingsChangeAtRunTimeAndRefuseNonsense() throws {
        let sim = try SimHarness(.qlara, limited: true)
        #expect(try sim.control("GET", "/settings")["burst_per_second"] == 50)
        let updated = try sim.control("PATCH", "/settings", json: ["rate_per_minute": nil])
        #expect(updated["rate_per_minute"] == .null)
        let client = try sim.client()
        #expect(try client.request("PATCH", "/_sim/settings", json: ["duplicate_status": 418]).status == 400)
        #expect(try client.request("PATCH", "/_sim/settings", json: ["color": "blue"]).status == 400)
    }
}
