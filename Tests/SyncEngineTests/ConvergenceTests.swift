import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

/// Whatever happens during a sync — the CRM writing, the process killed — the next clean
/// cycles converge: both sides equal, no duplicates, no lost edit.
@Suite struct ConvergenceTests {
    /// Asserts both sides hold the same people with the same names.
    private func expectConverged(_ fixture: SyncFixture, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let local = try fixture.localRows()
        let remote = try fixture.remoteContacts()
        #expect(
            Set(local.keys) == Set(remote.keys), "the same phones on both sides",
            sourceLocation: sourceLocation)
        for (phone, row) in local {
            #expect(
                remote[phone]?["name"]?.string == row.name, "name of \(phone)", sourceLocation: sourceLocation
            )
        }
    }

    @Test func aCRMWritingDuringASyncLosesNothing() async throws {
        let fixture = try SyncFixture()
        try fixture.sim.seed(100)
        for index in 0..<100 {
            try fixture.insertLocal("+2547100\(String(10_000 + index))", name: "Local \(index)")
        }
        // Slow the vendor down so the CRM's writes land in the middle of the cycle.
        try fixture.sim.faults(["latency_ms": 30])
        let path = fixture.crmPath
        let writer = Task.detached { () throws -> Int in
            let crm = try Database(path: path, options: .init(create: false, walMode: false))
            var writes = 0
            for index in 0..<40 {
                try crm.run(
                    "INSERT INTO customers (full_name, mobile) VALUES (?, ?)",
                    [.text("Added during sync \(index)"), .text("+2547200\(String(10_000 + index))")])
                try crm.run(
                    "UPDATE customers SET full_name = ? WHERE mobile = ?",
                    [.text("Edited during sync \(index)"), .text("+2547100\(String(10_000 + index))")])
                writes += 2
                try await Task.sleep(nanoseconds: 15_000_000)
            }
            return writes
        }
        try await fixture.sync()
        #expect(try await writer.value == 80, "every CRM write went through while syncd held the database")
        try fixture.sim.control("DELETE", "/faults")
        try await fixture.sync()
        try expectConverged(fixture)
        let remote = try fixture.remoteContacts()
        #expect(remote["+254720010039"]?["name"] == "Added during sync 39")
        #expect(remote["+254710010039"]?["name"] == "Edited during sync 39")
        try fixture.resetStats()
        #expect(try await fixture.sync().wroteNothing)
    }

    @Test(arguments: ["delete", "wal"])
    func aCRMHoldingTheWriteLockIsWaitedFor(_ journalMode: String) async throws {
        let fixture = try SyncFixture(crmJournalMode: journalMode)
        try fixture.sim.seed(20)
        try await fixture.sync()
        try fixture.editRemote(
            try fixture.remoteContacts().keys.sorted()[0], ["name": "Edited on the vendor"])
        // The CRM application holds its write lock for a second while syncd wants to write.
        let released = try await fixture.holdLock("IMMEDIATE", seconds: 1)
        let report = try await fixture.sync()
        for try await _ in released {}
        #expect(report.local.updated == 1, "syncd waited for the lock instead of failing")
        #expect(try fixture.localRows().values.contains { $0.name == "Edited on the vendor" })
    }

    /// The built `syncd` next to the test bundle.
    private var syncd: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "syncd")
    }

    @Test(arguments: [Dialect.waply, .superwaba, .qlara])
    func killingSyncdAtRandomPointsNeverDuplicatesOrLosesAnything(_ dialect: Dialect) async throws {
        let fixture = try SyncFixture(dialect)
        try fixture.sim.seed(150)
        let shared = Array(try fixture.remoteContacts().keys.sorted().prefix(50))
        for phone in shared { try fixture.insertLocal(phone, name: "CRM copy") }
        for index in 0..<150 {
            try fixture.insertLocal("+2547300\(String(10_000 + index))", name: "Local \(index)")
        }
        // A first clean sync gives every later edit a base: each is then one-sided.
        try await fixture.sync()
        for index in 0..<150 {
            try fixture.insertLocal("+2547400\(String(10_000 + index))", name: "Added later \(index)")
        }
        try fixture.sim.seed(100, seed: 99)
        try fixture.sim.faults(["latency_ms": 30])
        let config = fixture.directory + "/config.json"
        try """
        {"local": {"database": "crm.sqlite", "table": "customers", "key": "id", "default_country": "KE",
                   "columns": {"phone": "mobile", "name": "full_name", "email": "email", "tags": "tags", "attributes": "extra", "updated_at": "updated_at"}},
         "remote": {"provider": "\(dialect.rawValue)", "base_url": "\(fixture.sim.simulator.baseURL)", "token_env": "SYNCD_TOKEN", "requests_per_minute": 1000000, "timeout_seconds": 5\(dialect == .superwaba ? #", "org_id": "\#(fixture.configuration.remote.organizationID ?? "")""# : "")},
         "sync": {"state": "state.sqlite"}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        var rounds = 0
        // Eight rounds, more while fewer than four runs were killed mid-cycle (a run that
        // finishes before its kill is a clean one), at most sixteen.
        while (rounds < 8 || killed < 4) && rounds < 16 {
            let round = rounds
            rounds += 1
            // Between attempts, the people on each side keep working.
            try fixture.updateLocal(shared[round], "full_name", .text("CRM edit \(round)"))
            try fixture.editRemote(shared[10 + round], ["name": .string("Vendor edit \(round)")])
            let process = ChildProcess()
            process.executableURL = syncd
            process.arguments = ["--once", "--config", config]
            process.environment = ["SYNCD_TOKEN": "sim-token"]
            try process.run()
            try await Task.sleep(nanoseconds: UInt64.random(in: 10_000_000...400_000_000, using: &generator))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
        }
        #expect(killed >= 4, "most runs were killed mid-cycle")
        try fixture.sim.control("DELETE", "/faults")
        try await fixture.sync()
        try expectConverged(fixture)
        #expect(try fixture.remoteContacts().count == 550)
        let remote = try fixture.remoteContacts()
        let local = try fixture.localRows()
        for round in 0..<rounds {
            #expect(remote[shared[round]]?["name"] == .string("CRM edit \(round)"), "no lost CRM edit")
            #expect(local[shared[10 + round]]?.name == "Vendor edit \(round)", "no lost vendor edit")
        }
        try fixture.resetStats()
        #expect(try await fixture.sync().wroteNothing)
    }
}
