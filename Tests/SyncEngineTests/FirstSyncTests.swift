import ContactModel
import ContactsSim
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

@Suite struct FirstSyncTests {
    /// The vendors every first-sync case runs against.
    static let dialects: [Dialect] = [.waply, .superwaba, .qlara]

    @Test(arguments: dialects) func pushesTheCRMToAnEmptyVendorThenGoesQuiet(_ dialect: Dialect) async throws
    {
        let fixture = try SyncFixture(dialect)
        try fixture.insertLocal(
            "+254700000001", name: "Achieng' Otieno", email: "a@example.com", tags: ["vip", "lead"],
            attributes: ["tier": "gold"])
        try fixture.insertLocal("0700 000 002", name: "Kamau")  // national format, read in KE
        let report = try await fixture.sync()
        #expect(report.remote.created == 2)
        // SuperWaba's create leaves a contact not opted in: its default, not the person's
        // answer, so the CRM's unknown opt-ins stay unknown.
        #expect(report.local.isQuiet)
        let remote = try fixture.remoteContacts()
        #expect(remote["+254700000001"]?["name"] == "Achieng' Otieno")
        #expect(remote["+254700000001"]?["tags"] == ["lead", "vip"])
        #expect(remote["+254700000001"]?["attributes"] == ["tier": "gold"])
        #expect(remote["+254700000002"] != nil)

        try fixture.resetStats()
        let second = try await fixture.sync()
        #expect(second.wroteNothing)
        #expect(try fixture.writes() == 0, "a quiet cycle writes nothing")
        // Qlara's quiet cycle also reads its lists (one page), which stand in for tags.
        let pages = dialect == .qlara ? 2 : 1
        #expect(try fixture.sim.stats()["reads"]?.int == pages, "and costs exactly the list pages")
        #expect(second.requests == pages)
    }

    @Test(arguments: dialects) func pullsAVendorBookIntoAnEmptyCRM(_ dialect: Dialect) async throws {
        let fixture = try SyncFixture(dialect)
        try fixture.sim.seed(250)
        let report = try await fixture.sync()
        #expect(report.local.created == 250)
        #expect(report.pulled == 250)
        let local = try fixture.localRows()
        let remote = try fixture.remoteContacts()
        #expect(Set(local.keys) == Set(remote.keys))
        for (phone, contact) in remote {
            #expect(local[phone]?.name == contact["name"]?.string)
            #expect(local[phone]?.tags == contact["tags"]?.array?.compactMap(\.string))
        }
        try fixture.resetStats()
        #expect(try await fixture.sync().wroteNothing)
        #expect(try fixture.writes() == 0)
    }

    @Test(arguments: dialects) func matchesByPhoneBeforeCreatingAnything(_ dialect: Dialect) async throws {
        let fixture = try SyncFixture(dialect)
        try fixture.sim.seed(50)
        let shared = Array(try fixture.remoteContacts().keys.sorted().prefix(20))
        for phone in shared { try fixture.insertLocal(phone, name: "CRM name") }
        try fixture.insertLocal("+254711111111", name: "Only local")
        let report = try await fixture.sync()
        #expect(report.remote.created == 1)
        #expect(report.local.created == 30)
        #expect(try fixture.remoteContacts().count == 51, "no duplicates")
        #expect(try fixture.localRows().count == 51)
    }

    @Test(arguments: dialects) func aFirstMatchFillsEmptyFieldsFromTheOtherSide(_ dialect: Dialect)
        async throws
    {
        let fixture = try SyncFixture(dialect)
        try fixture.sim.control(
            "POST", "/contacts",
            json: ["phone": "+254700000001", "name": "Remote Name", "tags": ["remote-tag"]])
        try fixture.insertLocal("+254700000001", email: "local@example.com", tags: ["local-tag"])
        let report = try await fixture.sync()
        #expect(report.conflicts == 0)
        let local = try #require(try fixture.localRows()["+254700000001"])
        #expect(local.name == "Remote Name")
        #expect(local.email == "local@example.com")
        #expect(local.tags == ["local-tag", "remote-tag"])
        let remote = try #require(try fixture.remoteContacts()["+254700000001"])
        #expect(remote["email"] == "local@example.com")
        #expect(remote["tags"] == ["local-tag", "remote-tag"])
    }

    @Test(arguments: dialects) func reportsAndSkipsInvalidPhonesWithoutPushingThem(_ dialect: Dialect)
        async throws
    {
        let fixture = try SyncFixture(dialect)
        try fixture.insertLocal("not a phone", name: "Bad")
        try fixture.insertLocal("12", name: "Too short")
        try fixture.insertLocal("+254700000001", name: "Good")
        let report = try await fixture.sync()
        #expect(report.skipped["invalid phone"] == 2)
        #expect(report.remote.created == 1)
        #expect(try fixture.remoteContacts().count == 1)
        #expect(report.summaryLine.contains("skipped 2 (invalid phone 2)"))
    }

    @Test(arguments: dialects) func twoCRMRowsWithOnePhoneSyncOnce(_ dialect: Dialect) async throws {
        let fixture = try SyncFixture(dialect)
        try fixture.insertLocal("+254700000001", name: "First")
        try fixture.insertLocal("0700000001", name: "Second copy")
        let report = try await fixture.sync()
        #expect(report.remote.created == 1)
        #expect(report.skipped["duplicate phone"] == 1)
        #expect(try fixture.remoteContacts().count == 1)
    }
}

extension SyncReport.SideCounts {
    var isQuiet: Bool { created == 0 && updated == 0 && deleted == 0 }
}
