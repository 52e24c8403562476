import Configuration
import ContactModel
import Foundation
import JSON
import LocalStore
import RemoteAPI
import Vendors

/// One cycle's working context.
final class SyncCycle {
    let engine: SyncEngine
    let state: StateStore
    let crm: CRMDatabase
    let options: SyncOptions
    let decision: Decision
    var report: SyncReport
    let started: Timestamp
    var runID: Int64?
    /// The newest captured CRM change this cycle covers.
    var coveredSequence: Int64 = 0
    var fullScan = false
    /// CRM rows this cycle whose `updated_at` is no time.
    var unreadableTimes = 0
    /// Linked vendor contacts as last synced, and where this cycle's listing showed them, by id.
    var linkedRemote = KnownRemotes()
    /// Contacts this cycle's listing showed that are not linked (new to syncd), with their page.
    var listedUnlinked: [String: Int] = [:]
    /// Pages in the listing, as the vendor last said.
    var listedPages: Int?
    /// Where a listing cut short by the budget stopped: the next page, of how many.
    var listingStopped: (next: Int, of: Int?)?
    /// A listing this cycle read to its end: kept if the reads that complete it are cut
    /// short, so the next cycle goes on with them rather than listing and reading again.
    var listedInFull: (key: String, pages: Int, startedAt: Timestamp)?
    /// The client's request count when the cycle began (a daemon's client lives on).
    let requestsAtStart: Int

    var remote: any RemoteContactsAPI { engine.remote }
    var capabilities: RemoteCapabilities { engine.remote.capabilities }
    var configuration: SyncdConfiguration { engine.configuration }
    var vendor: String { engine.remote.provider.rawValue }
    var localFields: FieldSet { configuration.local.columns.fields }
    /// The vendor's list items lack fields only a read of the contact has.
    var listsPartially: Bool { capabilities.listedFields != capabilities.fields }
    /// The CRM maps a field the vendor's list items lack: such items need a read.
    var needsDetails: Bool {
        !localFields.intersection(capabilities.fields).subtracting(capabilities.listedFields).isEmpty
    }

    /// A vendor contact as the snapshot keeps it, hashed over what a list item carries.
    func snapshotRow(_ remote: RemoteContact, partial: Bool = false) -> SnapshotRow {
        var row = SnapshotRow(
            remoteID: remote.id, contact: remote.contact, updatedAt: remote.updatedAt,
            hashing: capabilities.listedFields,
            partial: partial)
        row.unchangedSinceCreated = remote.unchangedSinceCreated
        return row
    }

    func now() -> Timestamp { engine.clock.now() }

    init(engine: SyncEngine, state: StateStore, crm: CRMDatabase, options: SyncOptions) {
        self.engine = engine
        self.state = state
        self.crm = crm
        self.options = options
        decision = Decision(
            localFields: engine.configuration.local.columns.fields, capabilities: engine.remote.capabilities,
            policy: engine.configuration.sync.conflict, deletes: engine.configuration.sync.deletes,
            vendor: engine.remote.provider.rawValue)
        report = SyncReport(vendor: engine.remote.provider.rawValue)
        requestsAtStart = engine.remote.statistics.requests
        report.dryRun = options.dryRun
        started = engine.clock.now()
    }

    func run() async throws(SyncError) -> SyncReport {
        if !options.dryRun { runID = try SyncEngine.storage { try state.startRun(at: started) } }
        do {
            try SyncEngine.storage { try state.beginCycle() }
            try collectLocalChanges()
            remote.executor.startCycle(
                maximumWait: options.maximumWait, leavingRoom: options.leavesRoomForPushes)
            restoreBudget()
            try await beginRemoteCycle()
            if readsWholeListing {
                try await listRemote()
                if capabilities.listsEverything && capabilities.canReadOne {
                    try await readMissingFromListing()
                }
                try await readDetails()
            } else {
                try await readTouchedRemoteContacts()
            }
            try recoverJournal()
            let deletes = try plan()
            try checkDeleteGuard(deletes)
            if !options.dryRun {
                try await execute()
                try finish()
            }
        } catch {
            saveBudget()
            finishReport()
            if error.kind == .interrupted || Task.isCancelled {
                // Left unfinished in the history, as a killed run is: `status` shows it as
                // interrupted, and the next run treats it as one that did not end cleanly.
                throw SyncError(.interrupted, "the cycle was stopped before it finished: \(error.message)")
            }
            let outcome: RunOutcome = error.kind == .deferred ? .deferred : .failed
            if let runID {
                try? state.finishRun(
                    id: runID, at: now(), outcome: outcome, summary: report.json, error: error.message)
            }
            writeMetrics(outcome: outcome)
            guard error.kind == .deferred else { throw error }
            var deferred = error
            report.deferred = true
            deferred.report = report
            throw deferred
        }
        saveBudget()
        finishReport()
        let outcome: RunOutcome = report.isPartial ? .partial : .synced
        if let runID {
            try SyncEngine.storage {
                try state.finishRun(id: runID, at: now(), outcome: outcome, summary: report.json, error: nil)
            }
        }
        writeMetrics(outcome: outcome)
        return report
    }

    /// The state file's key for this vendor account's recent requests.
    private var budgetKey: String {
        "budget:\(configuration.remote.provider.rawValue):\(configuration.remote.baseURL)"
    }

    /// Takes over the requests an earlier process sent within the budget's window, so back-to-
    /// back runs never exceed the vendor's rate between them.
    private func restoreBudget() {
        guard let text = state.meta(budgetKey), let times = try? JSON.parse(text).array else { return }
        remote.executor.requestBudget.restore(
            times.compactMap(\.double).map { Date(timeIntervalSince1970: $0 / 1000) })
    }

    /// Keeps this process's recent requests for the next one.
    func saveBudget() {
        guard !options.dryRun else { return }
        let times = remote.executor.requestBudget.recentSends().map {
            JSON.double(($0.timeIntervalSince1970 * 1000).rounded())
        }
        try? state.setMeta(budgetKey, JSON.array(times).text)
    }

    /// Lets the vendor's client read what it keeps for a cycle (Qlara's lists).
    private func beginRemoteCycle() async throws(SyncError) {
        do {
            try await remote.beginCycle()
        } catch {
            throw SyncEngine.remoteError(error)
        }
    }

    /// A push cycle reads only what the CRM's changes touch, when the vendor allows that and
    /// the first full sync is done; everything else lists the whole book.
    var readsWholeListing: Bool {
        options.scope == .full || fullScan || !capabilities.canReadOne
    }

    private func writeMetrics(outcome: RunOutcome) {
        guard let path = configuration.sync.metricsFile, !options.dryRun else { return }
        do {
            try MetricsFile.write(
                to: path, report: report, outcome: outcome, statistics: remote.statistics, finishedAt: Date())
        } catch {
            report.notes.append("could not write the metrics file \(path): \(error.localizedDescription)")
        }
    }

    private func finishReport() {
        report.requests = remote.statistics.requests - requestsAtStart
        report.seconds = Double(now().millisecondsSinceEpoch - started.millisecondsSinceEpoch) / 1000
    }

    // MARK: - Finishing

    /// Marks the captured changes as handled and the first full scan as done.
    private func finish() throws(SyncError) {
        try SyncEngine.storage {
            if coveredSequence > 0 { try crm.acknowledge(upTo: coveredSequence) }
            if fullScan { try state.setMeta("initial_scan_done", now().iso8601(fractionalSeconds: true)) }
        }
    }
}
