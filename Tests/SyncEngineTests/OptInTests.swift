import Configuration
import ContactModel
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import TestSupport
import Testing

/// Opt-in moves only on a person's answer: a vendor's default for a contact syncd created
/// (SuperWaba starts every contact opted out) is not one.
@Suite struct OptInTests {
    private func phone(_ index: Int) -> String { "+2547110001\(String(format: "%02d", index))" }

    private func optIns(_ fixture: SyncFixture) throws -> [Int?] {
        try fixture.crm.query("SELECT opt_in FROM customers ORDER BY id").map { $0.int(0) }
    }

    @Test(arguments: [1, 12]) func aFirstPushLeavesUnknownOptInsUnknown(_ count: Int) async throws {
        let fixture = try SyncFixture(.superwaba)
        for index in 1...count { try fixture.insertLocal(phone(index), name: "P\(index)") }
        let stamps = try fixture.crm.query("SELECT updated_at FROM customers ORDER BY id").map {
            $0.string(0)
        }
        let report = try await fixture.sync()
        #expect(report.remote.created == count)
        #expect(report.local.updated == 0, "the vendor's default is not written into the CRM")
        #expect(try optIns(fixture).allSatisfy { $0 == nil }, "unknown stays unknown")
        #expect(
            try fixture.crm.query("SELECT updated_at FROM customers ORDER BY id").map { $0.string(0) }
                == stamps)
        #expect(try await fixture.sync().wroteNothing)
        #expect(try optIns(fixture).allSatisfy { $0 == nil })

        // A vendor edit reaches the CRM without the vendor's default riding along.
        try fixture.editRemote(phone(count), ["name": "Edited on the dashboard"])
        #expect(try await fixture.sync().local.updated == 1)
        #expect(try fixture.localRows()[phone(count)]?.name == "Edited on the dashboard")
        #expect(try optIns(fixture).allSatisfy { $0 == nil })

        // A real answer still travels: the CRM's opt-in goes out, the vendor's STOP comes in.
        try fixture.updateLocal(phone(1), "opt_in", .integer(1), at: SyncFixture.time(1))
        try await fixture.sync()
        #expect(try fixture.remoteContacts()[phone(1)]?["opt_in"] == "opted_in")
        try fixture.sim.control("POST", "/contacts/\(try fixture.remoteID(phone(1)))/opt-out")
        try await fixture.sync()
        #expect(try optIns(fixture).first == 0, "a STOP recorded by the vendor wins")
    }

    private var syncd: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "syncd")
    }

    /// `syncd --once` killed with SIGKILL at seeded random points of a SuperWaba first push
    /// (between its bulk creates and the opt-in PATCHes among them): no opt-in is lost, none
    /// is invented, nobody is created twice.
    @Test func aFirstPushKilledAtRandomPointsKeepsEveryOptIn() async throws {
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        var generator = SeededRandom(seed: seed)
        let fixture = try SyncFixture(.superwaba)
        try fixture.crm.transaction {
            for index in 0..<600 {
                try fixture.crm.run(
                    "INSERT INTO customers (full_name, mobile, opt_in) VALUES (?, ?, ?)",
                    [
                        .text("P\(index)"), .text("+2547120\(String(10_000 + index))"),
                        index % 3 == 2 ? .null : .integer(1),
                    ])
            }
        }
        try fixture.sim.faults(["latency_ms": 20, "methods": ["PATCH", "POST"]])
        try fixture.writeConfig()
        var killed = 0
        var rounds = 0
        var ended: [String] = []
        while (rounds < 6 || killed < 3) && rounds < 14 {
            rounds += 1
            let process = ChildProcess()
            process.executableURL = syncd
            process.arguments = ["--once", "--config", fixture.configPath]
            process.environment = ["SYNCD_TOKEN": fixture.sim.token]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            // The kill is timed on a thread of its own: the test's tasks share a pool the
            // whole suite keeps busy, where a sleep can oversleep the push it meant to cut.
            let pid = process.processIdentifier
            let delay = UInt32.random(in: 30_000...900_000, using: &generator)
            Thread.detachNewThread {
                usleep(delay)
                kill(pid, SIGKILL)
            }
            process.waitUntilExit()
            if process.terminationStatus == 128 + SIGKILL { killed += 1 }
            if process.terminationStatus != 0 && process.terminationStatus < 128 {
                ended.append(
                    "exit \(process.terminationStatus): "
                        + String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            }
        }
        #expect(killed >= 3, "seed \(seed): runs were killed mid-push; runs that failed: \(ended)")
        try fixture.sim.faults([:])
        try await fixture.sync()
        let rows = try fixture.crm.query("SELECT mobile, opt_in FROM customers ORDER BY id")
        #expect(rows.count == 600, "seed \(seed)")
        let lost = rows.enumerated().filter { index, row in row.int(1) != (index % 3 == 2 ? nil : 1) }
        #expect(
            lost.isEmpty,
            "seed \(seed): \(lost.count) CRM opt-ins changed, e.g. \(lost.first.map { $0.element.string(0) ?? "" } ?? "")"
        )
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 600, "seed \(seed): nobody twice")
        let optedIn = rows.enumerated().filter { index, _ in index % 3 != 2 }.map {
            $0.element.string(0) ?? ""
        }
        let missing = optedIn.filter { remote[$0]?["opt_in"] != "opted_in" }
        #expect(missing.isEmpty, "seed \(seed): \(missing.count) opt-ins never reached SuperWaba")
        #expect(try await fixture.sync().wroteNothing, "seed \(seed)")
    }

    /// The bulk create went through but its answer was lost, so the opt-in PATCHes were never
    /// sent: the next run must send them, not copy SuperWaba's default over every opt-in.
    @Test func anInterruptedFirstPushKeepsEveryOptIn() async throws {
        let fixture = try SyncFixture(.superwaba)
        for index in 1...12 { try fixture.insertLocal(phone(index), name: "P\(index)", optIn: 1) }
        try fixture.sim.faults(["drop_after_next": 1, "methods": ["POST"], "path_contains": "bulk"])
        _ = try? await fixture.sync()
        try fixture.sim.faults([:])
        try await fixture.sync()
        #expect(try optIns(fixture) == Array(repeating: 1, count: 12))
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 12)
        #expect(
            remote.values.allSatisfy { $0["opt_in"] == "opted_in" }, "\(remote.values.map { $0["opt_in"] })")
        #expect(try await fixture.sync().wroteNothing)
    }
}
