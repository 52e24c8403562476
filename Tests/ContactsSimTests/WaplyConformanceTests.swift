import ContactsSim
import JSON
import TestSupport
import Testing

@Suite struct WaplyConformanceTests {
    let sim: SimHarness

    init() throws {
        sim = try SimHarness(.waply)
    }

    private func create(_ body: JSON) throws -> JSON {
        let response = try sim.call("POST", "/contacts", json: body)
        #expect(response.status == 201, "\(response.text)")
        return try response.json
    }

    @Test func refusesMissingKeysAndPlansWithoutAPIAccess() throws {
        let missing = try sim.call("GET", "/contacts", authenticated: false)
        #expect(missing.status == 401)
        #expect(try missing.json["error"]?["code"] == "unauthorized")
        try sim.control("POST", "/tokens", json: ["token": "starter-plan", "role": "no_api"])
        let forbidden = try sim.call(
            "GET", "/contacts", headers: ["Authorization": "Bearer starter-plan"], authenticated: false)
        #expect(forbidden.status == 403)
        #expect(try forbidden.json["error"]?["code"] == "forbidden")
    }

    @Test func createsALeadAndRefusesADuplicatePhone() throws {
        let contact = try create([
            "phone": "+14155552671", "name": "Jane Doe", "tags": ["vip"], "custom_fields": ["tier": "gold"],
        ])
        #expect(contact["id"]?.string?.hasPrefix("con_") == true)
        #expect(contact["lifecycle_stage"] == "lead")
        #expect(contact["custom_fields"] == ["tier": "gold"])
        let stamp = try #require(contact["updated_at"]?.string)
        #expect(stamp.count == 20 && stamp.hasSuffix("Z"), "whole seconds, as Waply writes them")
        let duplicate = try sim.call("POST", "/contacts", json: ["phone": "+14155552671"])
        #expect(duplicate.status == 409)
        #expect(try duplicate.json["error"]?["code"] == "duplicate_phone")
    }

    @Test func answers422ForADuplicateWhenSoConfigured() throws {
        try sim.control("PATCH", "/settings", json: ["duplicate_status": 422])
        _ = try create(["phone": "+14155552671"])
        #expect(try sim.call("POST", "/contacts", json: ["phone": "+14155552671"]).status == 422)
    }

    @Test func validatesPhoneEmailAndDefinedCustomFields() throws {
        #expect(try sim.call("POST", "/contacts", json: ["name": "No phone"]).status == 422)
        #expect(try sim.call("POST", "/contacts", json: ["phone": "+1 415 555 2671"]).status == 422)
        #expect(
            try sim.call("POST", "/contacts", json: ["phone": "+14155552671", "email": "nope"]).status == 422)
        #expect(
            try sim.call("POST", "/contacts", json: ["phone": "+14155552671", "tags": "vip"]).status == 422)
        // Any key is fine until the account defines its fields.
        _ = try create(["phone": "+14155550001", "custom_fields": ["anything": "x"]])
        try sim.control("PATCH", "/settings", json: ["custom_fields": ["tier", "city"]])
        let unknown = try sim.call(
            "POST", "/contacts", json: ["phone": "+14155550002", "custom_fields": ["shoe_size": "42"]])
        #expect(unknown.status == 422)
        #expect(try unknown.json["error"]?["code"] == "unknown_custom_field")
        #expect(try unknown.json["error"]?["message"]?.string?.contains("shoe_size") == true)
        _ = try create(["phone": "+14155550003", "custom_fields": ["tier": "gold"]])
    }

    @Test func putIsPartialReplacesTagsAndMergesCustomFields() throws {
        let contact = try create([
            "phone": "+14155552671", "name": "Jane", "email": "jane@example.com", "tags": ["a", "b"],
            "custom_fields": ["tier": "gold", "city": "Lagos"],
        ])
        let id = try #require(contact["id"]?.string)
        try sim.control("POST", "/clock", json: ["advance_seconds": 2])
        let response = try sim.call(
            "PUT", "/contacts/\(id)",
            json: ["tags": ["c"], "custom_fields": ["tier": "silver", "city": nil, "new": "1"]])
        #expect(response.status == 200)
        let updated = try response.json
        #expect(updated["name"] == "Jane")
        #expect(updated["email"] == "jane@example.com")
        #expect(updated["tags"] == ["c"])
        #expect(updated["custom_fields"] == ["tier": "silver", "new": "1"])
        #expect(try #require(updated["updated_at"]?.string) > (contact["updated_at"]?.string ?? ""))
        let phoneChange = try sim.call("PUT", "/contacts/\(id)", json: ["phone": "+14155550000"])
        #expect(try phoneChange.json["phone"] == "+14155550000")
        #expect(try sim.call("GET", "/contacts/\(id)").json["phone"] == "+14155550000")
    }

    @Test func putRefusesAPhoneThatBelongsToAnotherContact() throws {
        _ = try create(["phone": "+14155550001"])
        let second = try create(["phone": "+14155550002"])
        let response = try sim.call(
            "PUT", "/contacts/\(second["id"]!.string!)", json: ["phone": "+14155550001"])
        #expect(response.status == 409)
    }

    @Test func deletesForGood() throws {
        let id = try #require(try create(["phone": "+14155552671"])["id"]?.string)
        let deleted = try sim.call("DELETE", "/contacts/\(id)")
        #expect(deleted.status == 200)
        #expect(try deleted.json == ["success": true])
        #expect(try sim.call("GET", "/contacts/\(id)").status == 404)
        #expect(try sim.call("DELETE", "/contacts/\(id)").status == 404)
        #expect(try sim.call("PUT", "/contacts/\(id)", json: ["name": "x"]).status == 404)
    }

    @Test func pagesWithTotalAndFilters() throws {
        try sim.seed(45)
        let first = try sim.call("GET", "/contacts?page=1&limit=20").json
        #expect(first["total"] == 45)
        #expect(first["page"] == 1)
        #expect(first["data"]?.array?.count == 20)
        #expect(first["hasNext"] == nil, "Waply pages carry no hasNext")
        #expect(try sim.call("GET", "/contacts?page=3&limit=20").json["data"]?.array?.count == 5)
        #expect(try sim.call("GET", "/contacts?page=4&limit=20").json["data"]?.array?.count == 0)
        #expect(
            try sim.call("GET", "/contacts?limit=500").json["data"]?.array?.count == 45,
            "limit is capped at 100, not refused")
        #expect(try sim.call("GET", "/contacts?page=0").status == 422)
        _ = try create(["phone": "+14155559999", "name": "Unique Person", "tags": ["only-me"]])
        #expect(try sim.call("GET", "/contacts?tag=only-me").json["total"] == 1)
        #expect(try sim.call("GET", "/contacts?search=unique%20pers").json["total"] == 1)
        #expect(try sim.call("GET", "/contacts?search=5559999").json["total"] == 1)
    }

    @Test func signalsItsRateLimitWithRetryAfter() throws {
        let sim = try SimHarness(.waply, limited: true)
        try sim.control("PATCH", "/settings", json: ["rate_per_minute": 5])
        let client = try sim.client()
        for _ in 0..<5 {
            #expect(try client.request("GET", "/v1/contacts", headers: sim.authHeaders).status == 200)
        }
        let limited = try client.request("GET", "/v1/contacts", headers: sim.authHeaders)
        #expect(limited.status == 429)
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try limited.json["error"]?["code"] == "rate_limited")
    }

    @Test func defaultsToThePublishedLimitOf100AMinute() throws {
        let sim = try SimHarness(.waply, limited: true)
        let client = try sim.client()
        var statuses: [Int] = []
        for _ in 0..<101 {
            statuses.append(
                try client.request("GET", "/v1/contacts?limit=1", headers: sim.authHeaders).status)
        }
        #expect(statuses.filter { $0 == 200 }.count == 100)
        #expect(statuses.last == 429)
    }

    @Test func answersUnknownPathsAndMethodsInItsEnvelope() throws {
        #expect(try sim.call("GET", "/nothing").status == 404)
        let wrongMethod = try sim.call("PATCH", "/contacts")
        #expect(wrongMethod.status == 405)
        #expect(try wrongMethod.json["error"]?["code"] == "method_not_allowed")
        let broken = try sim.client().request(
            "POST", "/v1/contacts", headers: sim.authHeaders, body: Array("{not json".utf8))
        #expect(broken.status == 400)
        #expect(try broken.json["error"]?["code"] == "invalid_json")
    }
}
