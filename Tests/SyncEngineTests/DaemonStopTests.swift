import Configuration
import ContactsSim
import Daemon
import Foundation
import JSON
import RemoteAPI
import SyncdCLI
import TestSupport
import Testing

/// What the daemon does when going on cannot help: a refused credential stops it (exit 77)
/// before it can lock the vendor account, and `syncd status` says why it stopped.
@Suite struct DaemonStopTests {
    @Test func aRefusedLoginStopsTheDaemonWith77AfterOneLoginAndStatusSaysWhy() async throws {
        let fixture = try SyncFixture(.superwaba)
        try fixture.insertLocal("+254700000001", name: "Ann")
        let config = fixture.directory + "/config.json"
        try "not-the-password".write(
            toFile: fixture.directory + "/password", atomically: true, encoding: .utf8)
        try """
        {"local": {"database": "crm.sqlite", "table": "customers", "key": "id", "default_country": "KE",
                   "columns": {"phone": "mobile", "name": "full_name"}},
         "remote": {"provider": "superwaba", "base_url": "\(fixture.sim.simulator.baseURL)",
                    "org_id": "\(SimConfiguration(dialect: .superwaba).organization)",
                    "login_email": "owner@example.com", "password_file": "password", "requests_per_minute": 100000},
         "sync": {"state": "state.sqlite", "interval_seconds": 5}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = SyncDaemon(
            configPath: config, environment: [:], logger: Logger(format: .json),
            notifier: SystemdNotifier(environment: [:]), watchInterval: 0.05, handlesSignals: false,
            makeRemote: { try RemoteClients.make($0, retry: SyncFixture.quickRetries) })
        // A daemon that does not stop by itself is stopped after three intervals' worth.
        let guardTask = Task {
            try await Task.sleep(nanoseconds: 16_000_000_000)
            daemon.stop()
        }
        defer { guardTask.cancel() }
        let code = await daemon.run()
        #expect(code == 77, "a refused credential stops the daemon; restarting cannot fix it")
        #expect(
            try fixture.sim.stats()["endpoints"]?["POST /api/auth/token"] == ["401": 1],
            "one login, never again")

        let console = CapturedConsole()
        _ = await Syncd.main(arguments: ["status", "--config", config], environment: [:], console: console)
        #expect(console.stdout.contains("stopped"), "\(console.stdout)")
        #expect(console.stdout.contains("refused the login owner@example.com"), "\(console.stdout)")
        #expect(!console.stdout.contains("not-the-password"))
    }

    @Test func aCycleStoppedBySIGTERMShowsAsInterrupted() async throws {
        let fixture = try SyncFixture()
        try fixture.sim.seed(400)
        try fixture.sim.faults(["latency_ms": 150, "methods": ["GET"]])
        fixture.configuration.remote.concurrency = 1
        try fixture.writeConfig()
        let daemon = SyncDaemon(
            configPath: fixture.configPath, environment: ["SYNCD_TOKEN": fixture.sim.token],
            logger: Logger(format: .json), notifier: SystemdNotifier(environment: [:]), watchInterval: 0.05,
            handlesSignals: false, makeRemote: { try RemoteClients.make($0) })
        let port = fixture.sim.port
        let stopper = Task.detached {
            // Stopped as SIGTERM stops it, once the listing is under way.
            while try LoopbackClient(port: port).request("GET", "/_sim/stats").json["endpoints"]?[
                "GET /v1/contacts"]?["200"]?.int ?? 0 < 1
            {
                try await Task.sleep(nanoseconds: 10_000_000)
            }
            daemon.stop()
        }
        #expect(await daemon.run() == 0)
        try await stopper.value
        let console = CapturedConsole()
        _ = await Syncd.main(
            arguments: ["status", "--config", fixture.configPath], environment: [:], console: console)
        let cycle = console.stdout.split(separator: "\n").first { $0.hasPrefix("  20") } ?? ""
        #expect(cycle.contains("interrupted"), "\(console.stdout)")
        #expect(!cycle.contains("failed"), "\(console.stdout)")
    }
}
