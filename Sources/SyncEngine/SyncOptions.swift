/// How `syncd --once` was asked to run.
public struct SyncOptions: Sendable {
    /// Plan and report, change nothing anywhere.
    public var dryRun: Bool
    /// Go past the mass-delete guard.
    public var force: Bool
    /// One line a planned change in the report.
    public var listChanges: Bool
    public var scope: Scope
    /// How long this cycle may wait for the request budget before it stops as deferred
    /// (progress saved); `nil`: `remote.max_wait_seconds`. The daemon lists in short stretches
    /// so that CRM edits are pushed between them.
    public var maximumWait: Double?
    /// Leave a tenth of the request budget's window to the CRM's pushes (the daemon's long
    /// listings), so an edit made meanwhile goes out in seconds.
    public var leavesRoomForPushes = false

    /// How much of the vendor's side a cycle reads.
    public enum Scope: String, Sendable {
        /// List the whole book: every change on both sides, deletions confirmed.
        case full
        /// Only the CRM's captured changes, reading just the remote contacts they touch (where
        /// the vendor can read one contact; otherwise its listing). Remote-only changes wait
        /// for the next full cycle. What the daemon runs when the CRM changes between cycles.
        case localChanges = "push"
    }

    public init(dryRun: Bool = false, force: Bool = false, listChanges: Bool = false, scope: Scope = .full) {
        self.dryRun = dryRun
        self.force = force
        self.listChanges = listChanges
        self.scope = scope
    }
}
