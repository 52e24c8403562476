import Configuration
import ContactsSim
import Foundation
import JSON
import LocalStore
import SQLite
import SyncEngine
import SyncdCLI
import TestSupport
import Testing

/// A vendor contact's phone changed onto a number another CRM row holds: two people, one
/// number. Neither is merged into the other; the clash is reported until somebody fixes it.
@Suite struct PhoneClashTests {
    static let dialects: [Dialect] = [.waply, .superwaba, .qlara]
    static let alice = "+254711000001"
    static let bob = "+254711000002"
    static let carol = "+254711000003"

    /// Alice synced; Bob new in the CRM (not pushed yet); Alice's phone moved onto Bob's
    /// number on the vendor's dashboard.
    private func clashing(_ dialect: Dialect) async throws -> SyncFixture {
        let fixture = try SyncFixture(dialect)
        try fixture.insertLocal(Self.alice, name: "Alice", email: "alice@example.com")
        try await fixture.sync()
        try fixture.insertLocal(Self.bob, name: "Bob", email: "bob@example.com")
        try fixture.editRemote(Self.alice, ["phone": .string(Self.bob)])
        return fixture
    }

    @Test(arguments: dialects) func aVendorPhoneMovedOntoAnotherRowsNumberMergesNobody(_ dialect: Dialect)
        async throws
    {
        let fixture = try await clashing(dialect)
        let aliceID = try fixture.remoteID(Self.bob)
        var options = SyncOptions()
        options.listChanges = true
        let report = try await fixture.sync(options)

        let local = try fixture.localRows()
        #expect(local[Self.alice]?.name == "Alice", "Alice's row keeps her number and name")
        #expect(local[Self.bob]?.name == "Bob", "Bob's row is still Bob")
        #expect(local.count == 2)
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 1, "Bob is not created under a number the vendor gives to Alice")
        #expect(remote[Self.bob]?["id"]?.string == aliceID)
        #expect(remote[Self.bob]?["name"] == "Alice", "Alice's vendor contact is not turned into Bob")
        #expect(report.skipped["phone clash"] == 2, "\(report.skipped)")
        #expect(report.notes.contains { $0.contains("clash") && $0.contains(Self.bob) }, "\(report.notes)")
        #expect(report.planLines.contains { $0.contains("clash") }, "\(report.planLines)")

        // Every later cycle reports it again, and the rest of the book keeps syncing.
        try fixture.insertLocal(Self.carol, name: "Carol")
        let again = try await fixture.sync()
        #expect(again.skipped["phone clash"] == 2, "\(again.skipped)")
        #expect(again.remote.created == 1, "Carol is created")
        #expect(try fixture.localRows()[Self.bob]?.name == "Bob")
        let state = try StateStore(path: fixture.configuration.sync.state)
        let clashes = try state.rejections().filter { $0.reason.contains("clash") }
        #expect(clashes.count == 2, "status lists both rows: \(clashes.map(\.reason))")

        try fixture.writeConfig()
        let console = CapturedConsole()
        _ = await Syncd.main(
            arguments: ["explain", Self.bob, "--config", fixture.configPath],
            environment: ["SYNCD_TOKEN": fixture.sim.token], console: console)
        #expect(console.stdout.contains("phone clash"), "\(console.stdout)")
    }

    @Test(arguments: dialects) func theClashClearsOnceTheCRMMovesBobElsewhere(_ dialect: Dialect)
        async throws
    {
        let fixture = try await clashing(dialect)
        try await fixture.sync()
        try fixture.updateLocal(Self.bob, "mobile", .text("+254711000004"))
        let report = try await fixture.sync()
        #expect(report.skipped["phone clash"] == nil, "\(report.summaryLine) \(report.notes)")
        let local = try fixture.localRows()
        #expect(local[Self.bob]?.name == "Alice", "the vendor's phone change reaches Alice's row")
        #expect(local["+254711000004"]?.name == "Bob")
        let remote = try fixture.remoteContacts()
        #expect(remote["+254711000004"]?["name"] == "Bob", "Bob is created under his new number")
        #expect(try await fixture.sync().wroteNothing)
        let state = try StateStore(path: fixture.configuration.sync.state)
        #expect(try state.rejections().filter { $0.reason.contains("clash") }.isEmpty)
    }

    /// Two phones swapped on the vendor's dashboard: each row's number is held by the other
    /// row, which is leaving it in the same listing. Not a clash: each person keeps their
    /// own contact, under their new number.
    @Test(arguments: [Dialect.waply, .qlara]) func aSwapOnTheVendorIsNoClash(_ dialect: Dialect) async throws
    {
        let fixture = try SyncFixture(dialect)
        try fixture.insertLocal(Self.alice, name: "Alice")
        try fixture.insertLocal(Self.bob, name: "Bob")
        try await fixture.sync()
        let (aliceID, bobID) = (try fixture.remoteID(Self.alice), try fixture.remoteID(Self.bob))
        try fixture.sim.control("PATCH", "/contacts/\(aliceID)", json: ["phone": .string(Self.carol)])
        try fixture.sim.control("PATCH", "/contacts/\(bobID)", json: ["phone": .string(Self.alice)])
        try fixture.sim.control("PATCH", "/contacts/\(aliceID)", json: ["phone": .string(Self.bob)])
        let report = try await fixture.sync()
        #expect(report.skipped["phone clash"] == nil, "\(report.notes)")
        let local = try fixture.localRows()
        #expect(local[Self.bob]?.name == "Alice" && local[Self.alice]?.name == "Bob")
        #expect(try await fixture.sync().wroteNothing)
    }

    /// A contact deleted on the vendor (the CRM kept its row) and added there again is the
    /// same person back: linked again, not a clash and not a second row.
    @Test func aContactDeletedAndAddedAgainOnTheVendorIsLinkedAgain() async throws {
        let fixture = try SyncFixture(.waply)
        try fixture.insertLocal(Self.alice, name: "Alice")
        try await fixture.sync()
        try fixture.sim.control("DELETE", "/contacts/\(try fixture.remoteID(Self.alice))")
        try await fixture.sync()
        try fixture.sim.control("POST", "/contacts", json: ["phone": .string(Self.alice), "name": "Alice"])
        let report = try await fixture.sync()
        #expect(report.skipped.isEmpty, "\(report.skipped) \(report.notes)")
        #expect(try fixture.crm.first("SELECT count(*) FROM customers")?.int(0) == 1)
        try fixture.updateLocal(Self.alice, "full_name", .text("Alice again"))
        try await fixture.sync()
        #expect(try fixture.remoteContacts()[Self.alice]?["name"] == "Alice again", "the link works")
    }

    /// Qlara's import creates or updates by phone: a push cycle, which has not listed the
    /// vendor, creates one contact a request, so Alice's contact is never written over with
    /// Bob's row.
    @Test func aPushCycleNeverImportsOverAnotherPersonsContact() async throws {
        let fixture = try await clashing(.qlara)
        for index in 4...7 { try fixture.insertLocal("+25471100000\(index)", name: "New \(index)") }
        let report = try await fixture.sync(SyncOptions(scope: .localChanges))
        #expect(report.remote.created == 4, "\(report.summaryLine) \(report.notes)")
        #expect(report.skipped["phone clash"] == 1)
        #expect(
            try fixture.remoteContacts()[Self.bob]?["name"] == "Alice", "Alice's contact is still Alice's")
        #expect(try fixture.localRows()[Self.bob]?.name == "Bob")
    }

    /// A push cycle reads only what the CRM's edits touch, so it does not see Alice's new
    /// number before it creates Bob: the vendor answers Bob's create with Alice's contact,
    /// which another link holds. That answer is a clash, never a link (two links, one id).
    @Test(arguments: dialects) func aCreateAnsweredWithAnotherRowsContactIsAClashNotAMerge(
        _ dialect: Dialect
    ) async throws {
        let fixture = try await clashing(dialect)
        let report = try await fixture.sync(SyncOptions(scope: .localChanges))
        #expect(report.skipped["phone clash"] == 1, "\(report.skipped) \(report.notes)")
        #expect(try fixture.localRows()[Self.bob]?.name == "Bob")
        #expect(try fixture.localRows()[Self.alice]?.name == "Alice")
        #expect(try fixture.remoteContacts()[Self.bob]?["name"] == "Alice")
        #expect(report.remote.created == 0)
        // The full cycle after it sees the same clash, and nothing stops syncing.
        let full = try await fixture.sync()
        #expect(full.skipped["phone clash"] == 2, "\(full.skipped) \(full.notes)")
        #expect(try fixture.localRows()[Self.bob]?.name == "Bob")
        #expect(try fixture.remoteContacts()[Self.bob]?["name"] == "Alice")
    }
}
