import Configuration
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

/// Each fault the emulator can inject, during real cycles; then, faults off, the books must
/// be what a fault-free run gives: the same people on both sides, no duplicates, nothing lost.
@Suite struct FaultToleranceTests {
    /// The vendors whose every fault is tried.
    static let dialects: [Dialect] = [.waply, .superwaba, .qlara]

    private func fixture(_ dialect: Dialect, timeout: Double = 5) throws -> SyncFixture {
        let fixture = try SyncFixture(dialect)
        fixture.configuration.remote.timeoutSeconds = timeout
        try fixture.sim.seed(120)
        for index in 0..<120 {
            try fixture.insertLocal("+2547600\(String(10_000 + index))", name: "Local \(index)")
        }
        return fixture
    }

    /// Runs up to `cycles` cycles under `faults` (errors allowed), then clean ones.
    private func expectConvergence(
        _ fixture: SyncFixture, under faults: JSON, cycles: Int = 3,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try fixture.sim.faults(faults)
        var failures: [String] = []
        for _ in 0..<cycles {
            do {
                try await fixture.sync()
            } catch {
                failures.append("\(error)")
            }
        }
        try fixture.sim.control("DELETE", "/faults")
        try await fixture.sync()
        let local = try fixture.localRows()
        let remote = try fixture.remoteContacts()
        #expect(local.count == 240, "\(failures)", sourceLocation: sourceLocation)
        #expect(Set(local.keys) == Set(remote.keys), sourceLocation: sourceLocation)
        for (phone, row) in local {
            #expect(remote[phone]?["name"]?.string == row.name, sourceLocation: sourceLocation)
        }
        try fixture.resetStats()
        #expect(try await fixture.sync().wroteNothing, sourceLocation: sourceLocation)
    }

    @Test(arguments: dialects) func a429StormWithRetryAfter(_ dialect: Dialect) async throws {
        let fixture = try fixture(dialect)
        try await expectConvergence(
            fixture, under: ["force_429_next": 6, "retry_after_seconds": 1], cycles: 1)
        #expect((try fixture.sim.stats()["total"]?.int ?? 0) > 0)
    }

    @Test(arguments: dialects) func a429StormWithNoHintAtAll(_ dialect: Dialect) async throws {
        try await expectConvergence(
            try fixture(dialect), under: ["force_429_next": 6, "hint_429": false], cycles: 1)
    }

    @Test(arguments: dialects) func oneInFiveAnswersIsA5xx(_ dialect: Dialect) async throws {
        try await expectConvergence(try fixture(dialect), under: ["server_error_rate": 0.2])
    }

    @Test(arguments: dialects) func connectionsCloseBeforeAndAfterWrites(_ dialect: Dialect) async throws {
        try await expectConvergence(
            try fixture(dialect), under: ["drop_before_rate": 0.1, "drop_after_rate": 0.1])
    }

    @Test(arguments: dialects) func latencySpikesPastTheTimeout(_ dialect: Dialect) async throws {
        try await expectConvergence(
            try fixture(dialect, timeout: 1), under: ["spike_rate": 0.05, "spike_ms": 1500])
    }

    @Test(arguments: dialects) func contactsComeAndGoWhileListing(_ dialect: Dialect) async throws {
        let fixture = try fixture(dialect)
        fixture.configuration.sync.deletes = .both
        try fixture.sim.faults(["churn_insert_per_page": 2, "churn_delete_per_page": 1])
        for _ in 0..<2 { _ = try? await fixture.sync() }
        try fixture.sim.control("DELETE", "/faults")
        try await fixture.sync()
        let local = try fixture.localRows()
        let remote = try fixture.remoteContacts()
        #expect(
            Set(local.keys) == Set(remote.keys),
            "vendor-side deletes confirmed by reading, then applied; inserts pulled")
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test(arguments: dialects) func malformedListingsApplyNoDeletes(_ dialect: Dialect) async throws {
        let fixture = try fixture(dialect)
        fixture.configuration.sync.deletes = .both
        try await fixture.sync()
        try fixture.sim.faults(["malformed_rate": 1, "methods": ["GET"]])
        await #expect { try await fixture.sync() } throws: { ($0 as? SyncError)?.kind == .listing }
        #expect(try fixture.localRows().count == 240)
        #expect(try fixture.remoteContacts().count == 240)
    }

    @Test(arguments: dialects) func aListPageCutShortIsFetchedAgain(_ dialect: Dialect) async throws {
        let fixture = try fixture(dialect)
        try fixture.sim.faults(["malformed_next": 2, "methods": ["GET"]])
        let report = try await fixture.sync()
        #expect(report.local.created == 120)
        #expect(try fixture.localRows().count == 240)
    }

    @Test func aCreateWhoseAnswerWasCutShortIsResolvedAsALostAnswer() async throws {
        let fixture = try fixture(.waply)
        try await fixture.sync()
        try fixture.insertLocal("+254799000001", name: "Cut short")
        try fixture.sim.faults(["malformed_next": 1, "methods": ["POST"]])
        try fixture.resetStats()
        let report = try await fixture.sync()
        #expect(report.rejected == 0, "not refused: the create happened")
        #expect(report.remote.created == 1)
        let posts = try fixture.sim.stats()["endpoints"]?["POST /v1/contacts"]
        #expect(posts == ["201": 1], "found by its phone, not posted again: \(String(describing: posts))")
        #expect(try fixture.remoteContacts()["+254799000001"]?["name"] == "Cut short")
        #expect(try await fixture.sync().wroteNothing)
    }
}
