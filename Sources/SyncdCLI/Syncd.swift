import Configuration
import ContactModel
import Daemon
public import Foundation
import LocalStore
import RemoteAPI
import SyncEngine

/// The `syncd` command, as a library so tests run it in-process exactly as the binary does.
public enum Syncd {
    public static let version = "0.1.0"

    /// Runs a command line; returns the exit code.
    public static func main(
        arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        console: any Console = StandardConsole()
    ) async -> ExitCode {
        let command: SyncdCommand
        do {
            command = try SyncdCommand.parse(arguments, environment: environment)
        } catch {
            console.err("syncd: \(error)")
            console.err("Run '\(error.verb?.commandName ?? "syncd") --help' for usage.")
            return .usage
        }
        switch command {
        case .help(let verb):
            console.out(verb?.help ?? SyncdCommand.usage)
            return .success
        case .version:
            // Which numbers are in use, so how a CRM's phones are read, depends on the metadata.
            console.out("syncd \(version) (libphonenumber \(PhoneNumber.numberingPlansVersion) metadata)")
            return .success
        case .run(let config, let format):
            // A token that is nowhere, or a database folder syncd cannot write: say so before
            // the daemon starts, with the fix.
            do {
                let configuration = try SyncdConfiguration.load(path: config, environment: environment)
                if let problem = WritableFolders.problem(configuration) {
                    console.err("syncd: \(problem)")
                    return .cannotWrite
                }
            } catch  where error.missingCredential != nil {
                report(error, path: config, arguments: arguments, environment: environment, console: console)
                return .configuration
            } catch {}
            let logger = Logger(
                format: Logger.detectFormat(
                    requested: format.flatMap(Logger.Format.init(rawValue:)), environment: environment))
            let daemon = SyncDaemon(
                configPath: config, environment: environment, logger: logger,
                notifier: SystemdNotifier(environment: environment),
                makeRemote: { try RemoteClients.make($0) })
            return ExitCode(rawValue: await daemon.run()) ?? .software
        case .status(let config, let json):
            return Status.run(config: config, json: json, environment: environment, console: console)
        case .check(let config):
            return await Check.run(config: config, environment: environment, console: console)
        case .conflicts(let config, let limit):
            return Status.conflicts(config: config, limit: limit, environment: environment, console: console)
        case .once(let config, let dryRun, let force, let listChanges):
            return await once(
                config: config, options: SyncOptions(dryRun: dryRun, force: force, listChanges: listChanges),
                arguments: arguments, environment: environment, console: console)
        case .explain(let config, let contact, let json):
            return await Explain.run(
                config: config, contact: contact, json: json, arguments: arguments, environment: environment,
                console: console)
        case .demo(let directory, let vendor):
            return await Demo.run(directory: directory, vendor: vendor, console: console)
        }
    }

    /// Reads the config and builds the vendor client, or says what is wrong (exit 78).
    static func configured(
        _ path: String, arguments: [String], environment: [String: String], console: any Console
    ) -> (SyncdConfiguration, any RemoteContactsAPI)? {
        do {
            let configuration = try SyncdConfiguration.load(path: path, environment: environment)
            let remote = try RemoteClients.make(configuration.remote)
            for warning in ConfigurationAudit.warnings(configuration) { console.err("warning: \(warning)") }
            return (configuration, remote)
        } catch {
            report(error, path: path, arguments: arguments, environment: environment, console: console)
            return nil
        }
    }

    /// Prints a configuration error; a missing credential gets the whole command that runs
    /// this one with the service's credential.
    static func report(
        _ error: any Error, path: String, arguments: [String], environment: [String: String],
        console: any Console
    ) {
        console.err("syncd: configuration: \(error)")
        guard let credential = (error as? ConfigurationError)?.missingCredential,
            let configuration = try? SyncdConfiguration.load(
                path: path, environment: environment, needsToken: false)
        else { return }
        console.err(
            "syncd: to run this with the service's credential: "
                + ServiceCommand.line(
                    arguments: arguments, configuration: configuration, credential: credential))
    }

    /// `syncd --once`.
    static func once(
        config path: String, options: SyncOptions, arguments: [String] = [], environment: [String: String],
        console: any Console
    ) async -> ExitCode {
        guard
            let (configuration, remote) = configured(
                path, arguments: arguments, environment: environment, console: console)
        else { return .configuration }
        return await once(configuration, remote: remote, options: options, console: console)
    }

    /// One cycle with a ready configuration and client; prints the report.
    static func once(
        _ configuration: SyncdConfiguration, remote: any RemoteContactsAPI, options: SyncOptions,
        console: any Console
    ) async -> ExitCode {
        if !options.dryRun, let problem = WritableFolders.problem(configuration) {
            console.err("syncd: \(problem)")
            return .cannotWrite
        }
        func show(_ report: SyncReport) {
            for line in report.planLines { console.out(line) }
            for note in report.notes { console.err("note: \(note)") }
            console.out(report.summaryLine)
        }
        do {
            let report = try await SyncEngine(configuration: configuration, remote: remote).runOnce(options)
            show(report)
            return report.isPartial ? .partial : .success
        } catch {
            // A deferred cycle's writes are kept: they are shown as a finished cycle's are.
            if let report = error.report { show(report) }
            console.err("syncd: \(error.message)")
            return exitCode(for: error)
        }
    }

    static func exitCode(for error: SyncError) -> ExitCode {
        switch error.kind {
        case .configuration: return .configuration
        case .usage: return .usage
        case .credentialRefused: return .credentialRefused
        case .locked: return .temporaryFailure
        case .unavailable: return .unavailable
        case .deferred: return .temporaryFailure
        case .listing: return .software
        case .deleteGuard: return .deleteGuard
        case .storage: return .cannotWrite
        case .interrupted: return .temporaryFailure
        }
    }
}
