public import Foundation
import Synchronization

/// Starts child processes one at a time across the whole test run.
///
/// Foundation's `Process.run()` on Linux is not safe to call from several threads at once
/// (it copies the environment and file actions without a lock; concurrent calls were seen to
/// crash in `memcpy`), and Swift Testing runs suites in parallel.
public enum ProcessLaunch {
    private static let lock = Mutex(())

    public static func run(_ process: Process) throws {
        try lock.withLock { _ in try process.run() }
    }
}
