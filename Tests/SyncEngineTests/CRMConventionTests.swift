import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

/// The CRM is somebody else's database: syncd adds its triggers and `_syncd_*` tables and
/// changes nothing else about it, and what it writes into the CRM's columns looks like what
/// the CRM itself writes there. The CRMs here keep SQLite's default rollback journal.
@Suite struct CRMConventionTests {
    private static let columns =
        "full_name TEXT, mobile TEXT, email TEXT, country TEXT, extra TEXT, opt_in INTEGER"

    // MARK: - The database itself

    /// (`truncate` and `persist` are a connection's choice, not the file's: only WAL is kept in
    /// the file.)
    @Test(arguments: ["delete", "wal"])
    func theCRMsJournalModeIsLeftAsItWas(_ mode: String) async throws {
        let fixture = try SyncFixture(crmJournalMode: mode)
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.sim.control("POST", "/contacts", json: ["phone": "+254700000002", "name": "Ben"])
        try await fixture.sync()
        try fixture.editRemote("+254700000001", ["name": "Ann Remote"])
        try await fixture.sync()
        #expect(try fixture.localRows()["+254700000001"]?.name == "Ann Remote")
        #expect(try fixture.localRows()["+254700000002"]?.name == "Ben")

        #expect(try fixture.openCRM().first("PRAGMA journal_mode")?.string(0) == mode)
        #expect(
            FileManager.default.fileExists(atPath: fixture.crmPath + "-wal") == (mode == "wal"),
            "a backup of the .sqlite file alone holds every write")
        let state = try Database(
            path: fixture.configuration.sync.state, options: .init(create: false, walMode: false))
        #expect(try state.first("PRAGMA journal_mode")?.string(0) == "wal", "syncd's own file keeps WAL")
    }

    @Test(arguments: ["delete", "wal"])
    func aCRMHoldingAnExclusiveLockIsWaitedFor(_ mode: String) async throws {
        let fixture = try SyncFixture(crmJournalMode: mode)
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.insertLocal("+254700000002", name: "Ben")
        try await fixture.sync()
        try fixture.editRemote("+254700000002", ["name": "Ben Remote"])
        // The CRM application takes an exclusive lock (which, with a rollback journal, keeps
        // out readers too), edits a row and holds on for a second as syncd starts its cycle.
        let released = try await fixture.holdLock(
            "EXCLUSIVE",
            running: "UPDATE customers SET full_name = 'Ann Held' WHERE mobile = '+254700000001'",
            seconds: 1)
        let report = try await fixture.sync()
        for try await _ in released {}
        #expect(report.local.updated == 1, "syncd waited for the lock instead of failing")
        #expect(try fixture.localRows()["+254700000002"]?.name == "Ben Remote")
        // The held edit went this cycle (a rollback journal kept syncd from reading before
        // the commit) or goes the next (WAL let it read the row as it was).
        try await fixture.sync()
        #expect(try fixture.remoteContacts()["+254700000001"]?["name"] == "Ann Held")
        #expect(try fixture.openCRM().first("PRAGMA journal_mode")?.string(0) == mode)
    }

    // MARK: - Times as the CRM writes them

    @Test(
        arguments: [
            ("TEXT", "2026-07-03 07:05:35"),
            ("TEXT", "2026-07-03T07:05:35"),
            ("TEXT", "2026-07-03T07:05:35Z"),
            ("DATETIME", "2026-07-03 07:05:35.880"),
            ("TEXT", "2026-07-03T09:05:35.123456+02:00"),
            ("TEXT", "2026-07-03 02:05-0500"),
            ("TEXT", "1751526335"),
            ("INTEGER", 1_751_526_335),
            ("INTEGER", 1_751_526_335_880),
            ("REAL", 1_751_526_335.88),
            ("TEXT", nil),
            ("INTEGER", nil),
        ] as [(String, DatabaseValue)])
    func updatedAtIsWrittenAsTheColumnHoldsIt(_ type: String, _ existing: DatabaseValue) async throws {
        let fixture = try SyncFixture(crmJournalMode: "delete")
        try fixture.replaceTable(
            columns: "id INTEGER PRIMARY KEY, \(Self.columns), tags TEXT, updated_at \(type)")
        try fixture.crm.run(
            "INSERT INTO customers (mobile, full_name, updated_at) VALUES ('+254700000001', 'Ann', ?)",
            [existing])
        try fixture.sim.control("POST", "/contacts", json: ["phone": "+254700000002", "name": "Dee"])
        let first = try await fixture.sync()
        #expect(!first.notes.contains { $0.contains("taken as unknown") }, "every one of these reads")
        try fixture.editRemote("+254700000001", ["name": "Ann Remote"])
        try await fixture.sync()

        let expectedType =
            existing.isNull ? (type == "INTEGER" ? "integer" : "text") : Self.storageClass(existing)
        let rows = try fixture.crm.query("SELECT full_name, updated_at, typeof(updated_at) FROM customers")
        #expect(rows.compactMap { $0.string(0) }.sorted() == ["Ann Remote", "Dee"])
        for row in rows {
            let name = row.string(0) ?? ""
            let written = row[1]
            #expect(row.string(2) == expectedType, "\(name): \(written)")
            let shape =
                existing.isNull
                ? (type == "INTEGER" ? "d" : "dddd-dd-ddTdd:dd:dd.dddZ") : Self.shape(existing)
            #expect(Self.shape(written) == shape, "\(name): \(written) is shaped as \(existing)")
            let time = try #require(Self.time(written), "\(name): \(written)")
            let now = SystemClock().now().millisecondsSinceEpoch
            #expect(abs(time - now) < 120_000, "\(name): \(written) is now, in the column's own zone")
        }
    }

    private static func storageClass(_ value: DatabaseValue) -> String {
        switch value {
        case .null: "null"
        case .integer: "integer"
        case .real: "real"
        case .text: "text"
        case .blob: "blob"
        }
    }

    /// A value's shape: its digits as `d` (a number's magnitude decides seconds from
    /// milliseconds).
    private static func shape(_ value: DatabaseValue) -> String {
        switch value {
        case .integer(let number): return number > 100_000_000_000 ? "ms" : "d"
        case .real(let number): return number > 100_000_000_000 ? "ms." : "d."
        case .text(let text) where Int64(text) != nil: return text.count > 11 ? "ms" : "d"
        default:
            return String((value.string ?? "").map { $0.isNumber ? "d" : $0 })
        }
    }

    /// Milliseconds since the epoch that a written value reads as.
    private static func time(_ value: DatabaseValue) -> Int64? {
        if let number = value.double {
            return Int64(number > 100_000_000_000 ? number : number * 1000)
        }
        return value.string.flatMap(Timestamp.init(iso8601:))?.millisecondsSinceEpoch
    }

    // MARK: - No tags as the CRM writes them

    @Test(
        arguments: [
            (LocalSettings.TagsFormat.json, "[]" as DatabaseValue, ""),
            (.json, nil, ""),
            (.json, "[ ]", ""),
            (.comma, "", ""),
            (.comma, nil, ""),
            (.json, nil, " NOT NULL DEFAULT '[]'"),
            (.comma, nil, " NOT NULL DEFAULT ''"),
        ] as [(LocalSettings.TagsFormat, DatabaseValue, String)])
    func noTagsAreWrittenAsTheCRMWritesThem(
        _ format: LocalSettings.TagsFormat, _ empty: DatabaseValue, _ constraint: String
    ) async throws {
        let fixture = try SyncFixture(tagsFormat: format, crmJournalMode: "delete")
        try fixture.replaceTable(
            columns: "id INTEGER PRIMARY KEY, \(Self.columns), updated_at TEXT, tags TEXT\(constraint)")
        let vip: DatabaseValue = format == .json ? #"["vip"]"# : "vip"
        // A NOT NULL column whose rows all have tags: only its declaration says what none is.
        let rows: [(String, DatabaseValue)] =
            constraint.isEmpty
            ? [("+254700000001", vip), ("+254700000003", empty), ("+254700000004", empty)]
            : [("+254700000001", vip), ("+254700000003", vip)]
        for (phone, tags) in rows {
            try fixture.crm.run(
                "INSERT INTO customers (mobile, full_name, tags) VALUES (?, 'P', ?)", [.text(phone), tags])
        }
        try await fixture.sync()
        try fixture.editRemote("+254700000001", ["tags": []])
        try fixture.sim.control("POST", "/contacts", json: ["phone": "+254700000002", "name": "Dee"])
        let report = try await fixture.sync()
        #expect(report.refusedByCRM == 0, "\(report.notes)")
        let expected = constraint.isEmpty ? empty : (format == .json ? "[]" : "")
        for phone in ["+254700000001", "+254700000002"] {
            let stored = try fixture.crm.first("SELECT tags FROM customers WHERE mobile = ?", [.text(phone)])
            #expect(stored?[0] == expected, "\(phone)")
        }
        #expect(try await fixture.sync().wroteNothing)
    }

    // MARK: - Keys syncd gives new rows

    @Test(arguments: [
        "id INTEGER PRIMARY KEY, code INTEGER NOT NULL UNIQUE", "code INT PRIMARY KEY",
        "code INTEGER NOT NULL PRIMARY KEY DESC",
    ])
    func aRowSyncdInsertsGetsTheNextIntegerKey(_ keyColumns: String) async throws {
        let fixture = try keyedFixture(
            keyColumns, key: "code", rows: "(100, '+254700000001'), (205, '+254700000002')",
            vendorPhones: ["+254700000003", "+254700000004"])
        let report = try await fixture.sync()
        #expect(report.local.created == 2 && report.refusedByCRM == 0)
        let keys = try fixture.crm.query("SELECT code, typeof(code) FROM customers ORDER BY code")
        #expect(keys.map { $0.string(1) } == Array(repeating: "integer", count: 4))
        #expect(keys.compactMap { $0.int64(0) } == [100, 205, 206, 207])

        try fixture.editRemote("+254700000004", ["name": "Dee Remote"])
        try fixture.crm.run("UPDATE customers SET full_name = 'Cy Local' WHERE code = 206")
        let second = try await fixture.sync()
        #expect(second.local.updated == 1 && second.remote.updated == 1 && second.local.created == 0)
        #expect(
            try fixture.crm.first("SELECT full_name FROM customers WHERE code = 207")?.string(0)
                == "Dee Remote")
        #expect(try fixture.remoteContacts()["+254700000003"]?["name"] == "Cy Local")
    }

    @Test func anIntegerKeyWithNoNextValueIsReportedNeverFilledWithText() async throws {
        let fixture = try keyedFixture(
            "code INTEGER NOT NULL UNIQUE", key: "code", rows: "(9223372036854775807, '+254700000001')",
            vendorPhones: ["+254700000002"])
        let report = try await fixture.sync()
        #expect(report.refusedByCRM == 1)
        #expect(report.notes.contains { $0.contains("+254700000002") && $0.contains("key") })
        #expect(
            try fixture.crm.first("SELECT count(*) FROM customers WHERE typeof(code) != 'integer'")?.int(0)
                == 0)
        #expect(try fixture.crm.first("SELECT count(*) FROM customers")?.int(0) == 1)
    }

    @Test func aTextKeyStillGetsAUUID() async throws {
        let fixture = try keyedFixture(
            "code TEXT PRIMARY KEY", key: nil, rows: "('c-1', '+254700000001')",
            vendorPhones: ["+254700000002"])
        try await fixture.sync()
        let key = try #require(
            try fixture.crm.first("SELECT code FROM customers WHERE mobile = '+254700000002'")?.string(0))
        #expect(UUID(uuidString: key) != nil)
    }

    /// A fixture whose table has `keyColumns` before the usual ones, holding `rows` of
    /// `(code, mobile)`, with `vendorPhones` new on the vendor.
    private func keyedFixture(_ keyColumns: String, key: String?, rows: String, vendorPhones: [String]) throws
        -> SyncFixture
    {
        let fixture = try SyncFixture(crmJournalMode: "delete")
        try fixture.replaceTable(
            columns: "\(keyColumns), \(Self.columns), tags TEXT, updated_at TEXT", key: key)
        try fixture.crm.run("INSERT INTO customers (code, mobile) VALUES \(rows)")
        for phone in vendorPhones {
            try fixture.sim.control("POST", "/contacts", json: ["phone": .string(phone), "name": "Vendor"])
        }
        return fixture
    }
}
