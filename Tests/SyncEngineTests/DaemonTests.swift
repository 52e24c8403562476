import ContactModel
import ContactsSim
import Daemon
import Foundation
import JSON
import SQLite
import SyncEngine
import SyncdCLI
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Receives sd_notify datagrams on an abstract socket, as systemd would.
final class NotifyListener {
    let name: String
    private let descriptor: Int32

    init() throws {
        name = "@syncd-test-\(UUID().uuidString.prefix(12))"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(name.utf8)
        path[0] = 0
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + path.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw HarnessError("bind \(name): errno \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// Messages received until `deadline` or until one satisfies `until`.
    func receive(for seconds: Double, until: (String) -> Bool = { _ in false }) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let message = String(decoding: buffer[0..<count], as: UTF8.self)
            messages.append(message)
            if until(message) { break }
        }
        return messages
    }
}

@Suite(.serialized) struct DaemonTests {
    private var syncd: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "syncd")
    }

    private func writeConfig(
        _ fixture: SyncFixture, interval: Int = 3600, table: String = "customers", perMinute: Int = 1_000_000
    ) throws -> String {
        let path = fixture.directory + "/config.json"
        try """
        {"local": {"database": "crm.sqlite", "table": "\(table)", "key": "id", "default_country": "KE",
                   "columns": {"phone": "mobile", "name": "full_name", "updated_at": "updated_at"}},
         "remote": {"provider": "waply", "base_url": "\(fixture.sim.simulator.baseURL)", "token_env": "SYNCD_TOKEN", "requests_per_minute": \(perMinute)},
         "sync": {"state": "state.sqlite", "interval_seconds": \(interval)}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A daemon on a CRM of one row, once its first full cycle is done (and the next an hour
    /// away); the test stops it.
    private func daemonAfterItsFirstCycle() throws -> (
        SyncFixture, config: String, NotifyListener, logs: Pipe, ChildProcess, startup: [String]
    ) {
        let fixture = try SyncFixture(simulator: { $0.token = "sim-token-secret" })
        try fixture.insertLocal("+254700000001", name: "Ann")
        let config = try writeConfig(fixture)
        let notify = try NotifyListener()
        let logs = Pipe()
        let process = try launch(config, notify: notify, logs: logs)
        let startup = notify.receive(for: 10) { $0.hasPrefix("STATUS=") }
        #expect(startup.contains { $0.hasPrefix("STATUS=last cycle") }, "\(startup)")
        return (fixture, config, notify, logs, process, startup)
    }

    private func launch(_ config: String, notify: NotifyListener, logs: Pipe) throws -> ChildProcess {
        let process = ChildProcess()
        process.executableURL = syncd
        process.arguments = ["run", "--config", config, "--log-format", "json"]
        process.environment = [
            "SYNCD_TOKEN": "sim-token-secret", "NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "2000000",
        ]
        process.standardError = logs
        try process.run()
        return process
    }

    @Test func runsPushesCRMEditsWithinSecondsReloadsAndStopsCleanly() async throws {
        let (fixture, config, notify, logs, process, startup) = try daemonAfterItsFirstCycle()
        defer { if process.isRunning { process.terminate() } }
        #expect(startup.first == "READY=1")
        #expect(startup.contains { $0.hasPrefix("STATUS=last cycle") && $0.contains("waply +1") })
        #expect(try fixture.remoteContacts()["+254700000001"]?["name"] == "Ann")

        // A CRM edit reaches the vendor in about a second, with no full cycle due for an hour.
        try fixture.resetStats()
        try fixture.updateLocal("+254700000001", "full_name", "Ann edited")
        let edited = Date()
        while try fixture.remoteContacts()["+254700000001"]?["name"] != "Ann edited",
            Date().timeIntervalSince(edited) < 10
        {
            try await fixture.wait(seconds: 0.1)
        }
        #expect(try fixture.remoteContacts()["+254700000001"]?["name"] == "Ann edited")
        #expect(
            try fixture.sim.stats()["endpoints"]?["GET /v1/contacts"] == nil,
            "a push does not list the whole book")
        #expect(notify.receive(for: 3) { $0 == "WATCHDOG=1" }.contains("WATCHDOG=1"))

        // Status is readable while the daemon runs.
        let console = CapturedConsole()
        #expect(
            await Syncd.main(arguments: ["status", "--config", config], environment: [:], console: console)
                == .success)
        #expect(console.stdout.contains("last cycles:"))
        #expect(console.stdout.contains("synced"))
        #expect(console.stdout.contains("pending CRM changes: 0"))

        // A bad new config is reported and the old one kept.
        try "{ broken".write(toFile: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let reload = notify.receive(for: 5) { $0 == "READY=1" }
        #expect(reload.contains("RELOADING=1") && reload.last == "READY=1", "\(reload)")
        #expect(process.isRunning)
        try fixture.updateLocal("+254700000001", "full_name", "Still syncing")
        let again = Date()
        while try fixture.remoteContacts()["+254700000001"]?["name"] != "Still syncing",
            Date().timeIntervalSince(again) < 10
        {
            try await fixture.wait(seconds: 0.1)
        }
        #expect(try fixture.remoteContacts()["+254700000001"]?["name"] == "Still syncing")

        let stopping = Date()
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Date().timeIntervalSince(stopping) < 5)
        #expect(notify.receive(for: 1) { $0 == "STOPPING=1" }.contains("STOPPING=1"))
        let output = String(decoding: logs.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { (try? JSON.parse($0))?["level"] != nil }, "every line is JSON")
        // Timed by the daemon's own log (when the push was done), not by this test's polling,
        // which a busy test machine can hold up.
        let pushed = lines.compactMap { line -> Date? in
            guard let json = try? JSON.parse(line), json["message"]?.string?.hasPrefix("push:") == true,
                let time = json["time"]?.string.flatMap(Timestamp.init(iso8601:))
            else { return nil }
            return Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000)
        }
        let firstPush = try #require(pushed.first { $0 >= edited.addingTimeInterval(-0.01) })
        #expect(
            firstPush.timeIntervalSince(edited) < 3,
            "pushed \(firstPush.timeIntervalSince(edited)) s after the edit")
        #expect(output.contains("the new configuration was not loaded, the old one stays"))
        #expect(!output.contains("sim-token-secret"), "no secret in any log line")
    }

    /// A reload that points the config at another vendor account with the same state file
    /// is refused, and the daemon goes on with the account it had.
    @Test func aReloadOntoAnotherVendorAccountIsRefused() async throws {
        let (fixture, config, notify, logs, process, _) = try daemonAfterItsFirstCycle()
        defer { if process.isRunning { process.terminate() } }

        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.replacingOccurrences(of: fixture.sim.simulator.baseURL, with: "http://127.0.0.1:9/v1")
            .write(toFile: config, atomically: true, encoding: .utf8)
        kill(process.processIdentifier, SIGHUP)
        let reload = notify.receive(for: 5) { $0 == "READY=1" }
        #expect(reload.last == "READY=1", "\(reload)")
        #expect(process.isRunning)
        process.terminate()
        process.waitUntilExit()
        let output = String(decoding: logs.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(output.contains("the new configuration was not loaded, the old one stays"), "\(output)")
        #expect(output.contains("belongs to waply at \(fixture.sim.simulator.baseURL)"))
    }

    /// The daemon holds the state file for its whole life, not only while a cycle runs.
    @Test func aRunningDaemonKeepsOnceAndASecondDaemonOffItsStateFile() async throws {
        let (fixture, config, _, _, process, _) = try daemonAfterItsFirstCycle()
        defer {
            if process.isRunning { process.terminate() }
            withExtendedLifetime(fixture) {}
        }

        // Between cycles (the next full one is an hour away), nobody else syncs with its file.
        let console = CapturedConsole()
        let code = await Syncd.main(
            arguments: ["--once", "--config", config], environment: ["SYNCD_TOKEN": "sim-token-secret"],
            console: console)
        #expect(code == .temporaryFailure, "\(console.stderr)")
        #expect(console.stderr.contains("pid \(process.processIdentifier)"), "\(console.stderr)")

        let second = ChildProcess()
        second.executableURL = syncd
        second.arguments = ["run", "--config", config]
        second.environment = ["SYNCD_TOKEN": "sim-token-secret"]
        let secondLogs = Pipe()
        second.standardError = secondLogs
        try second.run()
        second.waitUntilExit()
        #expect(second.terminationStatus == 75)
        let said = String(decoding: secondLogs.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.contains("pid \(process.processIdentifier)"), "\(said)")
        #expect(process.isRunning, "the first daemon is untouched")
    }

    @Test func pushesAreLoggedOnlyWhenTheyPushAndStatusKeepsTheFullCycle() async throws {
        let fixture = try SyncFixture(simulator: { $0.token = "sim-token-secret" })
        try fixture.insertLocal("+254700000001", name: "Ann")
        try fixture.crm.execute("CREATE TABLE notes (body TEXT)")
        let config = try writeConfig(fixture)
        let notify = try NotifyListener()
        let logs = Pipe()
        let process = try launch(config, notify: notify, logs: logs)
        defer { if process.isRunning { process.terminate() } }
        let startup = notify.receive(for: 10) { $0.hasPrefix("STATUS=") }
        let status = try #require(startup.first { $0.hasPrefix("STATUS=last cycle") })
        #expect(status.contains("requests 2"))

        // Writes the CRM makes that syncd has nothing to push for: no push is logged.
        try fixture.crm.run("INSERT INTO notes (body) VALUES ('unrelated')")
        try fixture.crm.run("UPDATE customers SET id = id")
        let quiet = notify.receive(for: 2) { $0.hasPrefix("STATUS=") }
        try fixture.updateLocal("+254700000001", "full_name", "Ann edited")
        let edited = Date()
        while try fixture.remoteContacts()["+254700000001"]?["name"] != "Ann edited",
            Date().timeIntervalSince(edited) < 10
        {
            try await fixture.wait(seconds: 0.1)
        }
        let later = notify.receive(for: 1.5) { $0.hasPrefix("STATUS=") }
        process.terminate()
        process.waitUntilExit()
        #expect(
            !(quiet + later).contains { $0.hasPrefix("STATUS=") },
            "a push leaves STATUS on the last full cycle")
        let output = String(decoding: logs.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let pushes = output.split(separator: "\n").filter { $0.contains("push: ") }
        #expect(pushes.count == 1, "\(pushes)")
        #expect(pushes.first?.contains("waply +0 ~1 -0") == true)
        #expect(
            pushes.first?.contains("requests 2") == true,
            "this push's own requests (one read, one write), not a running total")
    }

    @Test func sigtermDuringACycleExitsWithinFiveSecondsAndLosesNothing() async throws {
        let fixture = try SyncFixture(simulator: { $0.token = "sim-token-secret" })
        for index in 0..<300 {
            try fixture.insertLocal("+2547500\(String(10_000 + index))", name: "P\(index)")
        }
        try fixture.sim.faults(["latency_ms": 40])
        let config = try writeConfig(fixture)
        let notify = try NotifyListener()
        let process = try launch(config, notify: notify, logs: Pipe())
        try await fixture.wait(seconds: 1.5)
        #expect(process.isRunning, "still in its first cycle")
        let stopping = Date()
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(Date().timeIntervalSince(stopping) < 5)
        try fixture.sim.control("DELETE", "/faults")
        try await fixture.sync()
        #expect(
            try fixture.remoteContacts().count == 300, "the next cycle finishes the job without duplicates")
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test func killedAtTwentyRandomPointsItConvergesAfterEachRestart() async throws {
        let fixture = try SyncFixture(simulator: { $0.token = "sim-token-secret" })
        try fixture.sim.seed(120)
        for index in 0..<120 {
            try fixture.insertLocal("+2547700\(String(10_000 + index))", name: "Local \(index)")
        }
        try fixture.sim.faults(["latency_ms": 6])
        let config = try writeConfig(fixture)
        var generator = SystemRandomNumberGenerator()
        var killedMidCycle = 0
        for round in 0..<20 {
            try fixture.updateLocal(
                "+2547700\(String(10_000 + round))", "full_name", .text("CRM edit \(round)"))
            try fixture.insertLocal("+2547800\(String(10_000 + round))", name: "New in round \(round)")
            try fixture.sim.control(
                "POST", "/contacts",
                json: [
                    "phone": .string("+2348031\(String(100_000 + round))"),
                    "name": .string("Vendor new \(round)"),
                ])
            let victim = try launch(config, notify: try NotifyListener(), logs: Pipe())
            try await fixture.wait(seconds: Double.random(in: 0.05...0.6, using: &generator))
            if victim.isRunning {
                kill(victim.processIdentifier, SIGKILL)
                killedMidCycle += 1
            }
            victim.waitUntilExit()
            // Restarted, it finishes a cycle and the books agree.
            let notify = try NotifyListener()
            let survivor = try launch(config, notify: notify, logs: Pipe())
            let messages = notify.receive(for: 20) { $0.hasPrefix("STATUS=last cycle") }
            survivor.terminate()
            survivor.waitUntilExit()
            #expect(
                messages.contains { $0.hasPrefix("STATUS=last cycle") && !$0.contains("failed") },
                "round \(round): \(messages)")
            let local = try fixture.localRows()
            let remote = try fixture.remoteContacts()
            #expect(Set(local.keys) == Set(remote.keys), "round \(round)")
            #expect(
                remote["+2547700\(String(10_000 + round))"]?["name"] == .string("CRM edit \(round)"),
                "round \(round)")
            #expect(
                local["+2348031\(String(100_000 + round))"]?.name == "Vendor new \(round)", "round \(round)")
        }
        #expect(killedMidCycle >= 15)
        #expect(try fixture.remoteContacts().count == 280)
    }

    @Test func warnsAtStartWhenFullCyclesCannotRestBetweenIntervals() async throws {
        let fixture = try SyncFixture(simulator: { $0.token = "sim-token-secret" })
        for index in 0..<250 { try fixture.insertLocal("+2547950\(String(10_000 + index))") }
        // 250 contacts are three Waply pages: at once under a large budget, two minutes at one
        // request a minute — longer than a 30-second interval.
        func start(_ config: String) throws -> String {
            let logs = Pipe()
            let notify = try NotifyListener()
            let daemon = try launch(config, notify: notify, logs: logs)
            _ = notify.receive(for: 20) { $0.hasPrefix("STATUS=") }
            daemon.terminate()
            daemon.waitUntilExit()
            return String(decoding: logs.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        let roomy = try start(try writeConfig(fixture, interval: 30))
        #expect(roomy.contains("syncd running") && !roomy.contains("back to back"), "\(roomy)")
        let tight = try start(try writeConfig(fixture, interval: 30, perMinute: 1))
        #expect(tight.contains("a full cycle lists 250 contacts in 3 requests"), "\(tight)")
        #expect(tight.contains("raise sync.interval_seconds to 120"))
    }

    @Test func aConfigErrorAtStartExits78() async throws {
        let fixture = try SyncFixture()
        let config = try writeConfig(fixture, table: "no_such_table")
        let logs = Pipe()
        let process = try launch(config, notify: try NotifyListener(), logs: logs)
        process.waitUntilExit()
        #expect(process.terminationStatus == 78)
        #expect(
            String(decoding: logs.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains(
                "no table 'no_such_table'"))
    }
}

@Suite struct LoggerTests {
    @Test func journalLinesCarryThePriority() {
        let logger = Logger(format: .journal)
        #expect(logger.line(.error, "boom") == "<3>boom")
        #expect(logger.line(.notice, "two\nlines") == "<5>two lines")
    }

    @Test func jsonLinesAreJSONWithFields() throws {
        let line = Logger(format: .json).line(.warning, "careful", fields: ["phone": "+254700000001"])
        let json = try JSON.parse(line)
        #expect(json["level"] == "warning")
        #expect(json["message"] == "careful")
        #expect(json["phone"] == "+254700000001")
    }

    @Test func plainIsChosenUnlessStderrIsTheJournal() {
        #expect(Logger.detectFormat(requested: nil, environment: [:]) == .plain)
        #expect(Logger.detectFormat(requested: nil, environment: ["JOURNAL_STREAM": "1:2"]) == .plain)
        #expect(Logger.detectFormat(requested: .json, environment: [:]) == .json)
        var info = stat()
        #expect(fstat(2, &info) == 0)
        #expect(
            Logger.detectFormat(
                requested: nil, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]) == .journal)
    }
}

@Suite struct SystemdUnitTests {
    static let analyzer = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    private var unitsFolder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd")
    }

    /// The units with ExecStart pointing at the built binary (verify checks it exists).
    private func staged() throws -> String {
        let folder = NSTemporaryDirectory() + "syncd-units-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("syncd").path
        for name in ["syncd.service", "syncd@.service", "syncd-once.service", "syncd-once.timer"] {
            let text = try String(contentsOf: unitsFolder.appendingPathComponent(name), encoding: .utf8)
            let target = name == "syncd@.service" ? "syncd@example.service" : name
            try text.replacingOccurrences(of: "/usr/local/bin/syncd", with: binary).write(
                toFile: "\(folder)/\(target)", atomically: true, encoding: .utf8)
        }
        return folder
    }

    private func analyze(_ arguments: [String], in folder: String) throws -> (Int32, String) {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: Self.analyzer!)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(.enabled(if: analyzer != nil)) func everyUnitVerifiesClean() throws {
        let folder = try staged()
        for unit in ["syncd.service", "syncd@example.service", "syncd-once.service", "syncd-once.timer"] {
            let (status, output) = try analyze(["verify", unit], in: folder)
            #expect(status == 0 && output.isEmpty, "\(unit): \(output)")
        }
    }

    /// Each `Key=` line of a unit, in order.
    private func settings(_ key: String, in unit: String) throws -> [String] {
        try String(contentsOf: unitsFolder.appendingPathComponent(unit), encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix(key + "=") }.map {
                String($0.dropFirst(key.count + 1))
            }
    }

    @Test func aRestartCannotFixARefusedCredentialAndADeferredTimerRunIsNoFailure() throws {
        for unit in ["syncd.service", "syncd@.service"] {
            let codes = try settings("RestartPreventExitStatus", in: unit).flatMap {
                $0.split(separator: " ")
            }
            #expect(Set(codes).isSuperset(of: ["64", "77", "78"]), "\(unit): \(codes)")
            #expect(
                !codes.contains("73") && !codes.contains("75"), "\(unit): a full disk or a busy vendor passes"
            )
        }
        let success = try settings("SuccessExitStatus", in: "syncd-once.service").flatMap {
            $0.split(separator: " ")
        }
        #expect(Set(success) == ["2", "75"], "\(success)")
    }

    @Test(.enabled(if: analyzer != nil)) func theServicesAreHardenedTo2OrBetter() throws {
        let folder = try staged()
        for unit in ["syncd.service", "syncd@example.service", "syncd-once.service"] {
            let (_, output) = try analyze(["security", "--offline=true", unit], in: folder)
            let line = try #require(
                output.split(separator: "\n").first { $0.contains("Overall exposure level") })
            let score = Double(line.split(separator: ":").last?.split(separator: " ").first ?? "") ?? 10
            #expect(score <= 2.0, "\(unit): \(line)")
        }
    }
}
