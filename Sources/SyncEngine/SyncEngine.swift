public import Configuration
public import ContactModel
import Foundation
public import LocalStore
public import RemoteAPI
import SQLite
import Vendors

/// Runs sync cycles for one config: the CRM table on one side, one vendor on the other.
///
/// A cycle: collect the CRM's captured changes; stream the vendor's listing into the state
/// file; plan every changed contact with a three-way merge against its last-synced copy;
/// stop if the plan would delete too much; then apply it in journaled batches, remote
/// writes first, and record each batch before the next.
public final class SyncEngine {
    public let configuration: SyncdConfiguration
    let remote: any RemoteContactsAPI
    let clock: any WallClock
    /// The state file's lock, when the caller holds it for its whole life (the daemon);
    /// otherwise each cycle takes it.
    let heldLock: StateLock?

    public init(
        configuration: SyncdConfiguration, remote: any RemoteContactsAPI,
        clock: any WallClock = SystemClock(),
        holding lock: StateLock? = nil
    ) {
        self.configuration = configuration
        self.remote = remote
        self.clock = clock
        heldLock = lock
    }

    /// One full two-way cycle.
    public func runOnce(_ options: SyncOptions = SyncOptions()) async throws(SyncError) -> SyncReport {
        let lock: StateLock
        if let heldLock {
            lock = heldLock
        } else {
            lock = try Self.storage { try StateLock(statePath: configuration.sync.state) }
        }
        let (state, temporary) = try openState(dryRun: options.dryRun)
        defer {
            if let temporary { try? FileManager.default.removeItem(atPath: temporary) }
            withExtendedLifetime(lock) {}
        }
        try Self.checkAccount(of: state, configuration)
        let consumer = try Self.storage { try state.consumerID() }
        let crm = try Self.storage {
            try CRMDatabase(settings: configuration.local, consumer: consumer, readOnly: options.dryRun)
        }
        let cycle = SyncCycle(engine: self, state: state, crm: crm, options: options)
        return try await cycle.run()
    }

    /// The vendor account `configuration` syncs with.
    public static func account(_ configuration: SyncdConfiguration) -> StateAccount {
        StateAccount(
            provider: configuration.remote.provider.rawValue, baseURL: configuration.remote.baseURL,
            organization: configuration.remote.organizationID)
    }

    /// Refuses a state file that belongs to another vendor account (its links name that
    /// account's contacts); a state file that names none takes this one.
    public static func checkAccount(of state: StateStore, _ configuration: SyncdConfiguration)
        throws(SyncError)
    {
        guard state.account() != nil else {
            try storage { try state.setAccount(account(configuration)) }
            return
        }
        if let mismatch = accountMismatch(of: state, configuration) { throw mismatch }
    }

    /// Why `state` cannot be used with `configuration` (it belongs to another vendor
    /// account), or `nil`; reads only, so `syncd check` can ask it too.
    public static func accountMismatch(of state: StateStore, _ configuration: SyncdConfiguration)
        -> SyncError?
    {
        let current = account(configuration)
        guard let recorded = state.account(), recorded != current else { return nil }
        return SyncError(
            .configuration,
            "the state file \(state.path) belongs to \(recorded), but the config syncs with \(current). Its links name that account's contacts: used here, people would be created twice. Give this config a state file of its own (sync.state), or point remote back at \(recorded)."
        )
    }

    /// The real state file, or for a dry run a throwaway copy of it, so planning can use its
    /// working tables while nothing of the user's changes.
    private func openState(dryRun: Bool) throws(SyncError) -> (StateStore, String?) {
        let path = configuration.sync.state
        guard dryRun else { return (try Self.storage { try StateStore(path: path) }, nil) }
        let copy = NSTemporaryDirectory() + "syncd-dry-run-\(UUID().uuidString).sqlite"
        if FileManager.default.fileExists(atPath: path) {
            do {
                let source = try Database(
                    path: path, options: .init(readOnly: true, create: false, walMode: false))
                try source.execute("VACUUM INTO '\(copy.replacingOccurrences(of: "'", with: "''"))'")
            } catch {
                throw SyncError(.storage, "cannot read the state file \(path) for a dry run: \(error)")
            }
        }
        return (try Self.storage { try StateStore(path: copy) }, copy)
    }

    /// Runs a storage call, turning its errors into `SyncError`s.
    static func storage<T>(_ body: () throws -> T) throws(SyncError) -> T {
        do {
            return try body()
        } catch {
            throw storageError(error)
        }
    }

    /// The `SyncError` for a failure of either database, the same for every command.
    public static func storageError(_ error: any Error) -> SyncError {
        if let error = error as? SyncError { return error }
        if let error = error as? LocalStoreError {
            switch error.kind {
            case .configuration: return SyncError(.configuration, error.message)
            case .locked: return SyncError(.locked, error.message)
            case .unwritable, .other: return SyncError(.storage, error.message)
            }
        }
        if let error = error as? RemoteError { return remoteError(error) }
        return SyncError(.storage, "\(error)")
    }

    static func remoteError(_ error: RemoteError) -> SyncError {
        switch error {
        case .credentialRefused(let message):
            return SyncError(.credentialRefused, "the vendor refused the API token: \(message)")
        case .malformed(let message): return SyncError(.listing, message)
        case .deferred(let message): return SyncError(.deferred, "cycle deferred, progress saved: \(message)")
        default: return SyncError(.unavailable, "\(error)")
        }
    }
}
