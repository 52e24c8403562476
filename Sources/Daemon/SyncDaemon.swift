public import Configuration
import ContactModel
import Foundation
import JSON
import LocalStore
public import RemoteAPI
import SyncEngine
import Synchronization
import Vendors

/// `syncd run`: syncs forever under systemd (or a terminal).
///
/// A full cycle every `sync.interval_seconds`; between them, the CRM's own edits are pushed
/// within about a second (its change log is watched, not rescanned). SIGTERM and SIGINT
/// stop cleanly — a cycle in flight is cancelled at its next request, what it finished is
/// already recorded — and SIGHUP re-reads the config, keeping the old one if the new one is
/// bad. systemd hears READY, STATUS after each cycle, WATCHDOG while the loop makes
/// progress, and STOPPING.
public final class SyncDaemon: Sendable {
    public typealias RemoteFactory = @Sendable (RemoteSettings) throws -> any RemoteContactsAPI

    private let configPath: String
    private let environment: [String: String]
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let makeRemote: RemoteFactory
    /// Whether the daemon answers SIGTERM, SIGINT and SIGHUP (not inside another program).
    private let handlesSignals: Bool
    /// How often the CRM's change log is looked at.
    private let watchInterval: Double
    /// How long a stopping cycle may take before it is abandoned.
    private let stopGrace = 3.5
    private let flags = Mutex(Flags())
    /// When the loop last did something (a cycle step, a request, a wait): the watchdog only
    /// pings while this moves.
    private let lastProgress = Mutex(Date())

    struct Flags {
        var stop = false
        var reload = false
    }

    public init(
        configPath: String, environment: [String: String], logger: Logger, notifier: SystemdNotifier,
        watchInterval: Double = 0.5, handlesSignals: Bool = true,
        makeRemote: @escaping RemoteFactory
    ) {
        self.handlesSignals = handlesSignals
        self.configPath = configPath
        self.environment = environment
        self.logger = logger
        self.notifier = notifier
        self.watchInterval = watchInterval
        self.makeRemote = makeRemote
    }

    /// Stops the daemon as SIGTERM does: after the current request, what it finished saved.
    public func stop() { flags.withLock { $0.stop = true } }

    /// Runs until stopped; returns the process exit code.
    public func run() async -> Int32 {
        let listener = Signals(handlesSignals ? [SIGTERM, SIGINT, SIGHUP] : [])
        let signalTask = Task { [self] in
            for await number in listener.stream {
                if number == SIGHUP {
                    logger.notice("SIGHUP: reloading \(configPath)")
                    flags.withLock { $0.reload = true }
                } else {
                    logger.notice("signal \(number): stopping after the current request")
                    flags.withLock { $0.stop = true }
                }
            }
        }
        defer { signalTask.cancel() }

        var configuration: SyncdConfiguration
        var remote: any RemoteContactsAPI
        var watcher: CRMDatabase
        // Held for the daemon's whole life: no `--once` or second daemon syncs beside it.
        var lock: StateLock
        do {
            (configuration, remote, watcher, lock) = try prepare(holding: nil)
        } catch let error as StartError {
            logger.error(error.message)
            return error.code
        } catch {
            logger.error("\(error)")
            return 70
        }
        notifier.ready()
        logger.notice(
            "syncd running: \(configuration.local.table) in \(configuration.local.database) with \(configuration.remote.provider.rawValue), a full cycle every \(Int(configuration.sync.intervalSeconds)) s"
        )
        warnIfFullCyclesCannotRest(configuration)
        let heartbeat = startWatchdog()
        defer { heartbeat?.cancel() }

        var nextFull = Date()
        var listingUnfinished = false
        var exitCode: Int32 = 0
        while !flags.withLock({ $0.stop }) {
            if flags.withLock({ flag in
                defer { flag.reload = false }
                return flag.reload
            }) {
                notifier.reloading()
                defer { notifier.ready() }
                do {
                    (configuration, remote, watcher, lock) = try prepare(holding: lock)
                    logger.notice("configuration reloaded")
                    warnIfFullCyclesCannotRest(configuration)
                    nextFull = Date()
                } catch let error as StartError {
                    logger.error("the new configuration was not loaded, the old one stays: \(error.message)")
                } catch {
                    logger.error("the new configuration was not loaded, the old one stays: \(error)")
                }
            }
            // Between the stretches of a long listing, the CRM's edits go first.
            let pending = watcher.hasPendingChanges()
            let scope: SyncOptions.Scope? =
                Date() >= nextFull && !(listingUnfinished && pending)
                ? .full : (pending ? .localChanges : nil)
            if let scope {
                let end = await cycle(configuration, remote: remote, lock: lock, scope: scope)
                if case .stop(let code, let reason) = end {
                    recordStop(reason, code: code, state: configuration.sync.state)
                    exitCode = code
                    break
                }
                let deferred = end == .deferred
                if scope == .full {
                    // A full cycle the budget cut short goes on from where it stopped as soon as
                    // the budget has room again: the daemon lists at the budget's pace instead
                    // of idling to the next interval (and the CRM's edits go out meanwhile).
                    listingUnfinished = deferred
                    nextFull =
                        deferred
                        ? remote.executor.nextSlot.addingTimeInterval(-Self.stretch)
                        : Date().addingTimeInterval(configuration.sync.intervalSeconds)
                }
            }
            touch()
            try? await Task.sleep(nanoseconds: UInt64(watchInterval * 1_000_000_000))
        }
        notifier.stopping()
        logger.notice("syncd stopped")
        return exitCode
    }

    /// How a cycle ended, for the loop.
    enum CycleEnd: Equatable {
        case done
        /// The request budget deferred it: it goes on when the budget has room.
        case deferred
        /// Going on cannot help (the vendor refused the credential): the daemon exits with `code`.
        case stop(code: Int32, reason: String)
    }

    /// The state file's key for why the daemon last stopped by itself (empty: it did not).
    public static let stopReasonKey = "daemon_stopped"

    /// Keeps why the daemon stopped, for `syncd status`; a daemon that starts clears it.
    private func recordStop(_ reason: String?, code: Int32 = 0, state path: String) {
        let value: String
        if let reason {
            let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
            value =
                JSON.object([
                    "at": .string(now.iso8601(fractionalSeconds: false)), "reason": .string(reason),
                    "exit": .int(Int(code)),
                ]).text
        } else {
            value = ""
        }
        do {
            try StateStore(path: path).setMeta(Self.stopReasonKey, value)
        } catch {
            logger.warning("could not record in \(path) why syncd stopped: \(error)")
        }
    }

    /// One cycle in a child task. A stop signal cancels it (it stops before its next request);
    /// if it has not ended `stopGrace` seconds later, it is abandoned — every point a cycle
    /// can stop at is one the next run resumes from — so the process exits in time.
    /// Says whether the request budget deferred the cycle (it goes on when the budget has
    /// room) or the daemon must stop.
    private func cycle(
        _ configuration: SyncdConfiguration, remote: any RemoteContactsAPI, lock: StateLock,
        scope: SyncOptions.Scope
    ) async -> CycleEnd {
        let engine = SyncEngine(configuration: configuration, remote: remote, holding: lock)
        // A full cycle waits for the budget in short stretches (each one's progress saved), so
        // the CRM's edits are pushed between them within a couple of seconds.
        var options = SyncOptions(scope: scope)
        if scope == .full {
            options.maximumWait = min(Self.stretch, configuration.remote.maximumWaitSeconds)
            options.leavesRoomForPushes = true
        }
        let work = Task { [options] in try await engine.runOnce(options) }
        let outcome: Result<SyncReport, any Error>? = await withCheckedContinuation { continuation in
            let resumed = Mutex(false)
            let finish: @Sendable (Result<SyncReport, any Error>?) -> Void = { value in
                if resumed.withLock({ done in
                    defer { done = true }
                    return !done
                }) {
                    continuation.resume(returning: value)
                }
            }
            Task { finish(await work.result) }
            Task { [self] in
                var seen = remote.statistics.requests
                while !work.isCancelled {
                    if flags.withLock({ $0.stop }) {
                        work.cancel()
                        try? await Task.sleep(nanoseconds: UInt64(stopGrace * 1_000_000_000))
                        finish(nil)
                        return
                    }
                    let requests = remote.statistics.requests
                    if requests != seen {
                        seen = requests
                        touch()
                    }
                    try? await Task.sleep(nanoseconds: 100_000_000)
                }
            }
        }
        guard let outcome else {
            logger.notice(
                "stopping now; the cycle in flight is left where it stood (the next run resumes it)")
            return .done
        }
        do {
            let report = try outcome.get()
            // A push cycle that found nothing to push is no news.
            if scope != .full && report.wroteNothing && !report.isPartial && report.notes.isEmpty {
                return .done
            }
            let level: Logger.Level =
                report.isPartial || !report.notes.isEmpty ? .warning : (report.wroteNothing ? .info : .notice)
            logger.log(
                level, (scope == .full ? "" : "push: ") + report.summaryLine, fields: ["report": report.json])
            for note in report.notes { logger.warning(note) }
            // STATUS= tells of the last full cycle; pushes in between do not replace it.
            if scope == .full {
                let finished = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
                notifier.status(
                    "last cycle \(finished.iso8601(fractionalSeconds: false)): " + report.summaryLine)
            }
        } catch let error as SyncError {
            if flags.withLock({ $0.stop }) {
                logger.notice("the cycle in flight was stopped; what it finished is saved")
            } else if error.kind == .deferred {
                // Expected while a large book is listed at the budget's pace: not worth a notice.
                logger.info(error.message)
                notifier.status("listing at the request budget's pace; the full cycle goes on")
                return .deferred
            } else if error.kind == .storage {
                // A database that cannot be used (read-only, disk full, I/O error): exit 73 so
                // systemd restarts the service once the disk is back (Restart=on-failure).
                logger.error(error.message)
                notifier.status("stopped: \(error.message)")
                return .stop(code: 73, reason: error.message)
            } else if error.kind == .credentialRefused {
                // Every further attempt would be refused too, and a vendor may lock the account
                // after a few: stop, and let systemd not restart (RestartPreventExitStatus=77).
                let reason = "\(error.message); fix the credential, then restart syncd"
                logger.error(reason)
                notifier.status("stopped: \(error.message)")
                return .stop(code: 77, reason: reason)
            } else {
                logger.error(error.message)
                notifier.status("last cycle failed: \(error.message)")
            }
        } catch {
            logger.error("\(error)")
        }
        return .done
    }

    /// A book whose listing outlasts the interval gets full cycles back to back: said once,
    /// at start and on reload, with the interval that would let them rest.
    private func warnIfFullCyclesCannotRest(_ configuration: SyncdConfiguration) {
        let cost = SyncEngine.fullCycleCost(configuration)
        if let warning = cost?.warning(interval: configuration.sync.intervalSeconds) {
            logger.warning(warning)
        }
    }

    /// How long a full cycle of the daemon waits for the budget before it lets pushes in.
    static let stretch = 1.0

    private func touch() { lastProgress.withLock { $0 = Date() } }

    /// Pings the watchdog every half interval while the loop makes progress.
    private func startWatchdog() -> Task<Void, Never>? {
        guard let interval = notifier.watchdogInterval else { return nil }
        return Task { [self] in
            while !Task.isCancelled {
                let idle = Date().timeIntervalSince(lastProgress.withLock { $0 })
                if idle < interval * 2 { notifier.watchdog() }
                try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
            }
        }
    }

    struct StartError: Error {
        let message: String
        let code: Int32
    }

    /// Reads the config and opens the CRM (checking its table and columns) and the state
    /// file, so READY means "configured and the databases are open".
    /// Reads the config and opens both databases; takes the state file's lock unless `held`
    /// is already the lock of the state file the config names.
    private func prepare(holding held: StateLock?) throws -> (
        SyncdConfiguration, any RemoteContactsAPI, CRMDatabase, StateLock
    ) {
        let configuration: SyncdConfiguration
        do {
            configuration = try SyncdConfiguration.load(path: configPath, environment: environment)
        } catch {
            throw StartError(message: "configuration: \(error)", code: 78)
        }
        for warning in ConfigurationAudit.warnings(configuration) { logger.warning(warning) }
        let remote: any RemoteContactsAPI
        do {
            remote = try makeRemote(configuration.remote)
        } catch {
            throw StartError(message: "configuration: \(error)", code: 78)
        }
        do {
            let lock =
                try held.flatMap { $0.statePath == configuration.sync.state ? $0 : nil }
                ?? StateLock(statePath: configuration.sync.state)
            let state = try StateStore(path: configuration.sync.state)
            try SyncEngine.checkAccount(of: state, configuration)
            let crm = try CRMDatabase(
                settings: configuration.local, consumer: try state.consumerID(), readOnly: false)
            if state.meta(Self.stopReasonKey)?.isEmpty == false {
                recordStop(nil, state: configuration.sync.state)
            }
            return (configuration, remote, crm, lock)
        } catch let error as LocalStoreError {
            let code: Int32 =
                switch error.kind {
                case .configuration: 78
                case .locked: 75
                default: 73
                }
            throw StartError(message: error.message, code: code)
        } catch let error as SyncError {
            throw StartError(message: error.message, code: error.kind == .configuration ? 78 : 73)
        }
    }
}
