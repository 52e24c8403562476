import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import SyncdCLI
import Synchronization
import TestSupport
import Testing

/// Captures what a command prints.
final class CapturedConsole: Console {
    private let lines = Mutex<(out: [String], err: [String])>(([], []))
    func out(_ line: String) { lines.withLock { $0.out.append(line) } }
    func err(_ line: String) { lines.withLock { $0.err.append(line) } }
    var stdout: String { lines.withLock { $0.out.joined(separator: "\n") } }
    var stderr: String { lines.withLock { $0.err.joined(separator: "\n") } }
}

@Suite struct CommandLineTests {
    /// A config file for a fixture, token in the environment.
    private func configFile(
        _ fixture: SyncFixture, extra: String = "", remote: String = #""requests_per_minute": 1000000"#
    ) throws -> String {
        let path = fixture.directory + "/config.json"
        let json = """
            {"local": {"database": "crm.sqlite", "table": "customers", "key": "id", "default_country": "KE",
                       "columns": {"phone": "mobile", "name": "full_name", "email": "email", "tags": "tags", "attributes": "extra", "updated_at": "updated_at"}},
             "remote": {"provider": "\(fixture.sim.dialect.rawValue)", "base_url": "\(fixture.sim.simulator.baseURL)", "token_env": "SYNCD_TOKEN", \(remote)}\(extra)}
            """
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `syncd --once` with the fixture's token; what it prints is dropped.
    @discardableResult
    private func once(_ config: String) async -> ExitCode {
        await Syncd.main(
            arguments: ["--once", "--config", config], environment: ["SYNCD_TOKEN": "sim-token"],
            console: CapturedConsole())
    }

    @Test func onceSyncsAndPrintsOneSummaryLine() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["--once", "--config", try configFile(fixture)],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        #expect(code == .success)
        #expect(console.stdout.hasPrefix("synced with waply in "))
        #expect(console.stdout.contains("waply +1 ~0 -0"))
        #expect(console.stdout.contains("requests 2"))
    }

    /// A first push the budget cuts short says what it did before it stopped: the change
    /// lines of what was written and a summary that says it was deferred.
    @Test func aDeferredRunPrintsWhatItDidAndItsSummary() async throws {
        let fixture = try SyncFixture()
        for index in 0..<20 {
            try fixture.insertLocal("+2547330\(String(10_000 + index))", name: "P\(index)")
        }
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: [
                "--once", "--list-changes", "--config",
                try configFile(fixture, remote: #""requests_per_minute": 8, "max_wait_seconds": 0"#),
            ],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        #expect(code == .temporaryFailure, "\(console.stderr)")
        let created = try fixture.remoteContacts().count
        #expect(created > 0 && created < 20)
        let lines = console.stdout.split(separator: "\n")
        #expect(lines.filter { $0.contains("waply create") }.count == created, "\(console.stdout)")
        let summary = try #require(lines.last)
        #expect(summary.hasPrefix("deferred with waply (progress saved) in "), "\(summary)")
        #expect(summary.contains("waply +\(created) ~0 -0"))
    }

    @Test func writesAPrometheusTextfileAfterEachCycle() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let config = try configFile(
            fixture, extra: #", "sync": {"state": "state.sqlite", "metrics_file": "syncd.prom"}"#)
        #expect(await once(config) == .success)
        let text = try String(contentsOfFile: fixture.directory + "/syncd.prom", encoding: .utf8)
        #expect(text.contains(#"syncd_contacts_changed{vendor="waply",side="remote",kind="created"} 1"#))
        #expect(text.contains(#"syncd_cycle_outcome{vendor="waply",outcome="synced"} 1"#))
        #expect(text.contains(#"syncd_requests_total{vendor="waply",status="201"} 1"#))
        #expect(text.contains("# TYPE syncd_cycle_duration_seconds gauge"))
    }

    @Test func aRefusedTokenExitsWithItsOwnCodeAndNeverPrintsIt() async throws {
        let fixture = try SyncFixture()
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["--once", "--config", try configFile(fixture)],
            environment: ["SYNCD_TOKEN": "wrong-secret-token-123"], console: console)
        #expect(code == .credentialRefused)
        #expect(console.stderr.contains("refused the API token"))
        #expect(!(console.stdout + console.stderr).contains("wrong-secret-token-123"))
    }

    @Test func rejectedContactsGiveTheirOwnExitCode() async throws {
        let fixture = try SyncFixture(simulator: { $0.customFields = ["tier"] })
        try fixture.insertLocal("+254700000001", attributes: ["shoe": "42"])
        let code = await Syncd.main(
            arguments: ["--once", "--config", try configFile(fixture)],
            environment: ["SYNCD_TOKEN": "sim-token"], console: CapturedConsole())
        #expect(code == .partial)
    }

    @Test func aMissingTableOrColumnIsAConfigurationErrorBeforeAnythingIsWritten() async throws {
        let fixture = try SyncFixture()
        try fixture.crm.execute("ALTER TABLE customers RENAME COLUMN full_name TO fullname")
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["--once", "--config", try configFile(fixture)],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        #expect(code == .configuration)
        #expect(console.stderr.contains("local.columns.name: no column 'full_name' in table 'customers'"))
        #expect(
            try fixture.crm.first("SELECT count(*) FROM sqlite_master WHERE name LIKE '_syncd%'")?.int(0) == 0
        )
        #expect(try fixture.writes() == 0)
    }

    @Test func dryRunListsEachChange() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["--once", "--dry-run", "--config", try configFile(fixture)],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        #expect(code == .success)
        #expect(console.stdout.contains("+254700000001: waply create (Ann)"))
        #expect(console.stdout.contains("dry run with waply (nothing was changed)"))
        #expect(try fixture.writes() == 0)
    }

    @Test func explainShowsBothSidesAndTheReason() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let config = try configFile(fixture)
        await once(config)
        try fixture.updateLocal("+254700000001", "full_name", "Ann CRM")
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["explain", "0700 000 001", "--config", config],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        #expect(code == .success)
        #expect(console.stdout.contains(#"CRM row 1:"#))
        #expect(console.stdout.contains(#"name "Ann CRM""#))
        #expect(console.stdout.contains(#"last synced:"#))
        #expect(console.stdout.contains(#"next cycle: waply update (name: "Ann" → "Ann CRM")"#))
        #expect(try fixture.writes() == 1, "explain itself wrote nothing")
    }

    @Test(arguments: [
        ([], "--config FILE is required"),
        (["--once"], "--config FILE is required"),
        (["--once", "--config"], "--config needs a value"),
        (["--once", "--bogus", "--config", "x"], "unknown option '--bogus'"),
        (["explain", "--config", "x"], "explain takes one contact: a phone, 'row KEY' or a vendor id"),
        (["--once", "stray", "--config", "x"], "unexpected argument 'stray'"),
        (["--force", "--config", "x"], "--force does nothing with syncd run"),
        (["--list-changes", "--config", "x"], "--list-changes does nothing with syncd run"),
        (["status", "--limit", "3", "--config", "x"], "--limit does nothing with syncd status"),
        (["--once", "--log-format", "json", "--config", "x"], "--log-format does nothing with syncd --once"),
        (["demo", "--config", "x"], "--config does nothing with syncd demo"),
    ])
    func usageErrorsExit64(_ arguments: [String], _ message: String) async {
        let console = CapturedConsole()
        #expect(await Syncd.main(arguments: arguments, environment: [:], console: console) == .usage)
        #expect(console.stderr.contains(message))
    }

    @Test func explainWithSomethingThatIsNotAPhoneIsAUsageError() async throws {
        let fixture = try SyncFixture()
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["explain", "call-me-maybe", "--config", try configFile(fixture)],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        #expect(code == .usage)
        #expect(console.stderr.contains("'call-me-maybe' is not a phone number"))
    }

    @Test func explainShowsWhatItKnowsWhenTheVendorCannotBeReached() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let config = try configFile(fixture)
        await once(config)
        fixture.sim.simulator.stop()
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["explain", "+254700000001", "--config", config],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        #expect(code == .success)
        #expect(console.stdout.contains(#"CRM row 1:"#) && console.stdout.contains(#"name "Ann""#))
        #expect(
            console.stdout.contains("last synced:") && !console.stdout.contains("last synced:          never")
        )
        #expect(console.stdout.contains("waply could not be read"))
    }

    @Test func aRefusedConnectionFailsWithinSecondsNamingTheURL() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let path = try configFile(fixture).replacingOccurrences(of: "", with: "")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: fixture.sim.simulator.baseURL, with: "http://127.0.0.1:9/v1")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let console = CapturedConsole()
        let started = Date()
        let code = await Syncd.main(
            arguments: ["--once", "--config", path], environment: ["SYNCD_TOKEN": "sim-token"],
            console: console)
        #expect(code == .unavailable)
        // Backing off through every retry takes minutes; a busy machine takes seconds.
        #expect(Date().timeIntervalSince(started) < 60)
        #expect(console.stderr.contains("http://127.0.0.1:9"))
    }

    @Test func aViewNamedAsTheTableIsAConfigurationError() async throws {
        let fixture = try SyncFixture()
        try fixture.crm.execute(
            "ALTER TABLE customers RENAME TO customers_data; CREATE VIEW customers AS SELECT * FROM customers_data;"
        )
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["--once", "--config", try configFile(fixture)],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        #expect(code == .configuration)
        #expect(console.stderr.contains("local.table: 'customers' is a view"))
    }

    @Test func aCorruptStateFileGetsTheSameCodeFromEveryVerb() async throws {
        let fixture = try SyncFixture()
        let config = try configFile(fixture, extra: #", "sync": {"state": "state.sqlite"}"#)
        try Data(repeating: 0x42, count: 8192).write(
            to: URL(fileURLWithPath: fixture.directory + "/state.sqlite"))
        var codes: [ExitCode] = []
        for arguments in [["--once"], ["status"], ["conflicts"]] {
            let console = CapturedConsole()
            codes.append(
                await Syncd.main(
                    arguments: arguments + ["--config", config], environment: ["SYNCD_TOKEN": "sim-token"],
                    console: console))
            #expect(console.stderr.contains("state.sqlite"))
        }
        #expect(codes == [.cannotWrite, .cannotWrite, .cannotWrite])
    }

    @Test(.enabled(if: StorageFailureTests.canMakeImmutable))
    func aCRMOnAReadOnlyFileIsCannotWriteNotAConfigurationError() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let config = try configFile(fixture)
        try fixture.crm.execute("PRAGMA journal_mode = DELETE")
        #expect(StorageFailureTests.immutable(fixture.crmPath, true))
        defer { _ = StorageFailureTests.immutable(fixture.crmPath, false) }
        let console = CapturedConsole()
        #expect(
            await Syncd.main(
                arguments: ["--once", "--config", config], environment: ["SYNCD_TOKEN": "sim-token"],
                console: console) == .cannotWrite)
        #expect(try fixture.writes() == 0)
    }

    @Test func statusShowsARunKilledMidwayAsInterrupted() async throws {
        let fixture = try SyncFixture()
        let config = try configFile(fixture, extra: #", "sync": {"state": "state.sqlite"}"#)
        await once(config)
        let state = try Database(path: fixture.directory + "/state.sqlite")
        try state.run(
            "INSERT INTO runs (started_at) VALUES (?)", [.integer(Int64(Date().timeIntervalSince1970 * 1000))]
        )
        let console = CapturedConsole()
        #expect(
            await Syncd.main(arguments: ["status", "--config", config], environment: [:], console: console)
                == .success)
        #expect(console.stdout.contains("interrupted"))
        #expect(!console.stdout.contains("running"))
    }

    @Test func statusShowsWhatAFullCycleCostsAndAListingInProgress() async throws {
        let fixture = try SyncFixture()
        try fixture.sim.seed(300)
        // Two requests a minute: the listing of three pages stops after two (one page at a
        // time, so the third cannot take the second's turn).
        let config = try configFile(
            fixture, extra: #", "sync": {"state": "state.sqlite"}"#,
            remote: #""requests_per_minute": 2, "max_wait_seconds": 1, "concurrency": 1"#)
        #expect(await once(config) == .temporaryFailure)
        let console = CapturedConsole()
        _ = await Syncd.main(arguments: ["status", "--config", config], environment: [:], console: console)
        #expect(console.stdout.contains("listing in progress: goes on from page 3"), "\(console.stdout)")
        #expect(console.stdout.contains("full cycle: 0 contacts linked, 1 listing request(s)"))
    }

    @Test func eachCycleCountsItsOwnRequests() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let engine = try fixture.engine()
        #expect(try await engine.runOnce().requests == 2)
        #expect(try await engine.runOnce().requests == 1, "a quiet cycle: one list page, not a running total")
    }

    @Test func theDemoNeverWritesIntoAFolderThatHoldsFiles() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Somebody's real customer")
        let console = CapturedConsole()
        #expect(
            await Syncd.main(
                arguments: ["demo", "--dir", fixture.directory], environment: [:], console: console) == .usage
        )
        #expect(console.stderr.contains("is not empty"))
        #expect(try fixture.localRows()["+254700000001"]?.name == "Somebody's real customer")
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/config.json"))
    }

    @Test func theDemoKeepsItsTokenPrivateAndWarnsOfNothing() async throws {
        let folder = NSTemporaryDirectory() + "syncd-demo-test-\(UUID().uuidString.prefix(8))/new"
        defer { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        let console = CapturedConsole()
        #expect(
            await Syncd.main(arguments: ["demo", "--dir", folder], environment: [:], console: console)
                == .success)
        let permissions =
            try FileManager.default.attributesOfItem(atPath: folder + "/waply-token")[.posixPermissions]
            as? Int
        #expect(permissions == 0o600)
        #expect(!console.stderr.contains("readable by every user"))
        #expect(
            !console.stdout.contains("without a usable phone"),
            "every contact the demo adds on either side is one syncd can read")
    }

    @Test func helpGoesToStdoutWithExit0() async {
        let console = CapturedConsole()
        #expect(await Syncd.main(arguments: ["--help"], environment: [:], console: console) == .success)
        #expect(console.stdout.contains("USAGE:"))
        #expect(console.stderr.isEmpty)
    }

    @Test func versionNamesTheNumberingPlansPhonesAreReadBy() async {
        let console = CapturedConsole()
        #expect(await Syncd.main(arguments: ["--version"], environment: [:], console: console) == .success)
        #expect(
            console.stdout
                == "syncd \(Syncd.version) (libphonenumber \(PhoneNumber.numberingPlansVersion) metadata)")
    }
}
