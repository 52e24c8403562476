import Configuration
import ContactsSim
import Foundation
import LocalStore
import SQLite
import SyncdCLI
import TestSupport
import Testing

/// `syncd check` says whether a setup will work, one line a check, and changes nothing: not
/// the CRM, not the state file, not the vendor.
@Suite struct CheckCommandTests {
    /// `syncd check` against the fixture's config, with `token` in the environment.
    private func check(_ fixture: SyncFixture, token: String = "sim-token") async throws -> (
        ExitCode, CapturedConsole
    ) {
        try fixture.writeConfig()
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["check", "--config", fixture.configPath], environment: ["SYNCD_TOKEN": token],
            console: console)
        return (code, console)
    }

    /// The CRM's files as bytes and modification times, to show nothing touched them (not the
    /// `-shm`, the WAL's shared-memory index, where every reader marks what it reads).
    private func snapshot(_ fixture: SyncFixture) throws -> [String: (Data, Date?)] {
        var files: [String: (Data, Date?)] = [:]
        for suffix in ["", "-wal"] {
            let path = fixture.crmPath + suffix
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
            files[suffix] = (try Data(contentsOf: URL(fileURLWithPath: path)), modified)
        }
        return files
    }

    @Test func aGoodSetupPrintsOnlyOkLinesAndWritesNothing() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        let before = try snapshot(fixture)
        try fixture.resetStats()
        let (code, console) = try await check(fixture)
        #expect(code == .success, "\(console.stdout)\n\(console.stderr)")
        let lines = console.stdout.split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("ok ") }, "\(console.stdout)")
        for name in ["config", "crm", "state", "folders", "credential", "budget"] {
            #expect(lines.contains { $0.hasPrefix("ok \(name) ") }, "no \(name) line in \(console.stdout)")
        }
        #expect(console.stdout.contains("key column id"))
        #expect(console.stdout.contains("journal mode wal"))
        #expect(console.stdout.contains("will be installed by the first run"))
        #expect(!FileManager.default.fileExists(atPath: fixture.configuration.sync.state))
        let after = try snapshot(fixture)
        #expect(after.keys.sorted() == before.keys.sorted())
        for (suffix, file) in before {
            #expect(after[suffix]?.0 == file.0, "crm.sqlite\(suffix) changed")
            #expect(after[suffix]?.1 == file.1, "crm.sqlite\(suffix) was written")
        }
        let triggers = try fixture.crm.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        #expect(triggers.isEmpty)
        #expect(try fixture.writes() == 0)
    }

    @Test func afterASyncItNamesTheAccountAndTheInstalledCaptureAndLeavesTheStateFileAlone() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        _ = try await fixture.sync()
        let state = fixture.configuration.sync.state
        let before = try Data(contentsOf: URL(fileURLWithPath: state))
        let (code, console) = try await check(fixture)
        #expect(code == .success, "\(console.stdout)")
        #expect(console.stdout.contains("syncd's change capture is installed"))
        #expect(console.stdout.contains("1 linked contacts, waply at \(fixture.sim.simulator.baseURL)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: state)) == before)
    }

    @Test func itsHelpListsItsOneOption() async throws {
        let console = CapturedConsole()
        #expect(
            await Syncd.main(arguments: ["check", "--help"], environment: [:], console: console) == .success)
        #expect(console.stdout.contains("syncd check --config FILE"))
        #expect(!console.stdout.contains("--json"))
        #expect(SyncdCommand.usage.contains("syncd check --config FILE"))
        let json = await Syncd.main(
            arguments: ["check", "--json", "--config", "x.json"], environment: [:], console: CapturedConsole()
        )
        #expect(json == .usage)
    }

    @Test func aRefusedTokenFailsWithItsCodeAndIsNeverPrinted() async throws {
        let fixture = try SyncFixture()
        let (code, console) = try await check(fixture, token: "wrong-secret-token-123")
        #expect(code == .credentialRefused)
        #expect(console.stdout.contains("FAIL credential "), "\(console.stdout)")
        #expect(!(console.stdout + console.stderr).contains("wrong-secret-token-123"))
    }

    @Test func aWrongBaseURLPathSaysWhatThePathShouldLookLike() async throws {
        let fixture = try SyncFixture()
        fixture.configuration.remote.baseURL = fixture.sim.simulator.baseURL + "/wrong/path"
        let (code, console) = try await check(fixture)
        #expect(code != .success)
        #expect(console.stdout.contains("FAIL credential "), "\(console.stdout)")
        #expect(console.stdout.contains("the path of remote.base_url looks wrong"), "\(console.stdout)")
        #expect(console.stdout.contains("https://api.waply.io/v1"))
    }

    @Test func aMissingColumnIsAConfigurationFailure() async throws {
        let fixture = try SyncFixture()
        fixture.configuration.local.columns.email = "e_mail"
        let (code, console) = try await check(fixture)
        #expect(code == .configuration)
        #expect(
            console.stdout.contains("FAIL crm local.columns.email: no column 'e_mail'"), "\(console.stdout)")
    }

    @Test func aStateFileOfAnotherAccountNamesBothAccounts() async throws {
        let fixture = try SyncFixture()
        let other = StateAccount(provider: "waply", baseURL: "https://other.example/v1", organization: nil)
        try StateStore(path: fixture.configuration.sync.state).setAccount(other)
        let (code, console) = try await check(fixture)
        #expect(code == .configuration)
        let line = console.stdout.split(separator: "\n").first { $0.hasPrefix("FAIL state ") } ?? ""
        #expect(line.contains("waply at https://other.example/v1"), "\(console.stdout)")
        #expect(line.contains("waply at \(fixture.sim.simulator.baseURL)"))
        #expect(line.contains("sync.state"))
    }
}
