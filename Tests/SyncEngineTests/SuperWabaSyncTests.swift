import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import LocalStore
import RemoteAPI
import SQLite
import SyncEngine
import SyncdCLI
import TestSupport
import Testing

/// Syncing with SuperWaba over loopback, against the bundled emulator.
@Suite struct SuperWabaSyncTests {
    @Test func firstSyncBothWaysWithOverlap() async throws {
        let fixture = try SyncFixture(.superwaba)
        try fixture.sim.seed(30)
        let shared = Array(try fixture.remoteContacts().keys.sorted().prefix(10))
        for phone in shared { try fixture.insertLocal(phone, name: "CRM copy", attributes: ["tier": "gold"]) }
        for index in 1...5 {
            try fixture.insertLocal("+2547110000\(index)0", name: "Local \(index)", tags: ["crm"])
        }
        let report = try await fixture.sync()
        #expect(report.remote.created == 5)
        #expect(report.local.created == 20)
        #expect(try fixture.localRows().count == 35)
        #expect(try fixture.remoteContacts().count == 35)
        let second = try await fixture.sync(SyncOptions(listChanges: true))
        #expect(second.wroteNothing, "\(second.planLines) \(second.summaryLine)")
    }
}
