import Configuration
import ContactsSim
import Foundation
import JSON
import LocalStore
import SQLite
import SyncEngine
import TestSupport
import Testing

/// A CRM row syncd cannot read, but whose phone it can, is still a known person: the vendor's
/// copy of that phone is never pulled in as a second row, and the row is never written over.
@Suite struct UnreadableRowTests {
    static let dialects: [Dialect] = [.waply, .superwaba, .qlara]
    static let phone = "+254711000001"

    private func count(_ fixture: SyncFixture) throws -> Int {
        try fixture.crm.first("SELECT count(*) FROM customers")?.int(0) ?? -1
    }

    @Test(arguments: dialects) func aMalformedCellDoesNotDuplicateItsPerson(_ dialect: Dialect) async throws {
        let fixture = try SyncFixture(dialect)
        try fixture.sim.control(
            "POST", "/contacts", json: ["phone": .string(Self.phone), "name": "Alice on the vendor"])
        try fixture.crm.run(
            "INSERT INTO customers (full_name, mobile, extra) VALUES ('Alice', ?, '{not json')",
            [.text(Self.phone)])
        for _ in 0..<2 {
            let report = try await fixture.sync()
            #expect(try count(fixture) == 1, "the vendor's copy is not pulled as a new row")
            #expect(report.local.created == 0, "\(report.summaryLine) \(report.notes)")
            #expect(report.notes.contains { $0.contains("cannot be read") }, "\(report.notes)")
        }
        // Fixed, the row is matched to the vendor's contact by phone.
        try fixture.crm.run("UPDATE customers SET extra = '{}' WHERE mobile = ?", [.text(Self.phone)])
        try await fixture.sync()
        #expect(try count(fixture) == 1)
        #expect(try fixture.remoteContacts().count == 1)
        #expect(try await fixture.sync().wroteNothing)
    }

    /// A tags column in comma form, read as JSON: the reason names the setting that fixes it.
    @Test func commaTagsReadAsJSONNameTheSettingThatReadsThem() async throws {
        let fixture = try SyncFixture()
        try fixture.crm.run(
            "INSERT INTO customers (full_name, mobile, tags) VALUES ('Ann', ?, 'vip,lead')",
            [.text(Self.phone)])
        let report = try await fixture.sync()
        #expect(report.skipped["unreadable CRM row"] == 1)
        let state = try StateStore(path: fixture.configuration.sync.state)
        let reason = try state.rejections().first?.reason ?? ""
        #expect(reason.contains(#"set local.tags_format to "comma""#), "\(reason)")
    }

    @Test(arguments: dialects) func aLinkedRowThatTurnsUnreadableIsNotWrittenOver(_ dialect: Dialect)
        async throws
    {
        let fixture = try SyncFixture(dialect)
        try fixture.insertLocal(Self.phone, name: "Alice")
        try await fixture.sync()
        try fixture.crm.run("UPDATE customers SET extra = '{not json' WHERE mobile = ?", [.text(Self.phone)])
        try fixture.editRemote(Self.phone, ["name": "Alice on the vendor"])
        for _ in 0..<2 {
            let report = try await fixture.sync()
            #expect(report.local.updated == 0 && report.local.created == 0, "\(report)")
            #expect(try fixture.crm.first("SELECT extra FROM customers")?.string(0) == "{not json")
            #expect(try count(fixture) == 1)
        }
        // Fixed, the vendor's edit arrives.
        try fixture.crm.run("UPDATE customers SET extra = NULL WHERE mobile = ?", [.text(Self.phone)])
        try await fixture.sync()
        #expect(try fixture.localRows()[Self.phone]?.name == "Alice on the vendor")
    }
}
