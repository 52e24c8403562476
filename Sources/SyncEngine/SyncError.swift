/// Why a sync could not complete. Each kind has its own exit code in `syncd`.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The config does not fit the CRM database: EX_CONFIG.
        case configuration
        /// The command was called wrongly (`explain` with something that is not a phone).
        case usage
        /// The vendor refused the credential.
        case credentialRefused
        /// Another syncd holds the state file.
        case locked
        /// The vendor could not be reached or kept failing; progress so far is saved.
        case unavailable
        /// The vendor's rate limit would hold the cycle too long; progress so far is saved and
        /// the next cycle goes on from there. Not a failure.
        case deferred
        /// The listing cannot be trusted (it repeated itself or was malformed); nothing deleted.
        case listing
        /// The cycle would delete more than `sync.max_delete_share`; nothing was changed.
        case deleteGuard
        /// A database could not be read or written.
        case storage
        /// The cycle was stopped (SIGTERM, SIGINT) before it finished; what it finished is
        /// saved and the next run goes on. Shown as *interrupted*, never as a failure.
        case interrupted
    }

    public let kind: Kind
    public let message: String
    /// What a deferred cycle did before it stopped (its writes are kept), to report it.
    public var report: SyncReport?

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
