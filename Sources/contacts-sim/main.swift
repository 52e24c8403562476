import ContactsSim
@preconcurrency import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// `contacts-sim`: argument parsing and wiring only; the emulator is the ContactsSim module.

/// Writes straight to a descriptor: unbuffered, so nothing is lost if the process is killed.
func emit(_ text: String, to descriptor: Int32 = 2) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
    }
}

func fail(_ message: String, code: Int32) -> Never {
    emit("contacts-sim: \(message)\n")
    exit(code)
}

let commandLine: SimCommandLine
do {
    commandLine = try SimCommandLine(arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    emit("contacts-sim: \(error)\nRun 'contacts-sim --help' for usage.\n")
    exit(64)
}
if commandLine.showHelp {
    emit(SimCommandLine.usage + "\n", to: 1)
    exit(0)
}

let simulator: ContactsSimulator
do {
    simulator = try ContactsSimulator(configuration: commandLine.configuration)
} catch {
    fail("cannot open the state file: \(error)", code: 78)
}
// Signal handlers go in before the port is announced: a supervisor may send SIGTERM as soon
// as it has read the port, and an ignored signal that arrives before its source exists is lost.
signal(SIGINT, SIG_IGN)
signal(SIGTERM, SIG_IGN)
var sources: [any DispatchSourceSignal] = []
for signalNumber in [SIGINT, SIGTERM] {
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
    source.setEventHandler {
        emit("contacts-sim: stopping\n")
        simulator.stop()
        exit(0)
    }
    source.resume()
    sources.append(source)
}

let seeded = simulator.seedIfEmpty(count: commandLine.seedCount, seed: commandLine.configuration.randomSeed)
let port: Int
do {
    port = try simulator.start(
        host: commandLine.host, port: commandLine.port, maxBodyBytes: commandLine.maxBodyBytes)
} catch {
    fail("cannot listen on \(commandLine.host):\(commandLine.port): \(error)", code: 69)
}

// The port alone on the first line of stdout, flushed, so scripts can read it.
emit("\(port)\n", to: 1)
let limit =
    commandLine.configuration.rateLimit.map {
        "\($0.perMinute)/min" + ($0.perSecond.map { ", \($0)/s" } ?? "")
    } ?? "unlimited"
emit(
    "contacts-sim: \(simulator.dialect.rawValue) on http://\(commandLine.host):\(port)\(simulator.dialect.basePath) "
        + "(\(simulator.contactCount) contacts, \(seeded) seeded; rate \(limit); control API under /_sim/)\n")

dispatchMain()
