import ContactsSim
import JSON
import TestSupport
import Testing

@Suite struct SuperWabaConformanceTests {
    let sim: SimHarness
    let org = "org-00000000-0000-4000-8000-000000000001"

    init() throws {
        sim = try SimHarness(.superwaba)
    }

    private func login() throws -> JSON {
        let response = try sim.call(
            "POST", "/api/auth/token",
            json: ["grant_type": "password", "email": "owner@example.com", "password": "sim-password"],
            authenticated: false)
        #expect(response.status == 200)
        return try response.json
    }

    private func headers(_ token: String) -> [String: String] {
        ["Authorization": "Bearer \(token)", "x-org-id": org]
    }

    @Test func tradesALoginForExpiringTokensAndRotatesRefreshTokens() throws {
        let tokens = try login()
        #expect(tokens["expires_in"] == 3600)
        let access = try #require(tokens["access_token"]?.string)
        let refresh = try #require(tokens["refresh_token"]?.string)
        #expect(
            try sim.call("GET", "/api/whatsapp/contacts", headers: headers(access), authenticated: false)
                .status == 200)

        try sim.control("POST", "/tokens/expire")
        let expired = try sim.call(
            "GET", "/api/whatsapp/contacts", headers: headers(access), authenticated: false)
        #expect(expired.status == 401)
        #expect(try expired.json == ["success": false, "error": "Token expired"])

        let renewed = try sim.call(
            "POST", "/api/auth/token",
            json: ["grant_type": "refresh_token", "refresh_token": .string(refresh)], authenticated: false)
        #expect(renewed.status == 200)
        let newAccess = try #require(try renewed.json["access_token"]?.string)
        #expect(
            try sim.call("GET", "/api/whatsapp/contacts", headers: headers(newAccess), authenticated: false)
                .status == 200)
        let reused = try sim.call(
            "POST", "/api/auth/token",
            json: ["grant_type": "refresh_token", "refresh_token": .string(refresh)], authenticated: false)
        #expect(reused.status == 401, "a refresh token works once")
        let wrong = try sim.call(
            "POST", "/api/auth/token",
            json: ["grant_type": "password", "email": "owner@example.com", "password": "guess"],
            authenticated: false)
        #expect(wrong.status == 401)
        #expect(
            try sim.call("POST", "/api/auth/token", json: ["grant_type": "magic"], authenticated: false)
                .status == 400)
    }

    @Test func needsTheOrganisationHeader() throws {
        let response = try sim.call(
            "GET", "/api/whatsapp/contacts", headers: ["Authorization": "Bearer sim-token"],
            authenticated: false)
        #expect(response.status == 401)
        #expect(try response.json == ["success": false, "error": "Unauthorized"])
        let otherOrg = try sim.call(
            "GET", "/api/whatsapp/contacts",
            headers: ["Authorization": "Bearer sim-token", "x-org-id": "org-other"], authenticated: false)
        #expect(otherOrg.status == 401)
    }

    @Test func listsCamelCaseItemsWithoutParamsAndPagesInCreationOrder() throws {
        try sim.seed(45)
        let page = try sim.call(
            "GET", "/api/whatsapp/contacts?page=1&limit=20&sortBy=created_at&sortOrder=asc"
        ).json
        #expect(page["success"] == true)
        let data = try #require(page["data"])
        #expect(data["total"] == 45)
        #expect(data["limit"] == 20)
        #expect(data["hasNext"] == true)
        let item = try #require(data["contacts"]?.array?.first)
        for key in [
            "id", "name", "phone", "email", "countryCode", "tags", "labels", "source", "optedIn", "isBlocked",
            "lastMessageAt", "conversationCount", "createdAt", "updatedAt",
        ] {
            #expect(item[key] != nil, "list item lacks \(key)")
        }
        #expect(item["params"] == nil)
        #expect(item["vendorContactId"] == nil)
        #expect(item["updatedAt"]?.string?.contains(".") == true, "milliseconds")
        #expect(
            try sim.call("GET", "/api/whatsapp/contacts?page=3&limit=20").json["data"]?["hasNext"] == false)
        // asc by creation: a new contact lands on the last page.
        _ = try sim.call("POST", "/api/whatsapp/contacts", json: ["userNumber": "+971501234567"])
        let last = try sim.call(
            "GET", "/api/whatsapp/contacts?page=3&limit=20&sortBy=created_at&sortOrder=asc"
        ).json
        #expect(last["data"]?["contacts"]?.array?.last?["phone"] == "+971501234567")
        let newestFirst = try sim.call("GET", "/api/whatsapp/contacts?limit=1").json
        #expect(
            newestFirst["data"]?["contacts"]?.array?.first?["phone"] == "+971501234567",
            "default order is created_at desc")
        #expect(try sim.call("GET", "/api/whatsapp/contacts?sortBy=phone").status == 400)
        #expect(try sim.call("GET", "/api/whatsapp/contacts?sortOrder=up").status == 400)
        #expect(
            try sim.call("GET", "/api/whatsapp/contacts?search=%2B971501234567").json["data"]?["total"] == 1)
    }

    @Test func createsOptedOutAndFindsByEitherId() throws {
        let response = try sim.call(
            "POST", "/api/whatsapp/contacts",
            json: [
                "userNumber": "+971501234567", "userName": "Ahmed Hassan", "email": "ahmed@example.com",
                "countryCode": "AE", "tags": ["lead"], "params": ["source_page": "/pricing"],
            ])
        #expect(response.status == 201)
        let contact = try #require(try response.json["data"])
        #expect(contact["id"]?.string?.hasPrefix("contact_") == true)
        #expect(contact["vendorContactId"]?.string?.count == 24)
        #expect(contact["optedIn"] == false)
        #expect(contact["source"] == "api")
        #expect(contact["params"] == ["source_page": "/pricing"])
        for id in [contact["id"]!.string!, contact["vendorContactId"]!.string!] {
            let detail = try sim.call("GET", "/api/whatsapp/contacts/\(id)").json
            #expect(detail["data"]?["params"] == ["source_page": "/pricing"])
        }
        let missing = try sim.call("GET", "/api/whatsapp/contacts/contact_nope")
        #expect(missing.status == 404)
        #expect(try missing.json == ["success": false, "error": "Contact not found"])
    }

    @Test func refusesDuplicatesAndMissingPhones() throws {
        _ = try sim.call("POST", "/api/whatsapp/contacts", json: ["userNumber": "+971501234567"])
        let duplicate = try sim.call("POST", "/api/whatsapp/contacts", json: ["userNumber": "+971501234567"])
        #expect(duplicate.status == 409)
        #expect(try duplicate.json["error"] == "Contact with this phone number already exists")
        let missing = try sim.call("POST", "/api/whatsapp/contacts", json: ["userName": "x"])
        #expect(missing.status == 400)
        #expect(try missing.json["error"] == "Phone number (userNumber) is required")
    }

    @Test func patchTakesAndAnswersSnakeCaseAndReplacesTagsAndParams() throws {
        let created = try sim.call(
            "POST", "/api/whatsapp/contacts",
            json: ["userNumber": "+971501234567", "tags": ["a"], "params": ["x": "1", "y": "2"]]
        ).json
        let id = try #require(created["data"]?["id"]?.string)
        let response = try sim.call(
            "PATCH", "/api/whatsapp/contacts/\(id)",
            json: [
                "name": "New", "country_code": "ae", "tags": ["b"], "params": ["z": "3"], "opted_in": true,
                "is_blocked": true, "unknown": 1,
            ])
        #expect(response.status == 200)
        let data = try #require(try response.json["data"])
        #expect(data["country_code"] == "AE")
        #expect(data["opted_in"] == true)
        #expect(data["is_blocked"] == true)
        #expect(data["tags"] == ["b"])
        #expect(data["params"] == ["z": "3"])
        #expect(data["updated_at"] != nil)
        #expect(data["updatedAt"] == nil)
        let noFields = try sim.call("PATCH", "/api/whatsapp/contacts/\(id)", json: ["unknown": 1])
        #expect(noFields.status == 400)
        #expect(try noFields.json["error"] == "No valid fields to update")
    }

    @Test func bulkSkipsDuplicatesByIndexAndNeverUpdates() throws {
        _ = try sim.call(
            "POST", "/api/whatsapp/contacts", json: ["userNumber": "+971502222222", "userName": "Keep me"])
        let response = try sim.call(
            "POST", "/api/whatsapp/contacts/bulk",
            json: [
                "contacts": [
                    ["userNumber": "+971501111111", "userName": "One"],
                    ["userNumber": "+971502222222", "userName": "Two"],
                    ["userNumber": "+971503333333", "email": "three@example.com"],
                    ["userNumber": "+971501111111"],
                ]
            ])
        let data = try #require(try response.json["data"])
        #expect(data["imported"] == 2)
        #expect(data["skipped"] == 2)
        #expect(data["errors"]?.array?.map { $0["index"] } == [1, 3])
        #expect(data["errors"]?.array?.first?["error"] == "Contact already exists")
        #expect(data["contacts"]?.array?.allSatisfy { $0["status"] == "created" } == true)
        #expect(try sim.storedContacts().first { $0["phone"] == "+971502222222" }?["name"] == "Keep me")
        let rows = JSON.array(
            (0..<1001).map { .object(["userNumber": .string("+9715\(String(10_000_000 + $0))")]) })
        #expect(try sim.call("POST", "/api/whatsapp/contacts/bulk", json: ["contacts": rows]).status == 400)
    }

    @Test func signals429WithNoHintAndHasNoDelete() throws {
        let sim = try SimHarness(.superwaba, limited: true)
        try sim.control("PATCH", "/settings", json: ["rate_per_minute": 3])
        for _ in 0..<3 { #expect(try sim.call("GET", "/api/whatsapp/contacts").status == 200) }
        let limited = try sim.call("GET", "/api/whatsapp/contacts")
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == nil)
        #expect(try limited.json == ["success": false, "error": "Rate limit exceeded"])
        // Token requests are not counted against the organisation's budget.
        #expect(
            try sim.call(
                "POST", "/api/auth/token",
                json: ["grant_type": "password", "email": "owner@example.com", "password": "sim-password"],
                authenticated: false
            ).status == 200)
        #expect(try self.sim.call("DELETE", "/api/whatsapp/contacts/contact_x").status == 405)
    }
}
