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

/// A listed contact byte for byte as last synced is passed over without being decoded:
/// each link remembers a fingerprint of the vendor's item it was synced from. Anything
/// else is decoded and compared as before.
@Suite struct ListedItemTests {
    /// 30 contacts on the vendor, 30 other people in the CRM.
    func fixture(_ dialect: Dialect = .waply) throws -> SyncFixture {
        let fixture = try SyncFixture(dialect)
        try fixture.sim.seed(30)
        for index in 0..<30 {
            try fixture.insertLocal("+2547600\(String(10_000 + index))", name: "Local \(index)")
        }
        return fixture
    }

    /// Linked contacts, and how many of them remember their listed item.
    func remembered(_ fixture: SyncFixture) throws -> (links: Int, remembered: Int) {
        let state = try Database(path: fixture.configuration.sync.state)
        let row = try state.first(
            "SELECT count(*), count(listed_item) FROM links WHERE state = 'linked' AND remote_id IS NOT NULL")
        return (row?.int(0) ?? -1, row?.int(1) ?? -1)
    }

    @Test(arguments: [Dialect.waply, .superwaba])
    func aPullRemembersTheItemsItTookAndAnEditIsStillSeen(_ dialect: Dialect) async throws {
        let fixture = try fixture(dialect)
        try await fixture.sync()
        let pulled = try remembered(fixture)
        #expect(pulled.links == 60)
        // Pulled contacts were synced from their listed items (or from reads that showed the
        // same version): the next cycle has nothing to decode.
        #expect(
            pulled.remembered == 30, "the 30 pulled; the 30 syncd created are learned when next listed")
        #expect(try await fixture.sync().wroteNothing)
        #expect(try remembered(fixture).remembered == 60)

        // A dashboard edit changes the item's bytes: decoded, pulled, remembered anew.
        let phone = try #require(try fixture.remoteContacts().keys.sorted().first)
        try fixture.editRemote(phone, ["name": "Edited On The Dashboard"])
        let report = try await fixture.sync()
        #expect(report.local.updated == 1)
        #expect(try fixture.localRows()[phone]?.name == "Edited On The Dashboard")
        #expect(try remembered(fixture).remembered == 60)
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aLinkSyncdChangesForgetsItsItemUntilListedAgain() async throws {
        let fixture = try fixture()
        try await fixture.sync()
        try await fixture.sync()
        let phone = try #require(try fixture.localRows().keys.sorted().last)
        try fixture.updateLocal(phone, "full_name", .text("Renamed In The CRM"))
        let push = try await fixture.sync()
        #expect(push.remote.updated == 1)
        #expect(try remembered(fixture).remembered == 59, "the pushed contact's old item is forgotten")
        #expect(try await fixture.sync().wroteNothing)
        #expect(try remembered(fixture).remembered == 60)
        #expect(try fixture.remoteContacts()[phone]?["name"] == "Renamed In The CRM")
    }

    @Test func aStateFileFromBeforeListedItemsIsUpgradedAndLearnsThem() async throws {
        let fixture = try fixture()
        try await fixture.sync()
        do {
            let state = try Database(path: fixture.configuration.sync.state)
            try state.execute("ALTER TABLE links DROP COLUMN listed_item; PRAGMA user_version = 3;")
        }
        let report = try await fixture.sync()
        #expect(report.wroteNothing)
        #expect(try remembered(fixture) == (60, 60))
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func itemsRememberedUnderAnotherReadingAreDecodedAndLearnedAgain() async throws {
        let fixture = try fixture()
        try await fixture.sync()
        let state = try Database(path: fixture.configuration.sync.state)
        func fingerprints() throws -> [Int64: Int64] {
            var byLink: [Int64: Int64] = [:]
            for row in try state.query("SELECT link_id, listed_item FROM links WHERE listed_item IS NOT NULL")
            {
                if let link = row.int64(0), let fingerprint = row.int64(1) { byLink[link] = fingerprint }
            }
            return byLink
        }
        let learned = try fingerprints()
        #expect(learned.count == 30)
        // As an older syncd that read items another way would have left them.
        try state.execute("UPDATE links SET listed_item = listed_item + 1 WHERE listed_item IS NOT NULL")
        try fixture.editRemote(
            try #require(try fixture.remoteContacts().keys.sorted().first), ["name": "Edited"])
        let report = try await fixture.sync()
        #expect(report.local.updated == 1, "the edit is pulled; the others compare equal once decoded")
        let relearned = try fingerprints()
        #expect(relearned.count == 60)
        #expect(learned.filter { relearned[$0.key] == $0.value }.count == 29, "learned again as they were")
        #expect(learned.allSatisfy { relearned[$0.key] != $0.value + 1 }, "no mismatched one kept")
    }

    @Test func anItemIsRememberedOnlyWhileItsLinkHoldsWhatItWasComparedWith() throws {
        let directory = NSTemporaryDirectory() + "syncd-listed-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = try StateStore(path: directory + "/state.sqlite")
        let now = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
        let link = Link(
            localKey: "7", remoteID: "con_7", phone: "+254712345678", base: nil, remoteHash: 11,
            remoteUpdatedAt: now)
        let id = try state.save(link, at: now)
        func listedItem() throws -> Int64? {
            try state.database.first("SELECT listed_item FROM links WHERE link_id = ?", [.integer(id)])?
                .int64(0)
        }
        // Compared with another version (a push saved a new one meanwhile): not remembered.
        try state.recordListedItems([
            ListedItemMatch(linkID: id, fingerprint: 99, hash: 10, updatedAt: now.millisecondsSinceEpoch)
        ])
        #expect(try listedItem() == nil)
        try state.recordListedItems([
            ListedItemMatch(linkID: id, fingerprint: 99, hash: 11, updatedAt: now.millisecondsSinceEpoch - 1)
        ])
        #expect(try listedItem() == nil)
        try state.recordListedItems([
            ListedItemMatch(linkID: id, fingerprint: 99, hash: 11, updatedAt: now.millisecondsSinceEpoch)
        ])
        #expect(try listedItem() == 99)
        // Any other save of the link forgets it.
        var saved = link
        saved.id = id
        try state.save(saved, at: now)
        #expect(try listedItem() == nil)
    }
}
