import Configuration
import Foundation
import LocalStore
import RemoteAPI
import SyncEngine
import Vendors

/// `syncd check`: whether a setup will work, before it is trusted with a CRM — the config,
/// the CRM table, the state file, the folders SQLite writes in, the credential and the
/// request budget — one line a check. It writes nothing anywhere: no triggers, no state
/// file, no CRM change, no vendor write; the credential is tried with one listing read.
enum Check {
    /// What has been said so far, and the exit code of the first failure.
    private struct Outcome {
        let console: any Console
        var code = ExitCode.success

        func ok(_ check: String, _ text: String) { console.out("ok \(check) \(text)") }
        func warn(_ check: String, _ text: String) { console.out("warn \(check) \(text)") }
        mutating func fail(_ check: String, _ code: ExitCode, _ text: String) {
            console.out("FAIL \(check) \(text)")
            if self.code == .success { self.code = code }
        }
        mutating func fail(_ check: String, _ error: any Error) {
            let failure = SyncEngine.storageError(error)
            fail(check, Syncd.exitCode(for: failure), failure.message)
        }
    }

    static func run(config path: String, environment: [String: String], console: any Console) async
        -> ExitCode
    {
        var outcome = Outcome(console: console)
        let configuration: SyncdConfiguration
        do {
            configuration = try SyncdConfiguration.load(path: path, environment: environment)
        } catch {
            outcome.fail("config", .configuration, "\(error)")
            return outcome.code
        }
        outcome.ok("config", path)
        for warning in ConfigurationAudit.warnings(configuration) { outcome.warn("config", warning) }

        // The state file names this syncd's place in the CRM's change log, so it is read
        // first; its line follows the CRM's.
        let path = configuration.sync.state
        let state = Result { () throws(LocalStoreError) -> StateStore? in
            FileManager.default.fileExists(atPath: path) ? try StateStore(readingOnly: path) : nil
        }
        let rows = readCRM(configuration, consumer: (try? state.get())?.meta("consumer_id"), &outcome)
        report(state, configuration, &outcome)
        if let problem = WritableFolders.problem(configuration) {
            outcome.fail("folders", .cannotWrite, problem)
        } else {
            outcome.ok("folders", "SQLite can create its journal beside the CRM and the state file")
        }
        await tryCredential(configuration.remote, &outcome)
        if let rows {
            let links = (try? state.get()?.linkCount()) ?? 0
            budget(configuration, rows: rows, links: links, outcome)
        }
        return outcome.code
    }

    /// The CRM opened read-only: its table, mapped and key columns, change capture and
    /// journal mode. Returns its row count, or `nil` when it cannot be used.
    private static func readCRM(
        _ configuration: SyncdConfiguration, consumer: String?, _ outcome: inout Outcome
    )
        -> Int?
    {
        let local = configuration.local
        do {
            let crm = try CRMDatabase(settings: local, consumer: consumer ?? "", readOnly: true)
            let rows = try crm.count()
            let installed = consumer == nil ? false : try crm.captureIsInstalled()
            let capture =
                installed
                ? "syncd's change capture is installed"
                : "syncd's change capture will be installed by the first run"
            outcome.ok(
                "crm",
                "table \(local.table) in \(local.database): \(rows) rows, every mapped column present, key column \(crm.keyColumn); \(capture); journal mode \(crm.journalMode()) (syncd never changes it)"
            )
            return rows
        } catch {
            outcome.fail("crm", error)
            return nil
        }
    }

    /// The state file, opened only to read: absent is fine, another account's is not.
    private static func report(
        _ opened: Result<StateStore?, LocalStoreError>, _ configuration: SyncdConfiguration,
        _ outcome: inout Outcome
    ) {
        let path = configuration.sync.state
        let state: StateStore
        switch opened {
        case .failure(let error):
            outcome.fail("state", error)
            return
        case .success(nil):
            outcome.ok("state", "\(path) does not exist yet: the first sync will create it")
            return
        case .success(let store?): state = store
        }
        if let mismatch = SyncEngine.accountMismatch(of: state, configuration) {
            outcome.fail("state", Syncd.exitCode(for: mismatch), mismatch.message)
        } else {
            let account =
                state.account()?.description
                ?? "no account recorded yet (the next sync records \(SyncEngine.account(configuration)))"
            outcome.ok(
                "state", "\(path) is readable, \((try? state.linkCount()) ?? 0) linked contacts, \(account)")
        }
    }

    /// One authenticated read through the same client and login a cycle uses: the first
    /// page of the listing.
    private static func tryCredential(_ remote: RemoteSettings, _ outcome: inout Outcome) async {
        let vendor = remote.provider.rawValue
        do {
            let client = try RemoteClients.make(
                remote, retry: RetryPolicy(maximumAttempts: 2, initialBackoff: 0.5, maximumBackoff: 2))
            try await client.beginCycle()
            var pages = client.listAll().makeAsyncIterator()
            _ = try await pages.next()
            outcome.ok("credential", "\(vendor) at \(remote.baseURL) accepted it (one listing page read)")
        } catch {
            guard case RemoteError.rejected(404, _, _) = error else {
                let failure = SyncEngine.storageError(error)
                let code = Syncd.exitCode(for: failure)
                let fix =
                    code == .credentialRefused
                    ? "; put the account's current API token where the config names it"
                    : code == .unavailable
                        ? "; check remote.base_url (\(remote.baseURL)) and the network" : ""
                outcome.fail("credential", code, "\(vendor) at \(remote.baseURL): \(failure.message)\(fix)")
                return
            }
            outcome.fail(
                "credential", .unavailable,
                "\(vendor) at \(remote.baseURL) answered 404 Not Found: the path of remote.base_url looks wrong; \(vendor)'s API lives at a URL like \(remote.provider.defaultBaseURL)"
            )
        }
    }

    /// How long a full cycle and the first sync take at this account's request budget.
    private static func budget(_ configuration: SyncdConfiguration, rows: Int, links: Int, _ outcome: Outcome)
    {
        let cost = FullCycleCost(
            contacts: max(rows, links), vendor: configuration.remote.provider,
            requestsPerMinute: configuration.remote.effectiveRequestsPerMinute)
        // The first sync also creates the CRM's rows at the vendor: one request a row at most.
        var first = cost
        first.requests += links == 0 ? rows : 0
        func time(_ cost: FullCycleCost) -> String {
            guard let seconds = cost.secondsAtBudget, let perMinute = cost.requestsPerMinute else {
                return "paced by the vendor's 429s (it publishes no budget)"
            }
            return "at least \(FullCycleCost.describe(seconds)) at \(perMinute) requests a minute"
        }
        if let warning = cost.warning(interval: configuration.sync.intervalSeconds) {
            outcome.warn("budget", warning)
        } else {
            outcome.ok(
                "budget",
                "a full cycle lists \(cost.contacts) contacts in \(cost.requests) requests, \(time(cost)); the first sync makes up to \(first.requests), \(time(first)); sync.interval_seconds is \(Int(configuration.sync.intervalSeconds))"
            )
        }
    }
}
