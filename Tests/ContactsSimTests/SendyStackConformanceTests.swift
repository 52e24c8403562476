import ContactsSim
import JSON
import TestSupport
import Testing

@Suite struct SendyStackConformanceTests {
    let sim: SimHarness

    init() throws {
        sim = try SimHarness(.sendystack)
    }

    @Test func refusesPublicAPIKeysMissingTokensAndViewerWrites() throws {
        let apiKey = try sim.call(
            "GET", "/internal/contacts", headers: ["Authorization": "Bearer wac_live_abc123"],
            authenticated: false)
        #expect(apiKey.status == 403)
        let error = try #require(try apiKey.json["error"])
        #expect(error["type"] == "auth_error")
        #expect(error["code"] == "dashboard_session_required")
        #expect(error["request_id"]?.string?.hasPrefix("req_") == true)
        #expect(
            try sim.call(
                "GET", "/internal/contacts", headers: ["Authorization": "Bearer wac_test_x"],
                authenticated: false
            ).status == 403)
        #expect(try sim.call("GET", "/internal/contacts", authenticated: false).status == 401)
        #expect(
            try sim.call(
                "GET", "/internal/contacts", headers: ["Authorization": "Bearer unknown"],
                authenticated: false
            ).status == 401)

        try sim.control("POST", "/tokens", json: ["token": "viewer-session", "role": "viewer"])
        let viewer = ["Authorization": "Bearer viewer-session"]
        #expect(
            try sim.call("GET", "/internal/contacts", headers: viewer, authenticated: false).status == 200)
        let write = try sim.call(
            "POST", "/internal/contacts", json: ["phone": "+254700000001"], headers: viewer,
            authenticated: false)
        #expect(write.status == 403)
        #expect(try write.json["error"]?["code"] == "insufficient_role")
        for role in ["admin", "developer"] {
            try sim.control(
                "POST", "/tokens", json: ["token": .string("\(role)-session"), "role": .string(role)])
            let response = try sim.call(
                "POST", "/internal/contacts", json: ["phone": .string("+25470000000\(role.count)")],
                headers: ["Authorization": "Bearer \(role)-session"], authenticated: false)
            #expect(response.status == 201)
        }
    }

    @Test func upsertsOnTheNormalizedPhone() throws {
        let created = try sim.call(
            "POST", "/internal/contacts",
            json: [
                "name": "Jane Doe", "phone": "+254700000000", "country": "KE",
                "attributes": ["rent_amount": "25000", "invoice_no": "ALF-0042"], "tags": ["a"],
            ])
        #expect(created.status == 201)
        let first = try created.json
        #expect(first["created"] == true)
        #expect(first["contact"]?["opt_in_status"] == "unknown")
        #expect(first["contact"]?["id"]?.string?.count == 29, "ct_ and 26 characters")
        let again = try sim.call(
            "POST", "/internal/contacts",
            json: [
                "phone": "+254 700 000 000", "attributes": ["rent_amount": "26000", "invoice_no": nil],
                "tags": ["b"],
            ])
        #expect(again.status == 200)
        let second = try again.json
        #expect(second["created"] == false)
        #expect(second["contact"]?["id"] == first["contact"]?["id"])
        #expect(second["contact"]?["name"] == "Jane Doe", "an omitted name is kept")
        #expect(second["contact"]?["attributes"] == ["rent_amount": "26000"])
        #expect(second["contact"]?["tags"] == ["b"], "given tags replace")
        #expect(try sim.storedContacts().count == 1)
    }

    @Test func validatesPhoneAndCountry() throws {
        #expect(try sim.call("POST", "/internal/contacts", json: ["name": "x"]).status == 400)
        let badPhone = try sim.call("POST", "/internal/contacts", json: ["phone": "0700 000 000"])
        #expect(badPhone.status == 400)
        #expect(try badPhone.json["error"]?["code"] == "invalid_phone")
        #expect(
            try sim.call("POST", "/internal/contacts", json: ["phone": "+254700000000", "country": "Kenya"])
                .status == 400)
        #expect(
            try sim.call(
                "POST", "/internal/contacts", json: ["phone": "+254700000000", "attributes": ["n": 1]]
            ).status == 400)
    }

    @Test func replaysAnIdempotencyKeyAndRefusesItForAnotherBody() throws {
        let key = ["Idempotency-Key": "create-jane-1"]
        let first = try sim.call(
            "POST", "/internal/contacts", json: ["phone": "+254700000000", "name": "Jane"], headers: key)
        #expect(first.status == 201)
        let replay = try sim.call(
            "POST", "/internal/contacts", json: ["phone": "+254700000000", "name": "Jane"], headers: key)
        #expect(replay.status == 201, "the first answer is replayed, not a fresh 200 upsert")
        #expect(replay.body == first.body)
        #expect(
            try sim.storedContacts().first?["updated_at"] == first.json["contact"]?["updated_at"],
            "the replay wrote nothing")
        let reused = try sim.call(
            "POST", "/internal/contacts", json: ["phone": "+254700000000", "name": "Other"], headers: key)
        #expect(reused.status == 409)
        #expect(try reused.json["error"]?["code"] == "idempotency_key_reused")
    }

    @Test func bulkUpsertsRowByRowWithOneTimestamp() throws {
        _ = try sim.call("POST", "/internal/contacts", json: ["phone": "+254700000009", "name": "Existing"])
        try sim.control("POST", "/clock", json: ["advance_seconds": 5])
        let response = try sim.call(
            "POST", "/internal/contacts/bulk",
            json: [
                "contacts": [
                    ["name": "Sarah", "phone": "+254700112233"], ["name": "Bad", "phone": "not a phone"],
                    ["name": "Updated", "phone": "+254700000009"], "not an object",
                ]
            ])
        #expect(response.status == 200)
        let body = try response.json
        #expect(body["created"] == 1)
        #expect(body["updated"] == 1)
        #expect(body["failed"] == 2)
        let results = try #require(body["results"]?.array)
        #expect(results.map { $0["status"] } == ["created", "failed", "updated", "failed"])
        #expect(results.map { $0["index"] } == [0, 1, 2, 3])
        #expect(results[1]["error"]?["code"] == "invalid_phone")
        let stored = try sim.storedContacts()
        let stamps = Set(stored.compactMap { $0["updated_at"]?.string })
        #expect(stamps.count == 1, "one batch, one timestamp: \(stamps)")
    }

    @Test func bulkRefusesEmptyAndOversizedBatches() throws {
        #expect(try sim.call("POST", "/internal/contacts/bulk", json: ["contacts": []]).status == 400)
        let rows = (0..<1001).map { JSON.object(["phone": .string("+2547\(String(10_000_000 + $0))")]) }
        let tooMany = try sim.call("POST", "/internal/contacts/bulk", json: ["contacts": .array(rows)])
        #expect(tooMany.status == 400)
        #expect(try tooMany.json["error"]?["code"] == "bulk_limit_exceeded")
        let exactly = try sim.call(
            "POST", "/internal/contacts/bulk", json: ["contacts": .array(Array(rows.prefix(1000)))])
        #expect(try exactly.json["created"] == 1000)
    }

    @Test func patchMergesAttributesReplacesTagsAndRefusesOtherFields() throws {
        let created = try sim.call(
            "POST", "/internal/contacts",
            json: ["phone": "+254700000000", "attributes": ["a": "1", "b": "2"], "tags": ["x"]]
        ).json
        let id = try #require(created["contact"]?["id"]?.string)
        let patched = try sim.call(
            "PATCH", "/internal/contacts/\(id)",
            json: ["name": "New", "attributes": ["a": nil, "c": "3"], "tags": []])
        #expect(patched.status == 200)
        let contact = try patched.json
        #expect(contact["name"] == "New")
        #expect(contact["attributes"] == ["b": "2", "c": "3"])
        #expect(contact["tags"] == [])
        #expect(
            try sim.call("PATCH", "/internal/contacts/\(id)", json: ["phone": "+254700000001"]).status == 400)
        #expect(try sim.call("PATCH", "/internal/contacts/\(id)", json: [:]).status == 400)
        #expect(try sim.call("PATCH", "/internal/contacts/ct_missing", json: ["name": "x"]).status == 404)
    }

    @Test func listsOnlyTheFiveHundredMostRecentlyUpdatedNewestFirst() throws {
        try sim.seed(600)
        let stored = try sim.storedContacts()
        let list = try #require(try sim.call("GET", "/internal/contacts").json["contacts"]?.array)
        #expect(list.count == 500)
        let stamps = list.compactMap { $0["updated_at"]?.string }
        #expect(stamps == stamps.sorted(by: >))
        // The oldest contact moves to the front as soon as it is written.
        let oldest = try #require(
            stored.min { ($0["updated_at"]?.string ?? "") < ($1["updated_at"]?.string ?? "") })
        #expect(!list.contains { $0["id"] == oldest["id"] })
        _ = try sim.call("PATCH", "/internal/contacts/\(oldest["id"]!.string!)", json: ["name": "Touched"])
        let after = try sim.call("GET", "/internal/contacts").json["contacts"]?.array
        #expect(after?.first?["id"] == oldest["id"])
    }

    @Test func hasNoDeleteAndSignals429WithRetryAfter() throws {
        let created = try sim.call("POST", "/internal/contacts", json: ["phone": "+254700000000"]).json
        #expect(
            try sim.call("DELETE", "/internal/contacts/\(created["contact"]!["id"]!.string!)").status == 405)
        try sim.faults(["force_429_next": 1, "retry_after_seconds": 7])
        let limited = try sim.call("GET", "/internal/contacts")
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "7")
        #expect(try limited.json["error"]?["type"] == "rate_limit_error")
    }

    @Test func opensOptOutsOnlyFromTheVendorSide() throws {
        let created = try sim.call("POST", "/internal/contacts", json: ["phone": "+254700000000"]).json
        let id = try #require(created["contact"]?["id"]?.string)
        try sim.control("POST", "/contacts/\(id)/opt-out")
        let listed = try sim.call("GET", "/internal/contacts").json["contacts"]?.array?.first
        #expect(listed?["opt_in_status"] == "opted_out")
        // Nothing a client can send turns it back.
        _ = try sim.call(
            "POST", "/internal/contacts", json: ["phone": "+254700000000", "opt_in_status": "opted_in"])
        #expect(try sim.storedContacts().first?["opt_in"] == "opted_out")
    }
}
