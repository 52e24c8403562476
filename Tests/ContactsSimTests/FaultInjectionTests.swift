import ContactsSim
import Foundation
import JSON
import TestSupport
import Testing

@Suite struct FaultInjectionTests {
    let sim: SimHarness

    init() throws {
        sim = try SimHarness(.waply)
    }

    @Test func serverErrorsApplyNothing() throws {
        try sim.faults(["server_error_next": 6])
        var statuses = Set<Int>()
        for index in 0..<6 {
            let response = try sim.call("POST", "/contacts", json: ["phone": .string("+1415555000\(index)")])
            statuses.insert(response.status)
            if response.status == 502 {
                #expect(response.header("Content-Type") == "text/html", "gateways answer HTML")
            }
        }
        #expect(statuses.isSubset(of: [500, 502, 503]))
        #expect(try sim.storedContacts().isEmpty)
        #expect(try sim.call("POST", "/contacts", json: ["phone": "+14155550009"]).status == 201)
    }

    @Test func dropBeforeWriteClosesWithoutApplying() throws {
        try sim.faults(["drop_before_next": 1])
        #expect(throws: LoopbackClient.Failure.self) {
            try sim.call("POST", "/contacts", json: ["phone": "+14155550001"])
        }
        #expect(try sim.storedContacts().isEmpty)
    }

    @Test func dropAfterWriteAppliesThenCloses() throws {
        try sim.faults(["drop_after_next": 1, "methods": ["POST"]])
        #expect(throws: LoopbackClient.Failure.self) {
            try sim.call("POST", "/contacts", json: ["phone": "+14155550001"])
        }
        #expect(try sim.storedContacts().map { $0["phone"] } == ["+14155550001"], "the write happened")
        // The client's retry meets the duplicate, which is how it learns what happened.
        #expect(try sim.call("POST", "/contacts", json: ["phone": "+14155550001"]).status == 409)
        let stats = try sim.stats()
        #expect(stats["endpoints"]?["POST /v1/contacts"]?["dropped"] == 1)
    }

    @Test func malformedBodiesAreCutShort() throws {
        try sim.seed(3)
        try sim.faults(["malformed_next": 1])
        let response = try sim.call("GET", "/contacts")
        #expect(response.status == 200)
        #expect(throws: JSONError.self) { try JSON.parse(response.body) }
        #expect(throws: Never.self) { try sim.call("GET", "/contacts").json }
    }

    @Test func forced429sComeFirst() throws {
        try sim.faults(["force_429_next": 2, "retry_after_seconds": 3])
        #expect(try sim.call("GET", "/contacts").status == 429)
        let second = try sim.call("GET", "/contacts")
        #expect(second.status == 429)
        #expect(second.header("Retry-After") == "3")
        #expect(try sim.call("GET", "/contacts").status == 200)
    }

    @Test func latencyAndSpikesDelayAnswers() throws {
        try sim.faults(["latency_ms": 150, "spike_rate": 1, "spike_ms": 100])
        let started = Date()
        #expect(try sim.call("GET", "/contacts").status == 200)
        #expect(Date().timeIntervalSince(started) >= 0.25)
    }

    @Test func faultsCanBeScopedByMethodAndPath() throws {
        try sim.faults(["server_error_rate": 1, "methods": ["POST"], "path_contains": "/contacts"])
        #expect(try sim.call("GET", "/contacts").status == 200)
        #expect(try sim.call("POST", "/contacts", json: ["phone": "+14155550001"]).status >= 500)
        // The control API is never faulted.
        #expect(try sim.control("GET", "/faults")["server_error_rate"] == 1.0)
    }

    @Test func aRateOfFailuresIsAShareOfRequests() throws {
        try sim.faults(["server_error_rate": 0.2])
        let client = try sim.client()
        var failures = 0
        for _ in 0..<500
        where try client.request("GET", "/v1/contacts?limit=1", headers: sim.authHeaders).status >= 500 {
            failures += 1
        }
        #expect((60...140).contains(failures), "\(failures) of 500")
    }

    @Test func contactsComeAndGoWhileAClientPages() throws {
        try sim.seed(100)
        try sim.faults(["churn_insert_per_page": 4, "churn_delete_per_page": 2])
        let first = try sim.call("GET", "/contacts?page=1&limit=10").json
        let second = try sim.call("GET", "/contacts?page=2&limit=10").json
        #expect(first["total"] == 102)
        #expect(second["total"] == 104)
        #expect(try sim.storedContacts().count == 104)
    }

    @Test func refusesUnknownOrOutOfRangeFaults() throws {
        let client = try sim.client()
        let unknown = try client.request("PUT", "/_sim/faults", json: ["explode": 1])
        #expect(unknown.status == 400)
        #expect(unknown.text.contains("explode"))
        #expect(try client.request("PUT", "/_sim/faults", json: ["server_error_rate": 2]).status == 400)
        #expect(try client.request("PUT", "/_sim/faults", json: ["latency_ms": -1]).status == 400)
    }

    @Test func faultsCanBeSetFromTheCommandLine() throws {
        let sim = try SimHarness(.waply) { $0.faults.force429Next = 1 }
        #expect(try sim.call("GET", "/contacts").status == 429)
    }
}
