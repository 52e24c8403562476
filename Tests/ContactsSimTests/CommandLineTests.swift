import ContactsSim
import Foundation
import JSON
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct CommandLineTests {
    @Test func readsEveryOption() throws {
        let line = try SimCommandLine(arguments: [
            "--dialect", "qlara", "--port=0", "--seed", "1000", "--token", "t", "--rate", "500/20",
            "--custom-fields", "a,b",
            "--duplicate-status", "422", "--fail-rate", "0.2", "--drop-after", "0.1", "--latency-ms", "50",
            "--state", "/tmp/x.sqlite",
        ])
        #expect(line.configuration.dialect == .qlara)
        #expect(line.port == 0)
        #expect(line.seedCount == 1000)
        #expect(line.configuration.token == "t")
        #expect(line.configuration.rateLimit == RateLimit(perMinute: 500, perSecond: 20))
        #expect(line.configuration.customFields == ["a", "b"])
        #expect(line.configuration.duplicateStatus == 422)
        #expect(line.configuration.faults.serverErrorRate == 0.2)
        #expect(line.configuration.faults.dropAfterRate == 0.1)
        #expect(line.configuration.faults.latencyMilliseconds == 50)
        #expect(line.configuration.stateFile == "/tmp/x.sqlite")
        #expect(
            try SimCommandLine(arguments: ["--dialect", "waply", "--rate", "unlimited"]).configuration
                .rateLimit == nil)
        #expect(
            try SimCommandLine(arguments: ["--dialect", "waply"]).configuration.rateLimit
                == RateLimit(perMinute: 100))
        #expect(try SimCommandLine(arguments: ["--help"]).showHelp)
    }

    @Test(arguments: [
        ([], "--dialect is required"),
        (["--dialect", "whatsapp"], "unknown dialect"),
        (["--dialect", "waply", "--port", "70000"], "--port"),
        (["--dialect", "waply", "--port"], "needs a value"),
        (["--dialect", "waply", "--rate", "fast"], "--rate"),
        (["--dialect", "waply", "--fail-rate", "1.5"], "--fail-rate"),
        (["--dialect", "waply", "--duplicate-status", "410"], "--duplicate-status"),
        (["--dialect", "waply", "--colour", "red"], "unknown option"),
        (["--dialect", "waply", "stray"], "unexpected argument"),
        (["--dialect", "waply", "--token", ""], "must not be empty"),
    ])
    func namesWhatIsWrong(_ arguments: [String], _ message: String) {
        #expect { try SimCommandLine(arguments: arguments) } throws: { "\($0)".contains(message) }
    }

    /// The built `contacts-sim` next to the test bundle.
    private var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "contacts-sim")
    }

    @Test func theCommandPrintsItsPortFirstAndStopsOnSIGTERM() throws {
        let process = ChildProcess()
        process.executableURL = executable
        process.arguments = ["--dialect", "waply", "--port", "0", "--seed", "25", "--rate", "unlimited"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var firstLine = ""
        while !firstLine.hasSuffix("\n") {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard !byte.isEmpty else { break }
            firstLine += String(decoding: byte, as: UTF8.self)
        }
        let port = try #require(Int(firstLine.trimmingCharacters(in: .whitespacesAndNewlines)))
        let response = try LoopbackClient(port: port).request(
            "GET", "/v1/contacts?limit=100", headers: ["Authorization": "Bearer sim-token"])
        #expect(try response.json["total"] == 25)
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning, "stopped within 5 s of SIGTERM")
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func theCommandExits64OnAUsageError() throws {
        let process = ChildProcess()
        process.executableURL = executable
        process.arguments = ["--dialect", "nope"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = nil
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 64)
        #expect(
            String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains(
                "unknown dialect"))
    }
}
