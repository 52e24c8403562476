import Configuration
import ContactModel
import Foundation
import JSON
import LocalStore
import SyncEngine
import Vendors

/// `syncd status` and `syncd conflicts`: read from the state file and the CRM's change log,
/// safe while the daemon runs (SQLite's WAL lets readers in during writes).
enum Status {
    static func run(config path: String, json: Bool, environment: [String: String], console: any Console)
        -> ExitCode
    {
        let configuration: SyncdConfiguration
        let state: StateStore?
        switch open(path, environment: environment, console: console) {
        case .success(let opened): (configuration, state) = opened
        case .failure(let code): return code
        }
        let report = StatusReport(configuration: configuration, state: state)
        if json {
            console.out(report.json.prettyText)
        } else {
            for line in report.lines { console.out(line) }
        }
        return .success
    }

    static func conflicts(
        config path: String, limit: Int, environment: [String: String], console: any Console
    ) -> ExitCode {
        let configuration: SyncdConfiguration
        let state: StateStore?
        switch open(path, environment: environment, console: console) {
        case .success(let opened): (configuration, state) = opened
        case .failure(let code): return code
        }
        let vendor = configuration.remote.provider.rawValue
        let conflicts = (try? state?.conflicts(limit: limit)) ?? []
        if conflicts.isEmpty { console.out("no conflicts logged") }
        for conflict in conflicts {
            console.out(
                "\(conflict.at.iso8601(fractionalSeconds: false))  \(conflict.phone)  \(conflict.field): CRM \(quote(conflict.local)), \(vendor) \(quote(conflict.remote)), last synced \(quote(conflict.base)) — \(conflict.winner) won (\(conflict.reason ?? ""))"
            )
        }
        return .success
    }

    /// The config and the state file (`nil` before the first sync), or the exit code that
    /// says why not: a state file that cannot be used gets the code `--once` gives it.
    private static func open(_ path: String, environment: [String: String], console: any Console) -> Result<
        (SyncdConfiguration, StateStore?), ExitCode
    > {
        let configuration: SyncdConfiguration
        do {
            configuration = try SyncdConfiguration.load(
                path: path, environment: environment, needsToken: false)
        } catch {
            console.err("syncd: configuration: \(error)")
            return .failure(.configuration)
        }
        guard FileManager.default.fileExists(atPath: configuration.sync.state) else {
            return .success((configuration, nil))
        }
        do {
            return .success((configuration, try StateStore(path: configuration.sync.state)))
        } catch {
            let failure = SyncEngine.storageError(error)
            console.err("syncd: \(failure.message)")
            return .failure(Syncd.exitCode(for: failure))
        }
    }

    private static func quote(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "—" }
}
