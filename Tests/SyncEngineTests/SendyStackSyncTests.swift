import Configuration
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

@Suite struct SendyStackSyncTests {
    @Test func pushesManyCreatesInBulkBatchesOfAtMostAThousand() async throws {
        let fixture = try SyncFixture(.sendystack)
        try fixture.crm.transaction {
            for index in 0..<1500 {
                try fixture.crm.run(
                    "INSERT INTO customers (full_name, mobile, country) VALUES (?, ?, 'KE')",
                    [.text("Person \(index)"), .text("+2547\(String(10_000_000 + index))")])
            }
        }
        let report = try await fixture.sync()
        #expect(report.remote.created == 1500)
        let stats = try fixture.sim.stats()
        #expect(
            stats["endpoints"]?["POST /internal/contacts/bulk"]?["200"] == 2, "two bulk calls: 1000 + 500")
        #expect(stats["endpoints"]?["POST /internal/contacts"] == nil, "no one-by-one creates")
        #expect(try fixture.remoteContacts().count == 1500)
        #expect(try fixture.remoteContacts()["+254710000000"]?["country"] == "KE")
    }

    @Test func everyUpdateCarriesAnIdempotencyKeyOfItsOwn() async throws {
        let fixture = try SyncFixture(.sendystack)
        fixture.configuration.remote.concurrency = 1
        for index in 1...8 { try fixture.insertLocal("+25470000000\(index)", name: "P\(index)") }
        try fixture.crm.run("UPDATE customers SET country = 'KE'")
        try await fixture.sync()
        try fixture.crm.run("UPDATE customers SET country = 'UG'")
        let report = try await fixture.sync()
        #expect(report.rejected == 0)
        #expect(report.remote.updated == 8)
        #expect(try fixture.remoteContacts().values.allSatisfy { $0["country"] == "UG" })
        #expect(try await fixture.sync().wroteNothing)
        // Back and forth: a later write of the same value is a new write, not a replay.
        try fixture.crm.run("UPDATE customers SET country = 'KE'")
        try await fixture.sync()
        try fixture.crm.run("UPDATE customers SET country = 'UG'")
        #expect(try await fixture.sync().rejected == 0)
        #expect(try fixture.remoteContacts().values.allSatisfy { $0["country"] == "UG" })
    }

    @Test func changeLinesShowARefusedWriteAsRefused() async throws {
        let fixture = try SyncFixture(.sendystack)
        for index in 1...5 { try fixture.insertLocal("+25470000000\(index)", name: "P\(index)") }
        try fixture.crm.run("UPDATE customers SET country = 'Kenya' WHERE mobile = '+254700000003'")
        let report = try await fixture.sync(SyncOptions(listChanges: true))
        #expect(report.planLines.contains { $0.hasPrefix("+254700000003: sendystack refused it") })
        #expect(!report.planLines.contains { $0.hasPrefix("+254700000003: sendystack create") })
        #expect(report.planLines.filter { $0.contains("sendystack create") }.count == 4)
        #expect(report.summaryLine.contains("sendystack +4 ~0 -0"))
    }

    @Test func anUpdateThatGoesPartOfTheWaySaysSo() async throws {
        let fixture = try SyncFixture(.sendystack)
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.crm.run("UPDATE customers SET country = 'KE'")
        try await fixture.sync()
        try fixture.crm.run("UPDATE customers SET full_name = 'Ann Two', country = 'Kenya'")
        let report = try await fixture.sync(SyncOptions(listChanges: true))
        #expect(report.rejected == 1)
        #expect(
            report.notes.contains {
                $0.contains("part of the update was applied") && $0.contains("invalid_country")
            })
        #expect(report.planLines.contains { $0.contains("refused it (part of the update was applied)") })
        let remote = try #require(try fixture.remoteContacts()["+254700000001"])
        #expect(remote["name"] == "Ann Two")
        #expect(remote["country"] == "KE")
        try fixture.crm.run("UPDATE customers SET country = 'UG'")
        let next = try await fixture.sync()
        #expect(next.rejected == 0)
        #expect(try fixture.remoteContacts()["+254700000001"]?["country"] == "UG")
    }

    @Test func aFewCreatesGoOneByOne() async throws {
        let fixture = try SyncFixture(.sendystack)
        for index in 1...3 { try fixture.insertLocal("+25470000000\(index)") }
        try await fixture.sync()
        #expect(try fixture.sim.stats()["endpoints"]?["POST /internal/contacts"]?["201"] == 3)
    }

    @Test func aRowTheVendorRejectsInABatchIsReportedAndTheRestGoOn() async throws {
        let fixture = try SyncFixture(.sendystack)
        for index in 1...5 { try fixture.insertLocal("+25470000000\(index)", name: "P\(index)") }
        try fixture.crm.run("UPDATE customers SET country = 'Kenya' WHERE mobile = '+254700000003'")
        let report = try await fixture.sync()
        #expect(report.remote.created == 4)
        #expect(report.rejected == 1)
        #expect(report.notes.contains { $0.contains("+254700000003") && $0.contains("invalid_country") })
        #expect(try fixture.remoteContacts().count == 4)
        // The row is retried next cycle, and syncs once the CRM fixes it.
        try fixture.crm.run("UPDATE customers SET country = 'KE' WHERE mobile = '+254700000003'")
        let next = try await fixture.sync()
        #expect(next.remote.created == 1)
        #expect(next.rejected == 0)
    }

    @Test func hasNoDeleteSoLocalDeletesStayLocal() async throws {
        let fixture = try SyncFixture(.sendystack)
        fixture.configuration.sync.deletes = .both
        for index in 1...3 { try fixture.insertLocal("+25470000000\(index)") }
        try await fixture.sync()
        try fixture.deleteLocal("+254700000001")
        let report = try await fixture.sync()
        #expect(report.remote.deleted == 0)
        #expect(try fixture.remoteContacts().count == 3)
        #expect(
            try fixture.sim.stats()["endpoints"]?.object?.memberNames.contains { $0.hasPrefix("DELETE") }
                == false)
    }

    @Test func absenceFromTheRecentListNeverMeansDeletion() async throws {
        let fixture = try SyncFixture(.sendystack)
        fixture.configuration.sync.deletes = .both
        try fixture.insertLocal("+254700000001", name: "Old contact")
        try await fixture.sync()
        // 600 newer contacts push it out of the 500-most-recent list.
        try fixture.bulkCreateRemote(600)
        let report = try await fixture.sync()
        #expect(report.local.deleted == 0)
        #expect(try fixture.localRows()["+254700000001"] != nil)
        #expect(report.local.created == 500, "only the visible 500 arrive")
    }

    @Test func anOptOutOnTheVendorIsStickyInTheCRM() async throws {
        let fixture = try SyncFixture(.sendystack)
        try fixture.insertLocal("+254700000001", name: "Ann", optIn: 1)
        try await fixture.sync()
        try fixture.sim.control("POST", "/contacts/\(try fixture.remoteID("+254700000001"))/opt-out")
        try await fixture.sync()
        #expect(try fixture.localRows()["+254700000001"]?.optIn == 0)
        // An older opt-in in the CRM does not win it back.
        try fixture.crm.run(
            "UPDATE customers SET opt_in = 1, updated_at = '2020-01-01T00:00:00Z' WHERE mobile = '+254700000001'"
        )
        try fixture.sim.control(
            "PATCH", "/contacts/\(try fixture.remoteID("+254700000001"))", json: ["name": "Ann (vendor edit)"]
        )
        try await fixture.sync()
        #expect(try fixture.remoteContacts()["+254700000001"]?["opt_in"] == "opted_out")
    }

    @Test func aNewPhoneIsANewContactAndTheOldOneIsReported() async throws {
        let fixture = try SyncFixture(.sendystack)
        try fixture.insertLocal("+254700000001", name: "Ann")
        try await fixture.sync()
        let oldID = try fixture.remoteID("+254700000001")
        try fixture.updateLocal("+254700000001", "mobile", "+254711111111")
        let report = try await fixture.sync()
        #expect(report.remote.created == 1)
        #expect(report.notes.contains { $0.contains(oldID) })
        let remote = try fixture.remoteContacts()
        #expect(remote["+254711111111"]?["name"] == "Ann")
        #expect(remote["+254700000001"] != nil, "SendyStack keeps the old contact")
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func anOverflowingChangeFeedIsReportedPlainly() async throws {
        let fixture = try SyncFixture(.sendystack)
        try fixture.sim.seed(10)
        try await fixture.sync()
        try fixture.sim.control("POST", "/clock", json: ["advance_seconds": 60])
        try fixture.bulkCreateRemote(600)
        let report = try await fixture.sync()
        #expect(report.notes.contains { $0.contains("more than 500 contacts changed") })
    }
}

extension SyncFixture {
    /// Contacts created on SendyStack just now (seeded ones carry past timestamps).
    func bulkCreateRemote(_ count: Int) throws {
        let rows = JSON.array(
            (0..<count).map {
                .object(["phone": .string("+2348\(String(100_000_000 + $0))"), "name": .string("Bulk \($0)")])
            })
        let response = try sim.call("POST", "/internal/contacts/bulk", json: ["contacts": rows])
        precondition(response.status == 200, response.text)
    }
}
