import Configuration
import Daemon
import Foundation
import JSON
import RemoteAPI
import SyncEngine
import SyncdCLI
import TestSupport
import Testing

/// A state file syncd cannot write gets a clear error before anything is sent or written.
@Suite struct StorageFailureTests {
    /// `chattr +i` makes a file immutable even for root (who ignores permission bits).
    static func immutable(_ path: String, _ on: Bool) -> Bool {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
        process.arguments = [on ? "+i" : "-i", path]
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    static let canMakeImmutable: Bool = {
        let probe = NSTemporaryDirectory() + "syncd-chattr-probe-\(UUID().uuidString.prefix(6))"
        _ = FileManager.default.createFile(atPath: probe, contents: Data())
        defer {
            _ = immutable(probe, false)
            try? FileManager.default.removeItem(atPath: probe)
        }
        return FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr") && immutable(probe, true)
    }()

    @Test(.enabled(if: canMakeImmutable)) func aCRMThatCannotBeWrittenIsExit73FromEveryCommand() async throws
    {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.writeConfig()
        let environment = ["SYNCD_TOKEN": fixture.sim.token]
        #expect(Self.immutable(fixture.crmPath, true))
        defer { _ = Self.immutable(fixture.crmPath, false) }
        let console = CapturedConsole()
        let once = await Syncd.main(
            arguments: ["--once", "--config", fixture.configPath], environment: environment, console: console)
        #expect(once.rawValue == 73, "\(console.stderr)")
        let daemon = SyncDaemon(
            configPath: fixture.configPath, environment: environment, logger: Logger(format: .json),
            notifier: SystemdNotifier(environment: [:]), handlesSignals: false,
            makeRemote: { try RemoteClients.make($0) })
        let guardTask = Task {
            try await Task.sleep(nanoseconds: 10_000_000_000)
            daemon.stop()
        }
        defer { guardTask.cancel() }
        #expect(
            await daemon.run() == 73, "systemd goes on restarting a service that only needs its disk back")
        #expect(Self.immutable(fixture.crmPath, false))
    }

    @Test(.enabled(if: canMakeImmutable)) func aReadOnlyStateFileIsAClearErrorAndNothingIsSent() async throws
    {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        try await fixture.sync()
        try fixture.insertLocal("+254700000002", name: "Ben")
        let state = fixture.configuration.sync.state
        #expect(Self.immutable(state, true))
        defer { _ = Self.immutable(state, false) }
        try fixture.resetStats()
        await #expect { try await fixture.sync() } throws: { error in
            let message = "\(error)"
            return (error as? SyncError)?.kind == .storage
                && (message.contains("read-only") || message.contains("cannot use the state file")
                    || message.contains("readonly"))
        }
        #expect(try fixture.writes() == 0, "nothing was sent")
        #expect(Self.immutable(state, false))
        #expect(
            try await fixture.sync().remote.created == 1, "once writable again, the next cycle catches up")
    }
}
