import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

/// Opt-in moves only on a person's answer: a vendor's default for a contact syncd created
/// (SuperWaba starts every contact opted out) is not one.
@Suite struct OptInTests {
    private func phone(_ index: Int) -> String { "+2547110001\(String(format: "%02d", index))" }

    private func optIns(_ fixture: SyncFixture) throws -> [Int?] {
        try fixture.crm.query("SELECT opt_in FROM customers ORDER BY id").map { $0.int(0) }
    }

    @Test(arguments: [1, 12]) func aFirstPushLeavesUnknownOptInsUnknown(_ count: Int) async throws {
        let fixture = try SyncFixture(.superwaba)
        for index in 1...count { try fixture.insertLocal(phone(index), name: "P\(index)") }
        let stamps = try fixture.crm.query("SELECT updated_at FROM customers ORDER BY id").map {
            $0.string(0)
        }
        let report = try await fixture.sync()
        #expect(report.remote.created == count)
        #expect(report.local.updated == 0, "the vendor's default is not written into the CRM")
        #expect(try optIns(fixture).allSatisfy { $0 == nil }, "unknown stays unknown")
        #expect(
            try fixture.crm.query("SELECT updated_at FROM customers ORDER BY id").map { $0.string(0) }
                == stamps)
        #expect(try await fixture.sync().wroteNothing)
        #expect(try optIns(fixture).allSatisfy { $0 == nil })

        // A vendor edit reaches the CRM without the vendor's default riding along.
        try fixture.editRemote(phone(count), ["name": "Edited on the dashboard"])
        #expect(try await fixture.sync().local.updated == 1)
        #expect(try fixture.localRows()[phone(count)]?.name == "Edited on the dashboard")
        #expect(try optIns(fixture).allSatisfy { $0 == nil })

        // A real answer still travels: the CRM's opt-in goes out, the vendor's STOP comes in.
        try fixture.updateLocal(phone(1), "opt_in", .integer(1), at: SyncFixture.time(1))
        try await fixture.sync()
        #expect(try fixture.remoteContacts()[phone(1)]?["opt_in"] == "opted_in")
        try fixture.sim.control("POST", "/contacts/\(try fixture.remoteID(phone(1)))/opt-out")
        try await fixture.sync()
        #expect(try optIns(fixture).first == 0, "a STOP recorded by the vendor wins")
    }

    /// The bulk create went through but its answer was lost, so the opt-in PATCHes were never
    /// sent: the next run must send them, not copy SuperWaba's default over every opt-in.
    @Test func anInterruptedFirstPushKeepsEveryOptIn() async throws {
        let fixture = try SyncFixture(.superwaba)
        for index in 1...12 { try fixture.insertLocal(phone(index), name: "P\(index)", optIn: 1) }
        try fixture.sim.faults(["drop_after_next": 1, "methods": ["POST"], "path_contains": "bulk"])
        _ = try? await fixture.sync()
        try fixture.sim.faults([:])
        try await fixture.sync()
        #expect(try optIns(fixture) == Array(repeating: 1, count: 12))
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 12)
        #expect(
            remote.values.allSatisfy { $0["opt_in"] == "opted_in" }, "\(remote.values.map { $0["opt_in"] })")
        #expect(try await fixture.sync().wroteNothing)
    }
}
