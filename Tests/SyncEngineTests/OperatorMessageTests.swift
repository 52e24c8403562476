import Configuration
import Foundation
import JSON
import SQLite
import SyncdCLI
import TestSupport
import Testing

/// What an operator reads when something is wrong: each message names the fix, and a
/// command it suggests is the whole command.
@Suite struct OperatorMessageTests {
    /// The fixture's config with the token in none of its places, as under the README's unit.
    private func configWithoutToken(_ fixture: SyncFixture) throws -> String {
        try fixture.writeConfig()
        let text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
        try text.replacingOccurrences(of: #""token_env":"SYNCD_TOKEN","#, with: "").write(
            toFile: fixture.configPath, atomically: true, encoding: .utf8)
        #expect(!(try String(contentsOfFile: fixture.configPath, encoding: .utf8)).contains("token_env"))
        return fixture.configPath
    }

    @Test(arguments: [
        ["explain", "+254700000001"], ["--once", "--force"], ["run"],
    ])
    func aTokenOnlyTheServiceGetsSaysHowToRunTheCommandWithIt(_ command: [String]) async throws {
        let fixture = try SyncFixture()
        let config = try configWithoutToken(fixture)
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: command + ["--config", config], environment: ["SYNCD_TOKEN": "sim-token"],
            console: console)
        #expect(code == .configuration)
        #expect(console.stderr.contains("remote.token_env"))
        #expect(console.stderr.contains("$CREDENTIALS_DIRECTORY/syncd-token"))
        let directory = fixture.directory
        #expect(
            console.stderr.contains(
                "syncd: to run this with the service's credential: sudo systemd-run --pipe --wait --quiet --collect -p DynamicUser=yes -p User=syncd -p ReadWritePaths=-\(directory) -p LoadCredential=syncd-token:\(directory)/token /usr/local/bin/syncd \(command.joined(separator: " ")) --config \(config)"
            ), "\(console.stderr)")
    }

    @Test func theServiceCommandKeepsTheUnitsStateDirectoryAndQuotesWhatTheShellWouldSplit() throws {
        let fixture = try SyncFixture()
        var configuration = fixture.configuration
        configuration.path = "/etc/syncd/shop.json"
        configuration.sync.state = "/var/lib/syncd/shop/state.sqlite"
        let line = ServiceCommand.line(
            arguments: ["explain", "07829 158252", "-c", "shop.json"], configuration: configuration,
            credential: "syncd-token")
        #expect(line.contains(" -p StateDirectory=syncd/shop "))
        #expect(line.contains(" -p LoadCredential=syncd-token:/etc/syncd/shop.token "))
        #expect(line.hasSuffix(" explain '07829 158252' --config /etc/syncd/shop.json"))
    }
}

/// `explain` takes every form of a contact `status` prints, and `status` says whose id it shows.
@Suite struct ExplainFormsTests {
    /// A row whose phone is not a number in use, a synced row, and a vendor contact the CRM
    /// refused; `status` lists them.
    private func scenario() async throws -> (SyncFixture, status: String) {
        let fixture = try SyncFixture()
        try fixture.writeConfig()
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.insertLocal("07829 158252", name: "Cat")
        try fixture.addVendorContactTheCRMRefuses()
        try await fixture.sync()
        let console = CapturedConsole()
        _ = await Syncd.main(
            arguments: ["status", "--config", fixture.configPath], environment: [:], console: console)
        return (fixture, console.stdout)
    }

    private func explain(_ fixture: SyncFixture, _ contact: [String]) async -> (ExitCode, String) {
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["explain"] + contact + ["--config", fixture.configPath],
            environment: ["SYNCD_TOKEN": "sim-token"], console: console)
        return (code, console.stdout + console.stderr)
    }

    @Test func aCRMPhoneThatIsNotANumberInUseIsExplainedAsStatusListsIt() async throws {
        let (fixture, status) = try await scenario()
        #expect(status.contains("07829 158252  CRM row 2: "))
        let (code, output) = await explain(fixture, ["07829 158252"])
        #expect(code == .success, "\(output)")
        #expect(!output.contains("is not a phone number"))
        #expect(output.contains("CRM row 2:") && output.contains("unusable: "))
    }

    @Test func aRowIsExplainedByItsKey() async throws {
        let (fixture, _) = try await scenario()
        let (code, output) = await explain(fixture, ["row", "1"])
        #expect(code == .success, "\(output)")
        #expect(output.hasPrefix("+254700000001\n"))
        #expect(output.contains("nothing to do, both sides agree"))
    }

    @Test func aVendorIdIsExplainedAndStatusNamesItAsTheVendors() async throws {
        let (fixture, status) = try await scenario()
        let eve = try fixture.remoteID("+254700000005")
        #expect(
            status.contains("+254700000005  waply contact \(eve): the CRM refused the write"), "\(status)")
        #expect(!status.contains("CRM row \(eve)"))
        let (code, output) = await explain(fixture, [eve])
        #expect(code == .success, "\(output)")
        #expect(output.hasPrefix("+254700000005\n"))
        #expect(output.contains("waply contact \(eve):") && output.contains(#"name "Eve""#))
    }

    @Test func somethingThatIsNoFormStatusPrintsNamesTheFormsExplainTakes() async throws {
        let (fixture, _) = try await scenario()
        let (code, output) = await explain(fixture, ["call-me-maybe"])
        #expect(code == .usage)
        #expect(output.contains("'call-me-maybe' is not a phone number"))
        #expect(output.contains("a CRM row ('row KEY') or a waply contact id"))
    }

    @Test(.enabled(if: StorageFailureTests.canMakeImmutable))
    func aFolderSQLiteCannotWriteInIsNamedNotTheFile() async throws {
        let fixture = try SyncFixture()
        try fixture.writeConfig()
        try fixture.insertLocal("+254700000001", name: "Ann")
        try await fixture.sync()
        try fixture.insertLocal("+254700000002", name: "Ben")
        #expect(StorageFailureTests.immutable(fixture.directory, true))
        defer { _ = StorageFailureTests.immutable(fixture.directory, false) }
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["--once", "--config", fixture.configPath], environment: ["SYNCD_TOKEN": "sim-token"],
            console: console)
        #expect(code == .cannotWrite)
        #expect(
            console.stderr.contains("syncd: the folder \(fixture.directory), which holds the state file"),
            "\(console.stderr)")
        #expect(console.stderr.contains("is not writable") && console.stderr.contains("journal"))
        #expect(!console.stderr.contains("1544"))
        #expect(try fixture.writes() == 1, "nothing more was sent")
    }
}
