import ContactsSim
import Foundation
import JSON
import TestSupport
import Testing

@Suite struct QlaraConformanceTests {
    let sim: SimHarness

    init() throws {
        sim = try SimHarness(.qlara)
    }

    @discardableResult
    private func create(_ body: JSON) throws -> Int {
        let response = try sim.call("POST", "/contacts", json: body)
        #expect(response.status == 201, "\(response.text)")
        return try #require(try response.json["id"]?.int)
    }

    @Test func acceptsAnAPIKeyOrBasicAuthAndChallengesOtherwise() throws {
        #expect(try sim.call("GET", "/contacts").status == 200)
        let basic = "Basic " + Data("partner:sim-token".utf8).base64EncodedString()
        #expect(
            try sim.call("GET", "/contacts", headers: ["Authorization": basic], authenticated: false).status
                == 200)
        let refused = try sim.call("GET", "/contacts", headers: ["X-Api-Key": "wrong"], authenticated: false)
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate")?.hasPrefix("Basic") == true)
        #expect(try refused.json["status"] == 401)
        #expect(try refused.json["error"] == "Unauthorized")
    }

    @Test func carriesRateLimitHeadersOnEveryResponse() throws {
        let sim = try SimHarness(.qlara, limited: true)
        let ok = try sim.call("GET", "/contacts")
        #expect(ok.header("X-RateLimit-Limit") == "1000")
        #expect(ok.header("X-RateLimit-Remaining") == "999")
        for response in [
            try sim.call("GET", "/contacts/999999"), try sim.call("GET", "/contacts", authenticated: false),
            try sim.call("POST", "/contacts", json: [:]),
        ] {
            #expect(response.header("X-RateLimit-Limit") != nil, "\(response.status) lacks X-RateLimit-Limit")
            #expect(response.header("X-RateLimit-Remaining") != nil)
        }
    }

    @Test func limitsBurstsToFiftyASecondWithRetryAfterInTheBody() throws {
        let sim = try SimHarness(.qlara, limited: true)
        let client = try sim.client()
        var statuses: [Int] = []
        var limited: LoopbackClient.Response?
        for _ in 0..<60 {
            let response = try client.request(
                "GET", "/api/partner-gateway/v1/contacts?limit=1", headers: sim.authHeaders)
            statuses.append(response.status)
            if response.status == 429 { limited = response }
        }
        #expect(statuses.prefix(50).allSatisfy { $0 == 200 })
        let response = try #require(limited)
        #expect(response.header("Retry-After") == nil)
        let body = try response.json
        #expect(body["status"] == 429)
        #expect(body["error"] == "Too Many Requests")
        #expect((body["retryAfter"]?.int ?? 0) >= 1)
    }

    @Test func createsAnswersOnlyTheIdAndReadsTheWholeContact() throws {
        let id = try create([
            "fullName": "Ana Peña", "phoneNumber": "+34612345678", "email": "ana@example.com",
            "gender": "FEMALE", "customFields": ["tier": "gold"],
        ])
        let body = try sim.call("POST", "/contacts", json: ["phoneNumber": "+34612345679"]).json
        #expect(body.object?.memberNames == ["id"])
        let contact = try sim.call("GET", "/contacts/\(id)").json
        #expect(contact["fullName"] == "Ana Peña")
        #expect(contact["isValid"] == true)
        #expect(contact["communicationSupported"]?.array?.contains("SMS") == true)
        #expect(contact["listIds"] == [])
        #expect(contact["createdAt"]?.string?.hasSuffix("Z") == true)
        #expect(try sim.call("POST", "/contacts", json: ["phoneNumber": "+34612345678"]).status == 409)
        #expect(try sim.call("POST", "/contacts", json: ["fullName": "Nobody"]).status == 400)
        #expect(try sim.call("POST", "/contacts", json: ["email": "only@example.com"]).status == 201)
        #expect(
            try sim.call("POST", "/contacts", json: ["phoneNumber": "+34612345670", "gender": "male"]).status
                == 400)
        #expect(try sim.call("GET", "/contacts/abc").status == 400)
        #expect(try sim.call("GET", "/contacts/424242").status == 404)
    }

    @Test func putReplacesEveryMutableField() throws {
        let id = try create([
            "fullName": "Ana", "phoneNumber": "+34612345678", "email": "ana@example.com", "gender": "FEMALE",
            "customFields": ["tier": "gold"],
        ])
        let replaced = try sim.call(
            "PUT", "/contacts/\(id)",
            json: ["phoneNumber": "+34612345678", "fullName": "Ana B", "gender": "FEMALE"])
        #expect(replaced.status == 200)
        let contact = try replaced.json
        #expect(contact["fullName"] == "Ana B")
        #expect(contact["email"] == .null, "an omitted field is cleared")
        #expect(contact["customFields"] == [:])
        #expect(contact["gender"] == "FEMALE")
        let other = try create(["phoneNumber": "+34600000000"])
        #expect(
            try sim.call("PUT", "/contacts/\(other)", json: ["phoneNumber": "+34612345678"]).status == 409)
        #expect(
            try sim.call("PUT", "/contacts/\(other)", json: ["fullName": "no phone or email"]).status == 400)
    }

    @Test func deletesInBatchesOfAtMostAThousand() throws {
        let first = try create(["phoneNumber": "+34600000001"])
        let second = try create(["phoneNumber": "+34600000002"])
        let response = try sim.call(
            "DELETE", "/contacts", json: ["ids": [.int(first), .int(second), 999_999]])
        #expect(try response.json == ["deleted": 2])
        #expect(try sim.call("GET", "/contacts/\(first)").status == 404)
        #expect(
            try sim.call("DELETE", "/contacts", json: ["ids": .array((0..<1001).map(JSON.int))]).status == 400
        )
        #expect(try sim.call("DELETE", "/contacts", json: ["ids": []]).status == 400)
    }

    @Test func pagesFromZeroSortsAndFilters() throws {
        try sim.seed(25)
        let page = try sim.call("GET", "/contacts").json
        #expect(page["page"] == 0)
        #expect(page["limit"] == 10)
        #expect(page["totalElements"] == 25)
        #expect(page["totalPages"] == 3)
        let names = page["content"]?.array?.compactMap { $0["fullName"]?.string?.lowercased() } ?? []
        #expect(names == names.sorted(), "default sort is fullName asc")
        let byID = try sim.call("GET", "/contacts?page=2&limit=10&sortBy=id").json
        #expect(byID["content"]?.array?.count == 5)
        let ids = byID["content"]?.array?.compactMap { $0["id"]?.int } ?? []
        #expect(ids == ids.sorted())
        let descending =
            try sim.call("GET", "/contacts?sortBy=updatedAt&sortOrder=desc&limit=25").json["content"]?.array
            ?? []
        let stamps = descending.compactMap { $0["updatedAt"]?.string }
        #expect(stamps == stamps.sorted(by: >))
        #expect(try sim.call("GET", "/contacts?sortBy=age").status == 400)
        let phone = try #require(descending.first?["phoneNumber"]?.string)
        let exact = try sim.call(
            "GET", "/contacts?phoneNumber=\(phone.replacingOccurrences(of: "+", with: "%2B"))"
        ).json
        #expect(exact["totalElements"] == 1)
        #expect(try sim.call("GET", "/contacts?isValid=maybe").status == 400)
        #expect(try sim.call("GET", "/contacts?isValid=true").json["totalElements"] == 25)
    }

    @Test func listsGroupContactsAndNamesMayRepeat() throws {
        let contact = try create(["phoneNumber": "+34600000001"])
        let first = try sim.call("POST", "/contacts/list", json: ["name": "vip", "description": "best"]).json
        let second = try sim.call("POST", "/contacts/list", json: ["name": "vip"]).json
        let firstID = try #require(first["id"]?.int)
        let secondID = try #require(second["id"]?.int)
        #expect(firstID != secondID)
        #expect(first["contactCount"] == 0)
        let added = try sim.call(
            "POST", "/contacts/list/contacts",
            json: ["contactIds": [.int(contact)], "listIds": [.int(firstID)]])
        #expect(try added.json == ["added": 1])
        #expect(try sim.call("GET", "/contacts/\(contact)").json["listIds"] == [.int(firstID)])
        let members = try sim.call("GET", "/contacts/list/\(firstID)/contacts").json
        #expect(members["totalElements"] == 1)
        #expect(try sim.call("GET", "/contacts?listIds=\(firstID),\(secondID)").json["totalElements"] == 1)
        let lists = try sim.call("GET", "/contacts/list?limit=100").json["content"]?.array ?? []
        #expect(lists.filter { $0["name"] == "vip" }.count == 2)
        #expect(lists.first { $0["id"]?.int == firstID }?["contactCount"] == 1)
        #expect(
            try sim.call(
                "POST", "/contacts/list/contacts", json: ["contactIds": [.int(contact)], "listIds": [424242]]
            ).status == 404)
        #expect(try sim.call("GET", "/contacts/list/424242/contacts").status == 404)
        let removed = try sim.call(
            "DELETE", "/contacts/list/contacts",
            json: ["contactIds": [.int(contact)], "listIds": [.int(firstID)]])
        #expect(try removed.json == ["removed": 1])
        #expect(try sim.call("GET", "/contacts/\(contact)").json["listIds"] == [])
        #expect(try sim.call("POST", "/contacts/list", json: ["description": "no name"]).status == 400)
    }

    private func upload(_ path: String, filename: String, content: String) throws -> LoopbackClient.Response {
        let boundary = "----syncd-test-boundary"
        var body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n"
        body +=
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: text/plain\r\n\r\n"
        body += content + "\r\n--\(boundary)--\r\n"
        return try sim.call(
            "POST", path, headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"],
            body: Array(body.utf8))
    }

    @Test func importsACSVInTwoStepsCreatingOrUpdatingByPhone() throws {
        let existing = try create([
            "phoneNumber": "+34600000001", "fullName": "Old Name", "customFields": ["keep": "me"],
        ])
        let list = try #require(
            try sim.call("POST", "/contacts/list", json: ["name": "imported"]).json["id"]?.int)
        let csv =
            "name,mobile,mail,tier\r\n\"Pérez, Ana\",+34 600 000 001,ana@example.com,gold\r\nNew Person,+34600000002,,silver\r\nBroken,12,,x\r\n"
        let uploaded = try upload("/contacts/upload", filename: "contacts.csv", content: csv)
        #expect(uploaded.status == 201)
        let preview = try uploaded.json
        #expect(preview["columns"] == ["name", "mobile", "mail", "tier"])
        #expect(preview["rows"]?.array?.first?["name"] == "Pérez, Ana")
        let uploadID = try #require(preview["uploadId"]?.string)
        let result = try sim.call(
            "POST", "/contacts/mapped/file",
            json: [
                "uploadId": .string(uploadID), "listId": .int(list),
                "mapping": [
                    "name": "fullName", "mobile": "phoneNumber", "mail": "email", "tier": "customFields.tier",
                ],
            ]
        ).json
        #expect(result["created"] == 1)
        #expect(result["updated"] == 1)
        #expect(result["failed"] == 1)
        #expect(result["errors"]?.array?.first?["row"] == 3)
        let updated = try sim.call("GET", "/contacts/\(existing)").json
        #expect(updated["fullName"] == "Pérez, Ana")
        #expect(updated["customFields"] == ["keep": "me", "tier": "gold"])
        #expect(updated["listIds"] == [.int(list)])
        #expect(
            try sim.call(
                "POST", "/contacts/mapped/file", json: ["uploadId": "nope", "mapping": ["a": "fullName"]]
            ).status == 404)
        #expect(
            try sim.call(
                "POST", "/contacts/mapped/file",
                json: ["uploadId": .string(uploadID), "mapping": ["name": "age"]]
            ).status == 400)
    }

    @Test func importsVCards() throws {
        let vcf =
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jürgen Müller\r\nTEL;TYPE=CELL:+4915112345678\r\nEMAIL:j@example.com\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nN:Doe;Jane;;;\r\nTEL;VALUE=uri:tel:+14155552671\r\nEND:VCARD\r\n"
        let uploaded = try upload("/contacts/upload/vcard", filename: "people.vcf", content: vcf)
        #expect(uploaded.status == 201)
        let uploadID = try #require(try uploaded.json["uploadId"]?.string)
        let result = try sim.call("POST", "/contacts/mapped/vcard", json: ["uploadId": .string(uploadID)])
            .json
        #expect(result["created"] == 2)
        let names = try sim.storedContacts().compactMap { $0["name"]?.string }.sorted()
        #expect(names == ["Jane Doe", "Jürgen Müller"])
        #expect(try upload("/contacts/upload/vcard", filename: "x.vcf", content: "not a card").status == 400)
        #expect(try sim.call("POST", "/contacts/upload", body: Array("plain".utf8)).status == 415)
    }

    @Test func exportsAsynchronouslyWithAnExpiringLink() throws {
        try sim.control(
            "PATCH", "/settings", json: ["export_ready_after_ms": 300, "export_url_ttl_seconds": 60])
        let id = try create([
            "phoneNumber": "+34600000001", "fullName": "Ana", "customFields": ["tier": "gold"],
        ])
        try create(["phoneNumber": "+34600000002"])
        let started = try sim.call("POST", "/exports/contacts", json: ["contactIds": [.int(id)]])
        #expect(started.status == 202)
        let exportID = try #require(try started.json["id"]?.string)
        #expect(try started.json["status"] == "PENDING")
        #expect(try sim.call("GET", "/exports/\(exportID)").json["status"] == "PENDING")
        usleep(350_000)
        let ready = try sim.call("GET", "/exports/\(exportID)").json
        #expect(ready["status"] == "READY")
        let url = try #require(ready["downloadUrl"]?.string)
        let path = String(url.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" })
        let download = try sim.client().request("GET", path)
        #expect(download.status == 200)
        #expect(download.text.contains("+34600000001"))
        #expect(!download.text.contains("+34600000002"))
        #expect(download.text.contains("customFields.tier"))

        try sim.control("POST", "/clock", json: ["advance_seconds": 61])
        #expect(try sim.client().request("GET", path).status == 410)
        let regenerated = try sim.call("POST", "/exports/\(exportID)").json
        let newPath = String(
            try #require(regenerated["downloadUrl"]?.string).drop { $0 != "/" }.dropFirst(2).drop {
                $0 != "/"
            })
        #expect(newPath != path)
        #expect(try sim.client().request("GET", newPath).status == 200)
        #expect(try sim.call("GET", "/exports/nope").status == 404)
    }
}

extension SimHarness {
    /// A vendor request with a raw body.
    func call(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]) throws
        -> LoopbackClient.Response
    {
        try client().request(
            method, dialect.basePath + path, headers: headers.merging(authHeaders) { current, _ in current },
            body: body)
    }
}
