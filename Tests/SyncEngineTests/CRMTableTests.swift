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

/// The CRM is somebody else's database: odd column types, constraints, keys it may leave
/// NULL. syncd reads it without mangling anything and writes what the CRM accepts.
@Suite struct CRMTableTests {
    /// A fixture whose `customers` table has the fixture's columns declared as given, in a
    /// database on SQLite's default rollback journal.
    private func fixture(
        _ dialect: Dialect = .waply, columns: String, key: String? = "id",
        tagsFormat: LocalSettings.TagsFormat = .json
    ) throws -> SyncFixture {
        let fixture = try SyncFixture(dialect, tagsFormat: tagsFormat, crmJournalMode: "delete")
        try fixture.replaceTable(columns: columns, key: key)
        return fixture
    }

    private static let standardColumns =
        "full_name TEXT, email TEXT, country TEXT, tags TEXT, extra TEXT, opt_in INTEGER, updated_at TEXT"

    // MARK: - Values in and out

    @Test(arguments: [("INTEGER", "integer"), ("REAL", "real"), ("NUMERIC", "integer")])
    func aNumericPhoneColumnKeepsTheNumbersItHolds(_ type: String, _ storedAs: String) async throws {
        let fixture = try fixture(columns: "id INTEGER PRIMARY KEY, mobile \(type), \(Self.standardColumns)")
        try fixture.crm.run(
            "INSERT INTO customers (mobile, full_name) VALUES ('+14155550100', 'Ann'), (712345678, 'Ben'), (254722000001, 'Cy')"
        )
        #expect(
            try fixture.crm.first("SELECT typeof(mobile) FROM customers WHERE full_name = 'Ann'")?.string(0)
                == storedAs)
        try await fixture.sync()
        let remote = try fixture.remoteContacts()
        #expect(remote["+14155550100"]?["name"] == "Ann", "not +25414155550100")
        #expect(remote["+254712345678"]?["name"] == "Ben")
        #expect(remote["+254722000001"]?["name"] == "Cy")
        #expect(remote.count == 3)

        try fixture.sim.control("POST", "/contacts", json: ["phone": "+447911123456", "name": "Dee"])
        try fixture.editRemote("+14155550100", ["name": "Ann Remote"])
        try await fixture.sync()
        let dee = try #require(
            try fixture.crm.first("SELECT mobile, typeof(mobile) FROM customers WHERE full_name = 'Dee'"))
        #expect(dee.string(1) == storedAs, "written back in the column's own type")
        #expect(dee.string(0).flatMap(Double.init) == 447_911_123_456)
        #expect(
            try fixture.crm.first("SELECT mobile FROM customers WHERE full_name = 'Ann Remote'")?.string(0)
                .flatMap(Double.init) == 14_155_550_100)
        #expect(try await fixture.sync().wroteNothing)
        #expect(try fixture.remoteContacts().count == 4)
    }

    @Test func digitsThatReadAsTwoNumbersAreReportedNotGuessed() async throws {
        let fixture = try fixture(columns: "id INTEGER PRIMARY KEY, mobile INTEGER, \(Self.standardColumns)")
        // Nine digits in use twice over: a Kenyan landline, or an Austrian number (+43).
        try fixture.crm.run("INSERT INTO customers (mobile, full_name) VALUES (431280949, 'Ambiguous')")
        let report = try await fixture.sync()
        #expect(report.skipped["invalid phone"] == 1)
        #expect(try fixture.remoteContacts().isEmpty)
        #expect(report.planLines.isEmpty)
    }

    @Test func anUpdatedAtThatIsNoTimeIsTakenAsUnknownAndNamed() async throws {
        let fixture = try SyncFixture()
        try fixture.crm.run(
            "INSERT INTO customers (id, mobile, full_name, updated_at) VALUES (1, '+254700000001', 'Far', 1e300), (2, '+254700000002', 'Before', -100000000000000000), (3, '+254700000003', 'Text', 'yesterday')"
        )
        let report = try await fixture.sync()
        #expect(report.remote.created == 3)
        for key in 1...3 {
            #expect(
                report.notes.contains {
                    $0.hasPrefix("CRM row \(key): updated_at") && $0.hasSuffix("taken as unknown")
                })
        }
        try fixture.crm.run("UPDATE customers SET full_name = 'Far edited', updated_at = 1e300 WHERE id = 1")
        #expect(try await fixture.sync().remote.updated == 1)
    }

    @Test func attributeValuesKeepTheirJSONType() async throws {
        let fixture = try SyncFixture()
        try fixture.crm.run(
            "INSERT INTO customers (mobile, full_name, extra) VALUES ('+254700000001', 'Ann', ?)",
            [.text(#"{"age":42,"vip":true,"ratio":0.5,"note":"x"}"#)])
        try await fixture.sync()
        #expect(
            try fixture.remoteContacts()["+254700000001"]?["attributes"] == [
                "age": "42", "vip": "true", "ratio": "0.5", "note": "x",
            ])
        try fixture.editRemote(
            "+254700000001", ["attributes": ["age": "42", "vip": "true", "ratio": "0.5", "note": "changed"]])
        try await fixture.sync()
        let stored = try #require(try fixture.crm.first("SELECT extra FROM customers")?.string(0))
        let attributes = try JSON.parse(stored)
        #expect(attributes["age"] == .int(42))
        #expect(attributes["vip"] == .bool(true))
        #expect(attributes["ratio"] == .double(0.5))
        #expect(attributes["note"] == "changed")
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func aTagTheCommaFormatCannotHoldIsRefusedNotSplit() async throws {
        let fixture = try SyncFixture(tagsFormat: .comma)
        try fixture.crm.run(
            "INSERT INTO customers (mobile, full_name, tags) VALUES ('+254700000001', 'Ann', 'a,b'), ('+254700000002', 'Ben', NULL)"
        )
        try await fixture.sync()
        try fixture.editRemote("+254700000001", ["tags": ["a", "b", "Nairobi, CBD"]])
        try fixture.editRemote("+254700000002", ["name": "Ben Remote"])
        let report = try await fixture.sync()
        #expect(report.refusedByCRM == 1)
        #expect(report.notes.contains { $0.contains("Nairobi, CBD") && $0.contains("comma") })
        #expect(
            try fixture.crm.first("SELECT tags FROM customers WHERE mobile = '+254700000001'")?.string(0)
                == "a,b")
        #expect(
            try fixture.localRows()["+254700000002"]?.name == "Ben Remote", "the rest of the cycle is applied"
        )
    }

    // MARK: - Constraints

    @Test func aRowTheCRMRefusesCostsThatRowAlone() async throws {
        let fixture = try fixture(
            columns:
                "id INTEGER PRIMARY KEY, mobile TEXT, full_name TEXT CHECK (length(full_name) <= 20), email TEXT, country TEXT, tags TEXT, extra TEXT, opt_in INTEGER, updated_at TEXT"
        )
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.insertLocal("+254700000002", name: "Ben")
        try await fixture.sync()
        try fixture.editRemote("+254700000001", ["name": "A name far too long for the CRM's check"])
        try fixture.editRemote("+254700000002", ["name": "Ben Remote"])
        try fixture.sim.control("POST", "/contacts", json: ["phone": "+254700000003", "name": "Cy"])
        let report = try await fixture.sync()
        #expect(report.refusedByCRM == 1)
        #expect(
            report.local.updated == 1 && report.local.created == 1, "only writes that happened are counted")
        #expect(report.summaryLine.contains("refused by the CRM 1"))
        let rows = try fixture.localRows()
        #expect(rows["+254700000001"]?.name == "Ann")
        #expect(rows["+254700000002"]?.name == "Ben Remote")
        #expect(rows["+254700000003"]?.name == "Cy")

        let console = CapturedConsole()
        try fixture.writeConfig()
        #expect(
            await Syncd.main(
                arguments: ["status", "--config", fixture.configPath],
                environment: ["SYNCD_TOKEN": "sim-token"], console: console) == .success)
        #expect(console.stdout.contains("contacts not synced: 1"))
        #expect(
            console.stdout.contains("+254700000001") && console.stdout.contains("CHECK constraint failed"))
        let explain = CapturedConsole()
        _ = await Syncd.main(
            arguments: ["explain", "+254700000001", "--config", fixture.configPath],
            environment: ["SYNCD_TOKEN": "sim-token"], console: explain)
        #expect(explain.stdout.contains("not synced: CRM row 1 was skipped"), "\(explain.stdout)")
        #expect(explain.stdout.contains("the CRM refused the write: CHECK constraint failed"))

        // Tried again next cycle, and again refused; once the CRM allows it, it lands.
        #expect(try await fixture.sync().refusedByCRM == 1)
        try fixture.editRemote("+254700000001", ["name": "Ann Short"])
        let healed = try await fixture.sync()
        #expect(healed.refusedByCRM == 0)
        #expect(try fixture.localRows()["+254700000001"]?.name == "Ann Short")
    }

    @Test func aNotNullColumnSyncdDoesNotMapRefusesOnlyNewRows() async throws {
        let fixture = try fixture(
            columns: "id INTEGER PRIMARY KEY, mobile TEXT, source TEXT NOT NULL, \(Self.standardColumns)")
        try fixture.crm.run(
            "INSERT INTO customers (mobile, full_name, source) VALUES ('+254700000001', 'Ann', 'web')")
        try await fixture.sync()
        try fixture.sim.control(
            "POST", "/contacts", json: ["phone": "+254700000002", "name": "New on the vendor"])
        try fixture.editRemote("+254700000001", ["name": "Ann Remote"])
        let report = try await fixture.sync()
        #expect(report.refusedByCRM == 1)
        #expect(report.notes.contains { $0.contains("NOT NULL constraint failed") })
        #expect(try fixture.localRows()["+254700000001"]?.name == "Ann Remote")
    }

    // MARK: - Keys

    @Test func rowsWithANullKeyNeverBreakTheCRMsWrites() async throws {
        let fixture = try fixture(
            columns: "uuid TEXT PRIMARY KEY, mobile TEXT, \(Self.standardColumns)", key: nil)
        try fixture.crm.run(
            "INSERT INTO customers (uuid, mobile, full_name) VALUES ('a', '+254700000001', 'Ann')")
        try await fixture.sync()
        try fixture.crm.run(
            "INSERT INTO customers (uuid, mobile, full_name) VALUES (NULL, '+254700000002', 'No key')")
        try fixture.crm.run("UPDATE customers SET full_name = 'Still no key' WHERE uuid IS NULL")
        try fixture.crm.run("UPDATE customers SET full_name = 'Ann 2' WHERE uuid = 'a'")
        let report = try await fixture.sync()
        #expect(report.remote.updated == 1 && report.remote.created == 0)
        try fixture.crm.run("DELETE FROM customers WHERE uuid IS NULL")
        try fixture.crm.run(
            "INSERT INTO customers (uuid, mobile, full_name) VALUES (NULL, '+254700000003', 'Again no key')")
        let console = CapturedConsole()
        try fixture.writeConfig(key: nil)
        _ = await Syncd.main(
            arguments: ["status", "--config", fixture.configPath], environment: ["SYNCD_TOKEN": "sim-token"],
            console: console)
        #expect(console.stdout.contains("CRM rows without a key: 1"))
    }

    @Test(
        arguments: [
            ("(id INTEGER PRIMARY KEY, code TEXT, mobile TEXT)", "code", "is not unique"),
            ("(id INTEGER PRIMARY KEY, code TEXT UNIQUE, mobile TEXT)", "code", "may be NULL"),
            ("(code TEXT, mobile TEXT)", nil, "has no primary key"),
            ("(a TEXT, b TEXT, mobile TEXT, PRIMARY KEY (a, b))", nil, "primary key of 2 columns"),
            ("(code TEXT PRIMARY KEY, mobile TEXT) WITHOUT ROWID", "rowid", "WITHOUT ROWID"),
        ] as [(String, String?, String)])
    func keysThatCannotTellPeopleApartAreRefused(_ table: String, _ key: String?, _ message: String) throws {
        let fixture = try SyncFixture()
        try fixture.crm.execute("DROP TABLE customers; CREATE TABLE customers \(table);")
        var settings = fixture.configuration.local
        settings.key = key
        settings.columns = LocalSettings.Columns(phone: "mobile")
        #expect {
            try CRMDatabase(settings: settings, consumer: "test")
        } throws: { error in
            guard let error = error as? LocalStoreError else { return false }
            return error.kind == .configuration && error.message.hasPrefix("local.key")
                && error.message.contains(message)
        }
    }

    @Test(arguments: [
        ("id INTEGER PRIMARY KEY, mobile TEXT", nil as String?),
        ("code TEXT NOT NULL UNIQUE, mobile TEXT", "code"),
        ("code TEXT PRIMARY KEY, mobile TEXT", nil),
        ("code TEXT, mobile TEXT", "rowid"),
    ])
    func uniqueKeysAndADeclaredRowidAreAccepted(_ columns: String, _ key: String?) throws {
        let fixture = try SyncFixture()
        try fixture.crm.execute("DROP TABLE customers; CREATE TABLE customers (\(columns));")
        var settings = fixture.configuration.local
        settings.key = key
        settings.columns = LocalSettings.Columns(phone: "mobile")
        _ = try CRMDatabase(settings: settings, consumer: "test")
    }

    // MARK: - Deletes and opt-in

    @Test func theDeleteGuardComparesWithEachSideBeforeTheCycle() async throws {
        let fixture = try SyncFixture()
        fixture.configuration.sync.deletes = .both
        for index in 1...20 { try fixture.insertLocal(IdentityTests.phone(index), name: "P\(index)") }
        try await fixture.sync()
        for index in 1...8 {
            try fixture.sim.control("DELETE", "/contacts/\(try fixture.remoteID(IdentityTests.phone(index)))")
        }
        fixture.configuration.sync.maxDeleteShare = 0.35
        await #expect {
            try await fixture.sync()
        } throws: { error in
            guard let error = error as? SyncError else { return false }
            return error.kind == .deleteGuard && error.message.contains("delete 8 of 20 CRM rows")
        }
        #expect(try fixture.localRows().count == 20, "nothing was changed")
        for index in 9...20 {
            try fixture.sim.control("DELETE", "/contacts/\(try fixture.remoteID(IdentityTests.phone(index)))")
        }
        fixture.configuration.sync.maxDeleteShare = 0.9
        await #expect(throws: SyncError.self) { try await fixture.sync() }
        #expect(try fixture.localRows().count == 20)
        fixture.configuration.sync.maxDeleteShare = 1
        #expect(try await fixture.sync().local.deleted == 20)
    }

    @Test(arguments: [2, 8])
    func theCRMsOptInIsNeverOverwrittenByTheVendorsUnknown(_ count: Int) async throws {
        // Eight rows go to SendyStack in one bulk request; two go one by one.
        let fixture = try SyncFixture(.sendystack)
        for index in 1...count {
            try fixture.insertLocal(IdentityTests.phone(index), name: "P\(index)", optIn: index % 2)
        }
        try await fixture.sync()
        try await fixture.sync()
        try fixture.editRemote(IdentityTests.phone(1), ["name": "Edited on SendyStack"])
        try await fixture.sync()
        let rows = try fixture.localRows()
        for index in 1...count {
            #expect(rows[IdentityTests.phone(index)]?.optIn == index % 2, "row \(index)")
        }
        #expect(rows[IdentityTests.phone(1)]?.name == "Edited on SendyStack")
    }
}
