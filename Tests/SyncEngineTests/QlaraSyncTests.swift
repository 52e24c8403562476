import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import SyncdCLI
import TestSupport
import Testing

/// Syncing with Qlara over loopback, against the bundled emulator: what sets it apart from
/// the other vendors. (The cases every vendor shares run in the first-sync, change and fault
/// suites for Qlara too.)
@Suite struct QlaraSyncTests {
    /// Request counts of one endpoint, named as in Qlara's docs (`POST /contacts`).
    private func endpoint(_ fixture: SyncFixture, _ name: String) throws -> JSON? {
        let parts = name.split(separator: " ", maxSplits: 1)
        return try fixture.sim.stats()["endpoints"]?["\(parts[0]) /api/partner-gateway/v1\(parts[1])"]
    }

    private func lists(_ fixture: SyncFixture) throws -> [(id: Int, name: String)] {
        let body = try fixture.sim.call("GET", "/contacts/list?page=0&limit=1000").json
        return (body["content"]?.array ?? []).compactMap { item in
            guard let id = item["id"]?.int, let name = item["name"]?.string else { return nil }
            return (id, name)
        }
    }

    // MARK: - Tags are lists

    @Test func tagsBecomeListsAndListsComeBackAsTags() async throws {
        let fixture = try SyncFixture(.qlara)
        try fixture.insertLocal("+254700000001", name: "Ann", tags: ["vip", "lead"])
        try fixture.insertLocal("+254700000002", name: "Ben")
        try await fixture.sync()
        #expect(try lists(fixture).map(\.name).sorted() == ["lead", "vip"])
        #expect(try fixture.remoteContacts()["+254700000001"]?["tags"] == ["lead", "vip"])

        // On the dashboard: Ben joins "vip", Ann leaves "lead".
        let vip = try #require(try lists(fixture).first { $0.name == "vip" }?.id)
        let lead = try #require(try lists(fixture).first { $0.name == "lead" }?.id)
        let ann = try #require(Int(try fixture.remoteID("+254700000001")))
        let ben = try #require(Int(try fixture.remoteID("+254700000002")))
        #expect(
            try fixture.sim.call(
                "POST", "/contacts/list/contacts", json: ["contactIds": [.int(ben)], "listIds": [.int(vip)]]
            ).status == 200)
        #expect(
            try fixture.sim.call(
                "DELETE", "/contacts/list/contacts",
                json: ["contactIds": [.int(ann)], "listIds": [.int(lead)]]
            ).status == 200)
        let report = try await fixture.sync()
        #expect(report.local.updated == 2)
        let rows = try fixture.localRows()
        #expect(rows["+254700000001"]?.tags == ["vip"])
        #expect(rows["+254700000002"]?.tags == ["vip"])
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func twinListsUseTheOldestAndNeverMakeAThird() async throws {
        let fixture = try SyncFixture(.qlara)
        for _ in 0..<2 {
            #expect(try fixture.sim.call("POST", "/contacts/list", json: ["name": "vip"]).status == 201)
        }
        let oldest = try #require(try lists(fixture).map(\.id).min())
        try fixture.insertLocal("+254700000001", name: "Ann", tags: ["vip"])
        try await fixture.sync()
        #expect(try lists(fixture).count == 2, "no third 'vip'")
        let contact = try fixture.sim.call("GET", "/contacts/\(try fixture.remoteID("+254700000001"))").json
        #expect(contact["listIds"] == [.int(oldest)])
    }

    /// A contact in the newer of two `vip` lists loses the tag in the CRM: it leaves the list
    /// it is in (every list of that name), so the tag does not come back.
    @Test func aTagRemovedInTheCRMLeavesEveryTwinListItIsIn() async throws {
        let fixture = try SyncFixture(.qlara)
        for _ in 0..<2 {
            #expect(try fixture.sim.call("POST", "/contacts/list", json: ["name": "vip"]).status == 201)
        }
        let newest = try #require(try lists(fixture).map(\.id).max())
        try fixture.sim.control("POST", "/contacts", json: ["phone": "+254700000001", "name": "Ann"])
        let ann = try #require(Int(try fixture.remoteID("+254700000001")))
        #expect(
            try fixture.sim.call(
                "POST", "/contacts/list/contacts",
                json: ["contactIds": [.int(ann)], "listIds": [.int(newest)]]
            ).status == 200)
        try await fixture.sync()
        #expect(try fixture.localRows()["+254700000001"]?.tags == ["vip"])

        try fixture.updateLocal("+254700000001", "tags", .text("[]"), at: SyncFixture.time(5))
        var options = SyncOptions()
        options.listChanges = true
        let report = try await fixture.sync(options)
        #expect(report.remote.updated == 1)
        #expect(
            report.planLines.contains { $0.contains("tags") && $0.contains("vip") }, "\(report.planLines)")
        let contact = try fixture.sim.call("GET", "/contacts/\(ann)").json
        #expect(contact["listIds"] == [], "out of the list it was in")
        #expect(try await fixture.sync().wroteNothing, "and the tag does not come back")
        #expect(try fixture.localRows()["+254700000001"]?.tags == [])
    }

    /// A list create whose answer was lost is settled by reading the lists again, in the
    /// same run: no twin, no failed run.
    @Test func aListCreateWhoseAnswerWasLostIsSettledInTheSameRun() async throws {
        let fixture = try SyncFixture(.qlara)
        try fixture.insertLocal("+254700000001", name: "Ann", tags: ["vip"])
        try fixture.sim.faults(["drop_after_next": 1, "methods": ["POST"], "path_contains": "/contacts/list"])
        let report = try await fixture.sync()
        #expect(report.remote.created == 1)
        #expect(try lists(fixture).map(\.name) == ["vip"], "one list")
        #expect(try fixture.remoteContacts()["+254700000001"]?["tags"] == ["vip"])
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func fiveHundredContactsTaggedInTheCRMCostOneRequest() async throws {
        let fixture = try SyncFixture(.qlara)
        try fixture.crm.transaction {
            for index in 0..<500 {
                try fixture.crm.run(
                    "INSERT INTO customers (full_name, mobile) VALUES (?, ?)",
                    [.text("P\(index)"), .text("+2547500\(10_000 + index)")])
            }
        }
        try await fixture.sync()
        try fixture.crm.run("UPDATE customers SET tags = '[\"vip\"]'")
        try fixture.resetStats()
        let report = try await fixture.sync()
        #expect(report.remote.updated == 500)
        #expect(
            try endpoint(fixture, "POST /contacts/list/contacts") == ["200": 1], "one request for all 500")
        #expect(try endpoint(fixture, "POST /contacts/list") == ["201": 1], "and one for the new list")
        #expect(try endpoint(fixture, "PUT /contacts/{id}") == nil, "no field changed, so no PUT")
        #expect(try fixture.remoteContacts().values.allSatisfy { $0["tags"] == ["vip"] })
        #expect(try await fixture.sync().wroteNothing)
    }

    // MARK: - Writes

    @Test func aPutKeepsTheVendorsOwnGender() async throws {
        let fixture = try SyncFixture(.qlara)
        try fixture.sim.control(
            "POST", "/contacts", json: ["phone": "+254700000001", "name": "Ann", "gender": "FEMALE"])
        try await fixture.sync()
        try fixture.updateLocal("+254700000001", "full_name", "Ann Edited")
        #expect(try await fixture.sync().remote.updated == 1)
        let remote = try #require(try fixture.remoteContacts()["+254700000001"])
        #expect(remote["name"] == "Ann Edited")
        #expect(remote["gender"] == "FEMALE")
    }

    @Test func aPhoneEditUpdatesTheContactInPlace() async throws {
        let fixture = try SyncFixture(.qlara)
        try fixture.insertLocal("+254700000001", name: "Ann")
        try await fixture.sync()
        let id = try fixture.remoteID("+254700000001")
        try fixture.updateLocal("+254700000001", "mobile", .text("+254711111111"))
        #expect(try await fixture.sync().remote.updated == 1)
        #expect(try fixture.remoteContacts()["+254711111111"]?["id"]?.string == id)
        #expect(try fixture.remoteContacts().count == 1)
    }

    @Test func deletesGoInBatchesAfterEachWasConfirmed() async throws {
        let fixture = try SyncFixture(.qlara)
        fixture.configuration.sync.deletes = .both
        fixture.configuration.sync.maxDeleteShare = 1
        for index in 0..<300 { try fixture.insertLocal("+2547500\(10_000 + index)", name: "P\(index)") }
        try await fixture.sync()
        try fixture.crm.run("DELETE FROM customers WHERE id <= 250")
        try fixture.resetStats()
        let report = try await fixture.sync()
        #expect(report.remote.deleted == 250)
        #expect(try endpoint(fixture, "DELETE /contacts") == ["200": 1], "250 ids in one request")
        #expect(try fixture.remoteContacts().count == 50)

        // A contact deleted on Qlara is confirmed by reading it, then deleted in the CRM.
        try fixture.sim.control("DELETE", "/contacts/\(try fixture.remoteID("+254750010299"))")
        try fixture.resetStats()
        #expect(try await fixture.sync().local.deleted == 1)
        #expect(try endpoint(fixture, "GET /contacts/{id}") == ["404": 1])
    }

    // MARK: - The import path

    @Test func manyCreatesGoThroughOneImport() async throws {
        let fixture = try SyncFixture(.qlara)
        try fixture.crm.transaction {
            for index in 0..<2500 {
                let tags = index % 3 == 0 ? "[\"vip\"]" : (index % 3 == 1 ? "[\"lead\",\"vip\"]" : "[]")
                try fixture.crm.run(
                    "INSERT INTO customers (full_name, mobile, email, tags, extra) VALUES (?, ?, ?, ?, ?)",
                    [
                        .text("P, \"\(index)\""), .text("+2547500\(10_000 + index)"),
                        .text("p\(index)@example.com"), .text(tags),
                        .text(#"{"tier":"gold"}"#),
                    ])
            }
        }
        let report = try await fixture.sync()
        #expect(report.remote.created == 2500)
        #expect(
            report.requests <= 15,
            "one upload, one import, the newest pages, a request per list: \(report.requests)")
        #expect(try endpoint(fixture, "POST /contacts") == nil, "no one-by-one creates")
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 2500)
        #expect(remote["+254750010001"]?["tags"] == ["lead", "vip"])
        #expect(remote["+254750010001"]?["name"] == "P, \"1\"")
        #expect(remote["+254750010001"]?["attributes"] == ["tier": "gold"])
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aLostImportAnswerIsReplayedSafely() async throws {
        let fixture = try SyncFixture(.qlara)
        for index in 0..<20 {
            try fixture.insertLocal("+2547500\(10_000 + index)", name: "P\(index)", tags: ["imported"])
        }
        try fixture.sim.faults(["drop_after_next": 1, "path_contains": "/contacts/mapped/file"])
        let report = try await fixture.sync()
        #expect(report.remote.created == 20)
        #expect(try endpoint(fixture, "POST /contacts/mapped/file")?.object?.count ?? 0 >= 1)
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 20, "replayed in create-or-update mode: no duplicates")
        #expect(remote.values.allSatisfy { $0["tags"] == ["imported"] })
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aRowTheImportRefusesIsReportedAndRetried() async throws {
        let fixture = try SyncFixture(.qlara)
        for index in 0..<10 {
            try fixture.insertLocal(
                "+2547500\(10_000 + index)", name: "P\(index)", email: "p\(index)@example.com")
        }
        try fixture.crm.run("UPDATE customers SET email = 'not an address' WHERE mobile = '+254750010004'")
        let report = try await fixture.sync()
        #expect(report.remote.created == 9)
        #expect(report.rejected == 1)
        #expect(report.notes.contains { $0.contains("+254750010004") && $0.contains("invalid email") })
        try fixture.crm.run("UPDATE customers SET email = 'p4@example.com' WHERE mobile = '+254750010004'")
        let next = try await fixture.sync()
        #expect(next.remote.created == 1 && next.rejected == 0)
        #expect(try fixture.remoteContacts().count == 10)
    }

    // MARK: - Keys and limits

    @Test func aRefusedKeyFailsWithinSecondsDespiteTheBasicChallenge() async throws {
        let fixture = try SyncFixture(.qlara)
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.writeConfig()
        let console = CapturedConsole()
        let started = Date()
        let code = await Syncd.main(
            arguments: ["--once", "--config", fixture.configPath],
            environment: ["SYNCD_TOKEN": "not-the-key-42"], console: console)
        #expect(code == .credentialRefused)
        // A hang lasts the whole 30 s timeout; a busy machine takes seconds to fail quickly.
        #expect(Date().timeIntervalSince(started) < 25)
        #expect(!(console.stdout + console.stderr).contains("not-the-key-42"))
    }

    @Test func withTheDefaultBudgetTheEmulatorNeverAnswers429() async throws {
        let fixture = try SyncFixture(
            .qlara, simulator: { $0.rateLimit = RateLimit(perMinute: 1000, perSecond: 50) })
        fixture.configuration.remote.requestsPerMinute = nil
        for index in 0..<150 { try fixture.insertLocal("+2547500\(10_000 + index)", name: "P\(index)") }
        // One client for both cycles: its budget knows what the first one sent.
        let engine = try fixture.engine()
        _ = try await engine.runOnce()
        try fixture.crm.run("UPDATE customers SET full_name = full_name || ' edited'")
        try fixture.resetStats()
        let report = try await engine.runOnce()
        #expect(report.remote.updated == 150)
        let endpoints = try #require(try fixture.sim.stats()["endpoints"]?.object)
        #expect(endpoints.allSatisfy { $0.value["429"] == nil }, "\(endpoints)")
    }
}
