import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import LocalStore
import SQLite
import SyncEngine
import TestSupport
import Testing

@Suite struct ChangeTests {
    /// The vendors every change case runs against.
    static let dialects: [Dialect] = [.waply, .superwaba, .qlara]

    /// A fixture with three contacts synced both ways.
    private func synced(_ dialect: Dialect = .waply, configure: (inout SyncFixture) -> Void = { _ in })
        async throws -> SyncFixture
    {
        var fixture = try SyncFixture(dialect)
        configure(&fixture)
        try fixture.insertLocal(
            "+254700000001", name: "Ann", email: "ann@example.com", tags: ["a"],
            attributes: ["tier": "gold", "city": "Nairobi"])
        try fixture.insertLocal("+254700000002", name: "Ben")
        try fixture.insertLocal("+254700000003", name: "Cy")
        try await fixture.sync()
        return fixture
    }

    @Test(arguments: dialects) func aCRMEditReachesTheVendor(_ dialect: Dialect) async throws {
        let fixture = try await synced(dialect)
        try fixture.updateLocal("+254700000001", "full_name", "Ann Updated")
        let report = try await fixture.sync()
        #expect(report.remote.updated == 1)
        #expect(try fixture.remoteContacts()["+254700000001"]?["name"] == "Ann Updated")
    }

    @Test(arguments: dialects) func aVendorEditReachesTheCRM(_ dialect: Dialect) async throws {
        let fixture = try await synced(dialect)
        try fixture.editRemote("+254700000002", ["name": "Ben Remote", "attributes": ["note": "vip"]])
        let report = try await fixture.sync()
        #expect(report.local.updated == 1)
        #expect(report.remote.isQuiet)
        let row = try #require(try fixture.localRows()["+254700000002"])
        #expect(row.name == "Ben Remote")
        #expect(row.attributes == ["note": "vip"])
    }

    @Test(arguments: dialects) func differentFieldsEditedOnEachSideBothSurvive(_ dialect: Dialect)
        async throws
    {
        let fixture = try await synced(dialect)
        try fixture.updateLocal("+254700000001", "email", "ann.new@example.com")
        try fixture.editRemote(
            "+254700000001", ["name": "Ann Remote", "attributes": ["tier": "gold", "city": "Mombasa"]])
        let report = try await fixture.sync()
        #expect(report.conflicts == 0)
        let row = try #require(try fixture.localRows()["+254700000001"])
        let remote = try #require(try fixture.remoteContacts()["+254700000001"])
        #expect(row.name == "Ann Remote")
        #expect(row.email == "ann.new@example.com")
        #expect(row.attributes["city"] == "Mombasa")
        #expect(remote["email"] == "ann.new@example.com")
        #expect(remote["name"] == "Ann Remote")
    }

    @Test(arguments: dialects) func theSameFieldEditedOnBothSidesGoesToTheNewerAndIsLogged(_ dialect: Dialect)
        async throws
    {
        let fixture = try await synced(dialect)
        try fixture.updateLocal("+254700000001", "full_name", "Older CRM edit")
        try fixture.advanceVendorClock(seconds: 60)
        try fixture.editRemote("+254700000001", ["name": "Newer vendor edit"])
        let report = try await fixture.sync()
        #expect(report.conflicts == 1)
        #expect(try fixture.localRows()["+254700000001"]?.name == "Newer vendor edit")
        #expect(try fixture.remoteContacts()["+254700000001"]?["name"] == "Newer vendor edit")
        let log = try StateStore(path: fixture.configuration.sync.state).conflicts(limit: 10)
        #expect(log.count == 1)
        #expect(log.first?.local == "Older CRM edit", "the loser is kept")
        #expect(log.first?.winner == "remote")

        try fixture.editRemote("+254700000002", ["name": "Older vendor edit"])
        try fixture.updateLocal("+254700000002", "full_name", "Newer CRM edit", at: SyncFixture.time(120))
        #expect(try await fixture.sync().conflicts == 1)
        #expect(try fixture.remoteContacts()["+254700000002"]?["name"] == "Newer CRM edit")
    }

    @Test(arguments: dialects) func theConflictPolicyCanForceASide(_ dialect: Dialect) async throws {
        let fixture = try await synced(dialect) { $0.configuration.sync.conflict = .local }
        try fixture.editRemote("+254700000001", ["name": "Vendor edit"])
        try fixture.updateLocal("+254700000001", "full_name", "CRM edit", at: SyncFixture.time(60))
        try fixture.advanceVendorClock(seconds: 120)
        try fixture.editRemote("+254700000001", ["name": "Even newer vendor edit"])
        try await fixture.sync()
        #expect(try fixture.remoteContacts()["+254700000001"]?["name"] == "CRM edit")
    }

    @Test(arguments: dialects) func tagsAddedOnEachSideAreBothKept(_ dialect: Dialect) async throws {
        let fixture = try await synced(dialect)
        try fixture.updateLocal("+254700000001", "tags", .text(#"["a","crm-tag"]"#))
        try fixture.editRemote("+254700000001", ["tags": ["a", "vendor-tag"]])
        try await fixture.sync()
        #expect(try fixture.localRows()["+254700000001"]?.tags == ["a", "crm-tag", "vendor-tag"])
        #expect(try fixture.remoteContacts()["+254700000001"]?["tags"] == ["a", "crm-tag", "vendor-tag"])
    }

    @Test(arguments: dialects) func syncdsOwnWritesAreNeverEchoed(_ dialect: Dialect) async throws {
        let fixture = try await synced(dialect)
        try fixture.editRemote("+254700000003", ["name": "Pulled"])
        try fixture.updateLocal("+254700000002", "full_name", "Pushed")
        try await fixture.sync()
        try fixture.resetStats()
        let quiet = try await fixture.sync()
        #expect(quiet.wroteNothing)
        #expect(try fixture.writes() == 0)
    }

    @Test func ownWritesAreLeftOutInSQLUnlessARunEndedUncleanly() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        try await fixture.sync()
        try fixture.sim.seed(50)
        try await fixture.sync()  // pulls 50 contacts: 50 of syncd's own inserts in the outbox
        try fixture.updateLocal("+254700000001", "full_name", "Ann B")
        let state = try StateStore(path: fixture.configuration.sync.state)
        let crm = try CRMDatabase(
            settings: fixture.configuration.local, consumer: try #require(state.meta("consumer_id")))
        let newest = try #require(try fixture.crm.first("SELECT max(seq) FROM _syncd_outbox")?.int64(0))
        let after = try crm.acknowledgedSequence()
        #expect(try state.runsEndedCleanlySinceLastSync(current: nil))
        #expect(
            try crm.changes(after: after, upTo: newest, skippingOwn: true).count == 1, "only the CRM's edit")
        #expect(try crm.changes(after: after, upTo: newest).count == 51)
        // A run killed mid-way: its own writes may be missing from the index, so all count.
        _ = try state.startRun(at: Timestamp(millisecondsSinceEpoch: 1))
        #expect(try !state.runsEndedCleanlySinceLastSync(current: nil))
        let report = try await fixture.sync()
        #expect(report.remote.updated == 1 && report.local.created == 0)
        #expect(try state.runsEndedCleanlySinceLastSync(current: nil), "a clean sync since")
    }

    @Test(arguments: dialects) func aCRMWithoutUpdatedAtUsesTheCaptureTime(_ dialect: Dialect) async throws {
        let fixture = try SyncFixture(dialect, updatedAtColumn: false)
        try fixture.insertLocal("+254700000001", name: "Ann")
        try await fixture.sync()
        try fixture.advanceVendorClock(seconds: -60)
        try fixture.editRemote("+254700000001", ["name": "Older vendor edit"])
        try fixture.updateLocal("+254700000001", "full_name", "Newer CRM edit")
        #expect(try await fixture.sync().conflicts == 1)
        #expect(
            try fixture.remoteContacts()["+254700000001"]?["name"] == "Newer CRM edit",
            "the trigger's capture time stood in for updated_at")
    }

    @Test func commaTagsAndNationalNumbersMapThrough() async throws {
        let fixture = try SyncFixture(tagsFormat: .comma)
        try fixture.crm.run(
            "INSERT INTO customers (full_name, mobile, tags) VALUES ('Ann', '0712 345 678', 'vip, lead')")
        try await fixture.sync()
        #expect(try fixture.remoteContacts()["+254712345678"]?["tags"] == ["lead", "vip"])
        try fixture.editRemote("+254712345678", ["tags": ["vip"]])
        try await fixture.sync()
        #expect(try fixture.crm.first("SELECT tags, mobile FROM customers")?.string(0) == "vip")
        #expect(
            try fixture.crm.first("SELECT mobile FROM customers")?.string(0) == "0712 345 678",
            "an untouched phone keeps the CRM's format")
    }

    @Test func aPhoneEditOnWaplyChangesTheLinkedContact() async throws {
        let fixture = try await synced()
        let id = try fixture.remoteID("+254700000002")
        try fixture.updateLocal("+254700000002", "mobile", "+254799999999")
        try await fixture.sync()
        let remote = try fixture.remoteContacts()
        #expect(remote["+254799999999"]?["id"]?.string == id)
        #expect(remote["+254700000002"] == nil)
        #expect(remote.count == 3)
    }

    @Test(arguments: dialects) func dryRunChangesNothingAnywhere(_ dialect: Dialect) async throws {
        let fixture = try SyncFixture(dialect)
        try fixture.sim.seed(10)
        try fixture.insertLocal("+254700000001", name: "Local")
        let report = try await fixture.sync(SyncOptions(dryRun: true))
        #expect(report.dryRun)
        #expect(report.local.created == 10)
        #expect(report.remote.created == 1)
        #expect(report.planLines.count == 11)
        #expect(try fixture.writes() == 0)
        #expect(try fixture.localRows().count == 1)
        #expect(
            try fixture.crm.first("SELECT count(*) FROM sqlite_master WHERE name LIKE '_syncd%'")?.int(0)
                == 0, "no triggers installed")
        #expect(!FileManager.default.fileExists(atPath: fixture.configuration.sync.state))
        // And after a real first sync, a dry run of new edits also leaves both sides alone.
        try await fixture.sync()
        try fixture.updateLocal("+254700000001", "full_name", "Edited")
        try fixture.resetStats()
        let plan = try await fixture.sync(SyncOptions(dryRun: true))
        #expect(plan.remote.updated == 1)
        #expect(plan.planLines.first?.contains(#"name: "Local" → "Edited""#) == true)
        #expect(try fixture.writes() == 0)
        #expect(try await fixture.sync().remote.updated == 1, "the real run still has the change to make")
    }

    @Test func oneSyncAtATimePerStateFile() async throws {
        let fixture = try SyncFixture()
        let lock = try StateLock(statePath: fixture.configuration.sync.state)
        await #expect { try await fixture.sync() } throws: {
            ($0 as? SyncError)?.kind == .locked && "\($0)".contains("another syncd")
        }
        withExtendedLifetime(lock) {}
    }
}
