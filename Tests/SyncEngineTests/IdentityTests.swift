import Configuration
import ContactsSim
import Foundation
import JSON
import LocalStore
import SQLite
import SyncEngine
import TestSupport
import Testing

/// A vendor contact follows a person, whatever the CRM does to its row keys.
@Suite struct IdentityTests {
    /// `count` people synced to the vendor, rows 1...count.
    private func synced(_ dialect: Dialect = .waply, count: Int, deletes: SyncSettings.Deletes = .none)
        async throws -> SyncFixture
    {
        let fixture = try SyncFixture(dialect)
        fixture.configuration.sync.deletes = deletes
        fixture.configuration.sync.maxDeleteShare = 1
        for index in 1...count { try fixture.insertLocal(Self.phone(index), name: "Person \(index)") }
        try await fixture.sync()
        return fixture
    }

    static func phone(_ index: Int) -> String { "+2547000000\(String(format: "%02d", index))" }

    @Test func aReusedKeyIsANewPersonNotAnEditOfTheOldOne() async throws {
        let fixture = try await synced(count: 20)
        let oldID = try fixture.remoteID(Self.phone(20))
        try fixture.deleteLocal(Self.phone(20))
        let reused = try fixture.insertLocal("+254711111111", name: "Newcomer")
        #expect(reused == 20, "SQLite hands the highest INTEGER PRIMARY KEY out again")

        let report = try await fixture.sync()
        let remote = try fixture.remoteContacts()
        #expect(remote[Self.phone(20)]?["name"] == "Person 20", "the old person's contact is untouched")
        #expect(remote[Self.phone(20)]?["id"]?.string == oldID)
        #expect(remote["+254711111111"]?["name"] == "Newcomer")
        #expect(remote["+254711111111"]?["id"]?.string != oldID)
        #expect(report.remote.created == 1 && report.remote.updated == 0)
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aReusedKeySendsTheOldPersonsDeleteWhereDeletesAreAllowed() async throws {
        let fixture = try await synced(count: 5, deletes: .both)
        try fixture.deleteLocal(Self.phone(5))
        try fixture.insertLocal("+254711111111", name: "Newcomer")
        let report = try await fixture.sync()
        #expect(report.remote.deleted == 1 && report.remote.created == 1)
        let remote = try fixture.remoteContacts()
        #expect(remote[Self.phone(5)] == nil)
        #expect(remote["+254711111111"]?["name"] == "Newcomer")
    }

    @Test func aReimportInAnotherOrderRelinksEveryoneWithoutAWrite() async throws {
        let fixture = try await synced(count: 12, deletes: .both)
        let ids = try fixture.remoteContacts().mapValues { $0["id"]?.string }
        try fixture.resetStats()
        try fixture.crm.transaction {
            try fixture.crm.run("DELETE FROM customers")
            for index in (1...12).reversed() {
                try fixture.crm.run(
                    "INSERT INTO customers (full_name, mobile) VALUES (?, ?)",
                    [.text("Person \(index)"), .text(Self.phone(index))])
            }
        }
        let report = try await fixture.sync()
        #expect(report.wroteNothing)
        #expect(try fixture.writes() == 0)
        #expect(try fixture.remoteContacts().mapValues { $0["id"]?.string } == ids)
        #expect(try fixture.remoteContacts()[Self.phone(1)]?["name"] == "Person 1")

        // The links follow the new keys: an edit of the re-imported row reaches its own contact.
        try fixture.updateLocal(Self.phone(3), "full_name", "Person 3 edited")
        #expect(try await fixture.sync().remote.updated == 1)
        #expect(try fixture.remoteContacts()[Self.phone(3)]?["name"] == "Person 3 edited")
        #expect(try fixture.remoteContacts()[Self.phone(10)]?["name"] == "Person 10")
    }

    @Test func aReimportKeepsEveryOptOutWithItsOwnPerson() async throws {
        let fixture = try SyncFixture(.sendystack)
        for index in 1...6 { try fixture.insertLocal(Self.phone(index), name: "Person \(index)") }
        try await fixture.sync()
        for index in [2, 5] {
            try fixture.sim.control("POST", "/contacts/\(try fixture.remoteID(Self.phone(index)))/opt-out")
        }
        try await fixture.sync()
        #expect(try fixture.localRows()[Self.phone(2)]?.optIn == 0)

        let rows = try fixture.crm.query("SELECT full_name, mobile, opt_in FROM customers ORDER BY id DESC")
        try fixture.crm.transaction {
            try fixture.crm.run("DELETE FROM customers")
            for row in rows {
                try fixture.crm.run(
                    "INSERT INTO customers (full_name, mobile, opt_in) VALUES (?, ?, ?)",
                    [row[0], row[1], row[2]])
            }
        }
        try await fixture.sync()
        let local = try fixture.localRows()
        for index in 1...6 {
            #expect(
                local[Self.phone(index)]?.optIn == ([2, 5].contains(index) ? 0 : nil),
                "row for person \(index)")
            #expect(
                try fixture.remoteContacts()[Self.phone(index)]?["opt_in"]?.string
                    == ([2, 5].contains(index) ? "opted_out" : "unknown"))
        }
    }

    @Test func aPhoneEditByUpdateStaysAnEdit() async throws {
        let fixture = try await synced(count: 3)
        let id = try fixture.remoteID(Self.phone(2))
        try fixture.updateLocal(Self.phone(2), "mobile", .text("+254799999999"))
        let report = try await fixture.sync()
        #expect(report.remote.updated == 1 && report.remote.created == 0)
        #expect(try fixture.remoteContacts()["+254799999999"]?["id"]?.string == id)
    }

    @Test func swappedPhonesConverge() async throws {
        let fixture = try await synced(count: 3)
        try fixture.crm.transaction {
            try fixture.crm.run("UPDATE customers SET mobile = 'swap' WHERE id = 1")
            try fixture.crm.run("UPDATE customers SET mobile = ? WHERE id = 2", [.text(Self.phone(1))])
            try fixture.crm.run("UPDATE customers SET mobile = ? WHERE id = 1", [.text(Self.phone(2))])
        }
        let report = try await fixture.sync()
        #expect(report.rejected == 0)
        let remote = try fixture.remoteContacts()
        #expect(remote[Self.phone(1)]?["name"] == "Person 2")
        #expect(remote[Self.phone(2)]?["name"] == "Person 1")
        #expect(remote.count == 3)
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aRowMovedToANewKeyKeepsItsContact() async throws {
        let fixture = try await synced(count: 3, deletes: .both)
        try fixture.crm.run("UPDATE customers SET id = 100 WHERE id = 2")
        let report = try await fixture.sync()
        #expect(report.wroteNothing)
        try fixture.updateLocal(Self.phone(2), "full_name", "Moved and edited")
        #expect(try await fixture.sync().remote.updated == 1)
        #expect(try fixture.remoteContacts()[Self.phone(2)]?["name"] == "Moved and edited")
    }

    @Test func deletingOneOfTwoRowsThatShareAPhoneHandsTheContactToTheOther() async throws {
        let fixture = try SyncFixture()
        fixture.configuration.sync.deletes = .both
        try fixture.insertLocal(Self.phone(1), name: "First row")
        try fixture.insertLocal(Self.phone(1), name: "Second row")
        try fixture.insertLocal(Self.phone(2), name: "Other")
        try await fixture.sync()
        let id = try fixture.remoteID(Self.phone(1))
        try fixture.crm.run("DELETE FROM customers WHERE full_name = 'First row'")
        let report = try await fixture.sync()
        #expect(report.remote.deleted == 0)
        let remote = try fixture.remoteContacts()
        #expect(remote[Self.phone(1)]?["id"]?.string == id)
        #expect(remote[Self.phone(1)]?["name"] == "Second row")
        try fixture.updateLocal(Self.phone(1), "email", .text("second@example.com"))
        #expect(try await fixture.sync().remote.updated == 1)
        #expect(try fixture.remoteContacts()[Self.phone(1)]?["email"] == "second@example.com")
    }

    @Test func aRescanTakesAPhoneThatNoLongerMatchesItsLinkAsAnotherPerson() async throws {
        let fixture = try await synced(count: 3)
        // Change capture goes missing (a restored backup): the next cycle rescans the table.
        try fixture.crm.execute("DROP TRIGGER _syncd_customers_update")
        try fixture.crm.run(
            "UPDATE customers SET mobile = '+254711111111', full_name = 'Someone else' WHERE id = 3")
        let report = try await fixture.sync()
        #expect(report.remote.created == 1 && report.remote.updated == 0)
        let remote = try fixture.remoteContacts()
        #expect(remote[Self.phone(3)]?["name"] == "Person 3")
        #expect(remote["+254711111111"]?["name"] == "Someone else")
    }
}
