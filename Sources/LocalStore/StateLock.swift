import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One sync at a time per state file: an exclusive `flock` on `<state>.lock`, which the
/// kernel releases when the process ends however it ends (no stale lock after a kill).
///
/// Sendable: both fields are constants; the descriptor is only closed in `deinit`.
public final class StateLock: Sendable {
    private let descriptor: Int32
    public let path: String
    /// The state file it guards.
    public let statePath: String

    /// Takes the lock or says who holds it.
    public init(statePath: String) throws(LocalStoreError) {
        self.statePath = statePath
        path = statePath + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw LocalStoreError(
                .unwritable, "cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder =
                (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                    in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            throw LocalStoreError(
                .locked,
                "another syncd\(holder.isEmpty ? "" : " (pid \(holder))") is syncing with \(statePath); try again when it has finished"
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
