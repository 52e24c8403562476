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

/// A vendor contact is pulled into the CRM only when syncd can read the row back, and a pull
/// cut off between its CRM write and its link is paired with that row, not pulled again.
@Suite struct InterruptedPullTests {
    @Test func aVendorContactWhoseNumberIsNotInUseIsReportedNotPulled() async throws {
        let fixture = try SyncFixture()
        try fixture.sim.control("POST", "/contacts", json: ["phone": "+2348700100012", "name": "Not in use"])
        let report = try await fixture.sync()
        #expect(report.local.created == 0)
        #expect(try fixture.localRows()["+2348700100012"] == nil)
        #expect(
            report.notes.contains {
                $0.contains("+2348700100012") && $0.contains("not a number in use in Nigeria")
            },
            "\(report.notes)")
    }

    @Test func aPullCutOffBeforeItsLinkIsPairedNotPulledAgain() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254712000001", name: "Already here")
        try await fixture.sync()
        let acknowledged = try fixture.crm.first("SELECT last_seq FROM _syncd_consumers")?.int64(0) ?? 0
        try fixture.sim.control("POST", "/contacts", json: ["phone": "+2348031100012", "name": "Vendor new"])
        try await fixture.sync()
        let key = try #require(
            try fixture.crm.first("SELECT id FROM customers WHERE mobile = '+2348031100012'")?.int64(0))
        // What the pull recorded after its CRM write is undone, as if it had been killed there.
        let state = try Database(path: fixture.configuration.sync.state)
        try state.execute(
            """
            DELETE FROM links WHERE local_key = '\(key)'; DELETE FROM local_index WHERE local_key = '\(key)';
            UPDATE runs SET finished_at = NULL, outcome = NULL WHERE id = (SELECT max(id) FROM runs);
            """)
        try fixture.crm.run("UPDATE _syncd_consumers SET last_seq = ?", [.integer(acknowledged)])
        let report = try await fixture.sync()
        #expect(report.local.created == 0, "paired with the row the cut-off pull wrote")
        #expect(try fixture.crm.query("SELECT id FROM customers WHERE mobile = '+2348031100012'").count == 1)
        #expect(try await fixture.sync().wroteNothing)
    }
}
