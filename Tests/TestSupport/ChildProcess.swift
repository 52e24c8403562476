public import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn`, for tests that run `syncd`, `contacts-sim` or
/// a system tool.
///
/// Foundation's `Process.run()` on Linux (Swift 6.3.1) over-reads `/proc/self/fd` entries
/// while spawning and crashes the test process now and then (swift-corelibs-foundation
/// #5472); a lock around it does not help. This spawns directly, with the members of
/// `Process` the tests use. Pipes handed to it are made close-on-exec first, so a child
/// started by another test never holds their write ends open.
public final class ChildProcess: Sendable {
    private struct Setup {
        var executableURL: URL?
        var arguments: [String] = []
        var environment: [String: String]?
        var currentDirectoryURL: URL?
        var standardOutput: Pipe?
        var standardError: Pipe?
    }

    private let setup = Mutex(Setup())
    private let state = Mutex<(pid: pid_t, status: Int32?)>((0, nil))

    public init() {}

    public var executableURL: URL? {
        get { setup.withLock { $0.executableURL } }
        set { setup.withLock { $0.executableURL = newValue } }
    }
    public var arguments: [String] {
        get { setup.withLock { $0.arguments } }
        set { setup.withLock { $0.arguments = newValue } }
    }
    public var environment: [String: String]? {
        get { setup.withLock { $0.environment } }
        set { setup.withLock { $0.environment = newValue } }
    }
    public var currentDirectoryURL: URL? {
        get { setup.withLock { $0.currentDirectoryURL } }
        set { setup.withLock { $0.currentDirectoryURL = newValue } }
    }
    /// A pipe for the child's stdout; `nil`: /dev/null.
    public var standardOutput: Pipe? {
        get { setup.withLock { $0.standardOutput } }
        set { setup.withLock { $0.standardOutput = newValue } }
    }
    /// A pipe for the child's stderr; `nil`: /dev/null.
    public var standardError: Pipe? {
        get { setup.withLock { $0.standardError } }
        set { setup.withLock { $0.standardError = newValue } }
    }

    public var processIdentifier: Int32 { state.withLock { $0.pid } }

    public func run() throws {
        let setup = setup.withLock { $0 }
        guard let path = setup.executableURL?.path else { throw POSIXError(.ENOENT) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (target, pipe) in [(Int32(1), setup.standardOutput), (Int32(2), setup.standardError)] {
            if let pipe {
                for end in [
                    pipe.fileHandleForReading.fileDescriptor, pipe.fileHandleForWriting.fileDescriptor,
                ] {
                    _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                }
                posix_spawn_file_actions_adddup2(&actions, pipe.fileHandleForWriting.fileDescriptor, target)
            } else {
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            }
        }
        let environment = (setup.environment ?? ProcessInfo.processInfo.environment).map {
            "\($0.key)=\($0.value)"
        }
        var argv = [path] + setup.arguments
        var program = path
        if let directory = setup.currentDirectoryURL?.path {
            // glibc's addchdir is not visible to Swift: a shell changes directory, then execs.
            program = "/bin/sh"
            argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + argv
        }
        var pid = pid_t()
        let result = withCStrings(argv) { argv in
            withCStrings(environment) { envp in posix_spawn(&pid, program, &actions, nil, argv, envp) }
        }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        state.withLock { $0.pid = pid }
        // The child has its copies; the parent's write ends go, so readers see the end.
        for pipe in [setup.standardOutput, setup.standardError].compactMap({ $0 }) {
            try? pipe.fileHandleForWriting.close()
        }
    }

    /// Whether the child still runs (reaping it once it has exited).
    public var isRunning: Bool {
        state.withLock { state in
            guard state.status == nil, state.pid > 0 else { return false }
            var status: Int32 = 0
            let reaped = waitpid(state.pid, &status, WNOHANG)
            if reaped == state.pid { state.status = status }
            return reaped == 0
        }
    }

    public func terminate() { kill(processIdentifier, SIGTERM) }

    public func waitUntilExit() {
        let pid = processIdentifier
        guard pid > 0, state.withLock({ $0.status }) == nil else { return }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        state.withLock { if $0.status == nil { $0.status = status } }
    }

    /// The exit code, or 128 + the signal that ended it.
    public var terminationStatus: Int32 {
        guard let status = state.withLock({ $0.status }) else { return -1 }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
private func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
    var pointers = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
