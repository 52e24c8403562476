import Configuration
import ContactsSim
import Foundation
import JSON
import LocalStore
import SQLite
import SyncEngine
import TestSupport
import Testing
import Vendors

/// A state file's links name one vendor account's contacts: used against another account,
/// every CRM row would look unlinked there, or every vendor contact new here.
@Suite struct StateAccountTests {
    private func syncedWithTen(_ dialect: Dialect = .waply) async throws -> SyncFixture {
        let fixture = try SyncFixture(dialect)
        try fixture.sim.seed(10)
        try await fixture.sync()
        return fixture
    }

    private func expectRefused(_ fixture: SyncFixture, naming words: [String]) async throws {
        let crmRows = try fixture.crm.first("SELECT count(*) FROM customers")?.int(0)
        do {
            try await fixture.sync()
            Issue.record("a state file of another account was used")
        } catch let error as SyncError {
            #expect(error.kind == .configuration, "exit 78")
            for word in words { #expect(error.message.contains(word), "\(error.message)") }
            #expect(error.message.contains("sync.state"), "names the fix: \(error.message)")
        }
        #expect(try fixture.crm.first("SELECT count(*) FROM customers")?.int(0) == crmRows)
    }

    @Test func anotherBaseURLIsRefused() async throws {
        let fixture = try await syncedWithTen()
        let other = try SimHarness(.waply)
        try other.seed(10, seed: 99)
        let first = fixture.configuration.remote.baseURL
        fixture.configuration.remote.baseURL = other.simulator.baseURL
        try await expectRefused(fixture, naming: [first, other.simulator.baseURL])
    }

    @Test func anotherProviderIsRefused() async throws {
        let fixture = try await syncedWithTen()
        let other = try SimHarness(.qlara)
        fixture.configuration.remote.provider = .qlara
        fixture.configuration.remote.baseURL = other.simulator.baseURL
        fixture.configuration.remote.token = Secret(other.token)
        try await expectRefused(fixture, naming: ["waply", "qlara"])
    }

    @Test func anotherSuperWabaOrganisationIsRefused() async throws {
        let fixture = try await syncedWithTen(.superwaba)
        fixture.configuration.remote.organizationID = "org-another"
        try await expectRefused(fixture, naming: ["org-another"])
    }

    @Test func aRotatedKeyForTheSameAccountKeepsWorking() async throws {
        let fixture = try await syncedWithTen()
        try fixture.sim.control("POST", "/tokens", json: ["token": "rotated-token", "role": "owner"])
        fixture.configuration.remote.token = Secret("rotated-token")
        let report = try await fixture.sync()
        #expect(report.wroteNothing)
    }

    @Test func aStateFileFromBeforeAccountsWereRecordedAdoptsItsFirstAccount() async throws {
        let fixture = try await syncedWithTen()
        let state = try StateStore(path: fixture.configuration.sync.state)
        try state.database.run("DELETE FROM meta WHERE name LIKE 'account%'")
        #expect(try await fixture.sync().wroteNothing)
        fixture.configuration.remote.baseURL = "http://127.0.0.1:1/v1"
        try await expectRefused(fixture, naming: ["127.0.0.1:1"])
    }
}
