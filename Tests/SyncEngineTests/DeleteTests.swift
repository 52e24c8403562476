import Configuration
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

@Suite struct DeleteTests {
    private func synced(deletes: SyncSettings.Deletes, count: Int = 3) async throws -> SyncFixture {
        let fixture = try SyncFixture()
        fixture.configuration.sync.deletes = deletes
        for index in 1...count {
            try fixture.insertLocal("+2547000000\(String(format: "%02d", index))", name: "Person \(index)")
        }
        try await fixture.sync()
        return fixture
    }

    @Test func aCRMDeleteReachesWaplyWhenAllowed() async throws {
        let fixture = try await synced(deletes: .localToRemote)
        try fixture.deleteLocal("+254700000001")
        let report = try await fixture.sync()
        #expect(report.remote.deleted == 1)
        #expect(try fixture.remoteContacts()["+254700000001"] == nil)
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aCRMDeleteStaysLocalWhenNotAllowedAndIsNotUndone() async throws {
        let fixture = try await synced(deletes: .none)
        try fixture.deleteLocal("+254700000001")
        let report = try await fixture.sync()
        #expect(report.remote.isQuiet)
        #expect(try fixture.remoteContacts()["+254700000001"] != nil)
        let again = try await fixture.sync()
        #expect(again.local.created == 0, "the vendor's copy does not come back into the CRM")
        #expect(try fixture.localRows()["+254700000001"] == nil)
    }

    @Test func aVendorDeleteIsBelievedOnlyAfterADirectRead() async throws {
        let fixture = try await synced(deletes: .remoteToLocal)
        try fixture.sim.control("DELETE", "/contacts/\(try fixture.remoteID("+254700000002"))")
        try fixture.resetStats()
        let report = try await fixture.sync()
        #expect(report.local.deleted == 1)
        #expect(try fixture.localRows()["+254700000002"] == nil)
        #expect(
            try fixture.sim.stats()["endpoints"]?["GET /v1/contacts/{id}"]?["404"] == 1,
            "confirmed by reading it")
    }

    @Test func aContactMissingFromAShiftedListingIsNotDeleted() async throws {
        let fixture = try await synced(deletes: .both, count: 30)
        // Contacts vanish and appear while syncd pages: the listing can skip a contact.
        try fixture.sim.faults(["churn_insert_per_page": 3, "churn_delete_per_page": 0])
        try fixture.sim.control("PATCH", "/settings", json: [:])
        let report = try await fixture.sync()
        #expect(report.local.deleted == 0)
        #expect(try fixture.localRows().count >= 30)
    }

    @Test func anEditBeatsADelete() async throws {
        let fixture = try await synced(deletes: .both)
        try fixture.deleteLocal("+254700000001")
        try fixture.editRemote("+254700000001", ["name": "Edited on the vendor"])
        try await fixture.sync()
        #expect(
            try fixture.localRows()["+254700000001"]?.name == "Edited on the vendor", "restored from the edit"
        )
        #expect(try fixture.remoteContacts()["+254700000001"] != nil)

        try fixture.sim.control("DELETE", "/contacts/\(try fixture.remoteID("+254700000002"))")
        try fixture.updateLocal("+254700000002", "full_name", "Edited in the CRM")
        try await fixture.sync()
        #expect(
            try fixture.remoteContacts()["+254700000002"]?["name"] == "Edited in the CRM",
            "created again from the edit")
    }

    @Test func theDeleteGuardStopsAMassDeleteUnlessForced() async throws {
        let fixture = try await synced(deletes: .localToRemote, count: 20)
        try fixture.crm.run("DELETE FROM customers WHERE id <= 10")
        try fixture.resetStats()
        await #expect { try await fixture.sync() } throws: { error in
            (error as? SyncError)?.kind == .deleteGuard && "\(error)".contains("10 of 20 waply contacts")
                && "\(error)".contains("'syncd --once --force --config \(fixture.configuration.path)'")
        }
        #expect(try fixture.writes() == 0, "nothing was changed")
        #expect(try fixture.remoteContacts().count == 20)
        let forced = try await fixture.sync(SyncOptions(force: true))
        #expect(forced.remote.deleted == 10)
        #expect(try fixture.remoteContacts().count == 10)
    }
}
