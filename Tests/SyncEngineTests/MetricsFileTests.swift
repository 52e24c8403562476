import Configuration
import Foundation
import JSON
import TestSupport
import Testing

/// The Prometheus textfile is read by node_exporter, which runs as a user of its own.
@Suite struct MetricsFileTests {
    @Test func theTextfileIsReadableByAllWhateverTheUmask() async throws {
        let fixture = try SyncFixture()
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.writeConfig()
        var config = try JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: fixture.configPath))))
        var sync = config["sync"]?.object ?? [:]
        sync["metrics_file"] = "syncd.prom"
        var root = config.object ?? [:]
        root["sync"] = .object(sync)
        config = .object(root)
        try config.text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)

        // The built binary in a shell with the units' umask, so this test process keeps its own.
        let syncd = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("syncd").path
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", #"umask 077 && exec "$0" --once --config "$1""#, syncd, fixture.configPath,
        ]
        process.environment = ["SYNCD_TOKEN": "sim-token"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        func mode(_ path: String) throws -> Int? {
            try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        }
        #expect(try mode(fixture.configuration.sync.state) == 0o600, "the umask was in force")
        #expect(try mode(fixture.directory + "/syncd.prom") == 0o644)
    }
}
