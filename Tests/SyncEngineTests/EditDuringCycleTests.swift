import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

/// The CRM is somebody else's database: its application writes while a cycle runs. An edit
/// made then is never lost, whatever the cycle was doing to that contact.
@Suite struct EditDuringCycleTests {
    static let dialects: [Dialect] = [.waply, .superwaba, .qlara]
    static let alice = "+254711000001"

    /// Runs a cycle whose vendor writes are held up, and edits Alice's CRM row while the first
    /// of them is on its way (the emulator counts a request when it has answered it).
    private func syncEditingMidWrite(
        _ fixture: SyncFixture, column: String, value: DatabaseValue, writeMethods: [String]
    ) async throws -> SyncReport {
        try fixture.sim.faults(["latency_ms": 600, "methods": .array(writeMethods.map(JSON.string))])
        let port = fixture.sim.port
        let crmPath = fixture.crmPath
        let editor = Task.detached {
            // The listing is read (GETs are not held up); a write is then on its way.
            while true {
                let stats = try LoopbackClient(port: port).request("GET", "/_sim/stats").json
                if stats["endpoints"]?.object?.contains(where: { $0.key.hasPrefix("GET") }) == true { break }
                try await Task.sleep(nanoseconds: 5_000_000)
            }
            try await Task.sleep(nanoseconds: 150_000_000)
            let crm = try Database(path: crmPath)
            try crm.run(
                "UPDATE customers SET \(column) = ?, updated_at = ? WHERE mobile = ?",
                [value, .text(SyncFixture.now()), .text(Self.alice)])
        }
        let report = try await fixture.sync()
        try await editor.value
        try fixture.sim.faults([:])
        return report
    }

    @Test(arguments: dialects) func anEditMadeWhileTheRowIsCreatedReachesTheVendor(_ dialect: Dialect)
        async throws
    {
        let fixture = try SyncFixture(dialect)
        // An unknown opt-in: SuperWaba's create answers with its own default.
        try fixture.insertLocal(Self.alice, name: "Alice")
        try await fixture.sync()  // the empty book is listed once
        try fixture.resetStats()
        try fixture.crm.run(
            "UPDATE customers SET full_name = 'Alice B' WHERE mobile = ?", [.text(Self.alice)])
        _ = try await syncEditingMidWrite(
            fixture, column: "full_name", value: .text("Alice C"), writeMethods: ["POST", "PATCH", "PUT"])
        try await fixture.sync()
        #expect(try fixture.localRows()[Self.alice]?.name == "Alice C", "the CRM's newer edit stays")
        #expect(try fixture.remoteContacts()[Self.alice]?["name"] == "Alice C", "and reaches the vendor")
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test(arguments: dialects) func anEditMadeWhileAVendorChangeIsPulledAndPushedIsKept(_ dialect: Dialect)
        async throws
    {
        let fixture = try SyncFixture(dialect)
        try fixture.insertLocal(Self.alice, name: "Alice", email: "alice@example.com")
        try await fixture.sync()
        // The cycle pushes the CRM's name and pulls the vendor's email; meanwhile the CRM's
        // application edits the name again.
        try fixture.updateLocal(Self.alice, "full_name", .text("Alice B"), at: SyncFixture.time(-5))
        try fixture.editRemote(Self.alice, ["email": "alice@work.example"])
        try fixture.resetStats()
        _ = try await syncEditingMidWrite(
            fixture, column: "full_name", value: .text("Alice C"), writeMethods: ["PATCH", "PUT"])
        try await fixture.sync()
        let local = try fixture.localRows()[Self.alice]
        #expect(local?.name == "Alice C", "the edit made during the cycle is not lost")
        #expect(local?.email == "alice@work.example", "the vendor's change still reaches the CRM")
        let remote = try fixture.remoteContacts()[Self.alice]
        #expect(remote?["name"] == "Alice C")
        #expect(remote?["email"] == "alice@work.example", "the vendor's change is not pushed back over")
        #expect(try await fixture.sync().wroteNothing)
    }
}
