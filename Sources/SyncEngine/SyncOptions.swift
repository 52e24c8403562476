/// How `syncd --once` was asked to run.
public struct SyncOptions: Sendable {
    /// Plan and report, change nothing anywhere.
    public var dryRun: Bool
    /// Go past the mass-delete guard.
    public var force: Bool
    /// One line a planned change in the report.
    public var listChanges: Bool

    public init(dryRun: Bool = false, force: Bool = false, listChanges: Bool = false) {
        self.dryRun = dryRun
        self.force = force
        self.listChanges = listChanges
    }
}
