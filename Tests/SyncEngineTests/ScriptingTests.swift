import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncdCLI
import TestSupport
import Testing

/// What scripts rely on: `--json` output whose fields the README documents, a help per
/// command, and exit codes that say usage.
@Suite struct ScriptingTests {
    // MARK: - Help and usage

    @Test(arguments: [
        (["status", "--help"], "syncd status --config FILE [--json]", ["--config", "--json"]),
        (["explain", "--help"], "syncd explain PHONE --config FILE [--json]", ["--config", "--json"]),
        (["run", "--help"], "syncd [run] --config FILE", ["--config", "--log-format"]),
        (
            ["--once", "--help"], "syncd --once --config FILE",
            ["--config", "--dry-run", "--list-changes", "--force"]
        ),
        (["conflicts", "--help"], "syncd conflicts --config FILE", ["--config", "--limit"]),
        (["demo", "--help"], "syncd demo [--dir DIR]", ["--dir", "--vendor"]),
        (["help", "status"], "syncd status --config FILE [--json]", ["--config", "--json"]),
    ])
    func eachCommandsHelpListsItsOwnOptionsOnly(_ arguments: [String], _ usage: String, _ options: [String])
        async
    {
        let console = CapturedConsole()
        #expect(await Syncd.main(arguments: arguments, environment: [:], console: console) == .success)
        #expect(console.stdout.contains("USAGE:\n  \(usage)"))
        #expect(console.stderr.isEmpty)
        let optionLines = console.stdout.components(separatedBy: "OPTIONS:").last ?? ""
        let all = [
            "--config", "--json", "--log-format", "--dry-run", "--list-changes", "--force", "--limit",
            "--dir", "--vendor",
        ]
        for option in all {
            #expect(
                optionLines.contains("  \(option)") == options.contains(option),
                "\(arguments): \(option)\n\(console.stdout)")
        }
    }

    @Test func helpAsACommandIsExit0() async {
        let console = CapturedConsole()
        #expect(await Syncd.main(arguments: ["help"], environment: [:], console: console) == .success)
        #expect(console.stdout.contains("USAGE:"))
        #expect(console.stdout.contains("syncd status --config FILE [--json]"))
        #expect(console.stderr.isEmpty)
    }

    @Test func runWithOnceIsAUsageError() async {
        let console = CapturedConsole()
        #expect(
            await Syncd.main(
                arguments: ["run", "--once", "--config", "x"], environment: [:], console: console)
                == .usage)
        #expect(console.stderr.contains("syncd run syncs forever and --once runs one cycle"))
        #expect(console.stderr.contains("Run 'syncd run --help' for usage."))
    }

    @Test func aStrayOptionNamesTheCommandsOwnHelp() async {
        let console = CapturedConsole()
        #expect(
            await Syncd.main(
                arguments: ["status", "--force", "--config", "x"], environment: [:], console: console)
                == .usage)
        #expect(console.stderr.contains("--force does nothing with syncd status; see 'syncd status --help'"))
    }

    // MARK: - status --json

    /// A CRM and vendor with one of everything `status` reports: two runs, a linked contact, a
    /// conflict, a row note, a contact the vendor refused, a row whose phone is not in use, a
    /// vendor contact the CRM refused, and a CRM edit not yet synced.
    static let statusScenario = Task { () async throws -> JSON in
        let fixture = try SyncFixture(simulator: { $0.customFields = ["tier"] })
        try fixture.writeConfig()
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.insertLocal("+254700000002", name: "Ben", attributes: ["shoe": "42"])
        try fixture.insertLocal("07829 158252", name: "Cat")
        try fixture.insertLocal("+254700000004 x12", name: "Dan")
        try fixture.addVendorContactTheCRMRefuses()
        try await fixture.sync()
        try fixture.updateLocal("+254700000001", "full_name", "Ann CRM", at: SyncFixture.time(-60))
        try fixture.editRemote("+254700000001", ["name": "Ann Vendor"])
        try await fixture.sync()
        try fixture.insertLocal("+254700000006", name: "Fay")
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["status", "--json", "--config", fixture.configPath], environment: [:],
            console: console)
        precondition(code == .success, console.stderr)
        var json = try JSON.parse(Array(console.stdout.utf8))
        // The fixture's folder is gone after this; the paths are checked against it here.
        let ok =
            json["config"]?.string == fixture.configPath
            && json["state_file"]?.string == fixture.configuration.sync.state
            && json["crm"]?["database"]?.string == fixture.crmPath
        json = .object(
            JSONObject(
                (json.object ?? [:]).filter { !["config", "state_file"].contains($0.key) }.map {
                    ($0.key, $0.value)
                }))
        return [
            "status": json, "paths_are_the_configs": .bool(ok),
            "eve": .string(try fixture.remoteID("+254700000005")),
        ]
    }

    static func status(_ path: String) async throws -> JSON? {
        let scenario = try await statusScenario.value
        return path.split(separator: ".").reduce(scenario["status"]) { json, step in
            Int(step).flatMap { index in json?.array.flatMap { index < $0.count ? $0[index] : nil } }
                ?? json?[String(step)]
        }
    }

    /// Whether `json` is a time as `status` and `explain` print them: ISO 8601, UTC, whole seconds.
    static func isTime(_ json: JSON?) -> Bool {
        json?.string?.wholeMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/#) != nil
    }

    @Test func statusJSONConfigStateFileAndCRMDatabaseAreTheConfigsPaths() async throws {
        #expect(try await Self.statusScenario.value["paths_are_the_configs"] == true)
    }

    @Test(
        arguments: [
            ("vendor", JSON.string("waply")),
            ("crm.table", "customers"),
            ("crm.pending_changes", 1),
            ("crm.rows_without_key", 0),
            ("synced_before", true),
            ("runs.0.outcome", "partial"),
            ("runs.0.finished_at", nil),
            ("runs.0.crm.updated", 1),
            ("runs.0.vendor.updated", 0),
            ("runs.0.conflicts", 1),
            ("runs.0.rejected", 1),
            ("runs.0.error", .null),
            ("runs.1.vendor.created", 2),
            ("runs.1.crm.created", 0),
            ("full_cycle.linked_contacts", 2),
            ("full_cycle.requests", 1),
            ("full_cycle.requests_per_minute", 1_000_000),
            ("full_cycle.warning", .null),
            ("listing_in_progress", .null),
            ("conflicts.count", 1),
            ("conflicts.latest.field", "name"),
            ("conflicts.latest.phone", "+254700000001"),
            ("conflicts.latest.winner", "remote"),
            ("row_notes.count", 1),
            ("row_notes.items.0.crm_row", "4"),
            ("row_notes.items.0.phone", "+254700000004"),
            ("not_synced.count", 3),
        ] as [(String, JSON?)])
    func statusJSONField(_ path: String, _ expected: JSON?) async throws {
        let value = try await Self.status(path)
        if let expected {
            #expect(value == expected, "\(path)")
        } else {
            #expect(value != nil && value?.isNull == false, "\(path) is there")
        }
    }

    @Test func statusJSONRunTimesAreISO8601AndSecondsANumber() async throws {
        for index in 0..<2 {
            #expect(Self.isTime(try await Self.status("runs.\(index).started_at")))
            #expect(Self.isTime(try await Self.status("runs.\(index).finished_at")))
            #expect(try await Self.status("runs.\(index).seconds")?.double != nil)
            #expect(try await Self.status("runs.\(index).requests")?.int ?? 0 > 0)
        }
        #expect(try await Self.status("full_cycle.seconds_at_budget")?.double != nil)
        #expect(Self.isTime(try await Self.status("conflicts.latest.at")))
        #expect(try await Self.status("row_notes.items.0.note")?.string?.hasPrefix("extension") == true)
    }

    /// Each contact not synced says who refused it, and names the CRM row or the vendor's id.
    @Test func statusJSONNotSyncedItems() async throws {
        let items = try await Self.status("not_synced.items")?.array ?? []
        let eve = try await Self.statusScenario.value["eve"]?.string
        func item(_ phone: String) -> JSON? { items.first { $0["phone"]?.string == phone } }
        #expect(item("+254700000002")?["refused_by"] == "vendor")
        #expect(item("+254700000002")?["crm_row"] == "2")
        #expect(item("+254700000002")?["vendor_id"] == .null)
        #expect(item("+254700000002")?["reason"]?.string?.contains("shoe") == true)
        #expect(item("+254700000002")?["attempts"] == 2)
        #expect(Self.isTime(item("+254700000002")?["last_at"]))
        #expect(item("07829 158252")?["refused_by"] == "crm")
        #expect(item("07829 158252")?["crm_row"] == "3")
        #expect(item("+254700000005")?["refused_by"] == "crm")
        #expect(item("+254700000005")?["crm_row"] == .null)
        #expect(item("+254700000005")?["vendor_id"]?.string == eve)
        #expect(item("+254700000005")?["reason"]?.string?.contains("no Eve here") == true)
    }

    // MARK: - explain --json

    /// A contact synced once, then renamed in the CRM.
    static let explainScenario = Task { () async throws -> JSON in
        let fixture = try SyncFixture()
        try fixture.writeConfig()
        try fixture.insertLocal("+254700000001", name: "Ann", tags: ["vip"])
        try await fixture.sync()
        try fixture.updateLocal("+254700000001", "full_name", "Ann CRM")
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["explain", "0700 000 001", "--json", "--config", fixture.configPath],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        precondition(code == .success, console.stderr)
        var json = try JSON.parse(Array(console.stdout.utf8))
        json = .object(
            JSONObject(
                (json.object ?? [:]).map { ($0.key, $0.value) }
                    + [("expected_id", .string(try fixture.remoteID("+254700000001")))]))
        return json
    }

    static func explained(_ path: String) async throws -> JSON? {
        let json = try await explainScenario.value
        return path.split(separator: ".").reduce(json) { $0?[String($1)] }
    }

    @Test(
        arguments: [
            ("phone", JSON.string("+254700000001")),
            ("crm.row", "1"),
            ("crm.contact.name", "Ann CRM"),
            ("crm.contact.phone", "+254700000001"),
            ("crm.contact.tags", ["vip"]),
            ("crm.raw_phone", .null),
            ("crm.problem", .null),
            ("vendor.name", "waply"),
            ("vendor.contact.name", "Ann"),
            ("last_synced.contact.name", "Ann"),
            ("last_synced.link", "linked"),
            ("next_cycle", #"waply update (name: "Ann" → "Ann CRM")"#),
            ("conflict_log", []),
        ] as [(String, JSON)])
    func explainJSONField(_ path: String, _ expected: JSON) async throws {
        #expect(try await Self.explained(path) == expected, "\(path)")
    }

    @Test func explainJSONIdTimesAndLines() async throws {
        #expect(try await Self.explained("vendor.id") == Self.explained("expected_id"))
        #expect(Self.isTime(try await Self.explained("crm.updated_at")))
        #expect(Self.isTime(try await Self.explained("vendor.updated_at")))
        let lines = try await Self.explained("lines")?.array?.compactMap(\.string) ?? []
        #expect(lines.contains { $0.hasPrefix("next cycle: waply update") })
    }
}
