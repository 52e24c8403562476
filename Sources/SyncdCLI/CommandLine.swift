public import Vendors

/// What `syncd` was asked to do.
public enum SyncdCommand: Sendable, Equatable {
    case run(config: String, logFormat: String?)
    case once(config: String, dryRun: Bool, force: Bool, listChanges: Bool)
    case status(config: String, json: Bool)
    case check(config: String)
    case conflicts(config: String, limit: Int)
    case explain(config: String, contact: String, json: Bool)
    case demo(directory: String?, vendor: Vendor)
    /// The help of one command, or of syncd as a whole (`nil`).
    case help(Verb?)
    case version

    /// The help of syncd as a whole.
    public static var usage: String { Verb.overview }

    public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        /// The command it was for, so the hint names that command's help.
        public var verb: Verb?
        public var description: String { message }
    }

    /// Parses the arguments. An option that would do nothing for the command (`--force`
    /// without `--once`, `--limit` outside `conflicts`) is a usage error, not ignored.
    public static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError)
        -> SyncdCommand
    {
        let verb = Self.verb(of: arguments)
        let command: SyncdCommand
        do {
            command = try parseIgnoringFit(arguments, environment: environment)
        } catch {
            throw UsageError(message: error.message, verb: error.verb ?? verb)
        }
        if case .help = command { return command }
        if case .version = command { return command }
        let given = Set(
            arguments.compactMap { argument -> String? in
                guard argument.hasPrefix("--") else { return nil }
                let name = String(argument.prefix { $0 != "=" })
                return name == "--verbose" ? "--list-changes" : name
            })
        if let stray = given.subtracting(verb.accepts).sorted().first {
            throw UsageError(
                message: "\(stray) does nothing with \(verb.commandName); see '\(verb.commandName) --help'",
                verb: verb)
        }
        return command
    }

    /// The command the arguments name: the first verb word, else `--once` (or `--dry-run`,
    /// which implies it), else `run`.
    static func verb(of arguments: [String]) -> Verb {
        let words: [Verb] = [.run, .status, .check, .conflicts, .explain, .demo, .help]
        for argument in arguments {
            if let verb = Verb(rawValue: argument), words.contains(verb) { return verb }
            if argument == "--once" || argument == "--dry-run" { return .once }
        }
        return .run
    }

    private static func parseIgnoringFit(_ arguments: [String], environment: [String: String])
        throws(UsageError) -> SyncdCommand
    {
        var once = false
        var dryRun = false
        var force = false
        var listChanges = false
        var json = false
        var wantsHelp = false
        var config: String?
        var directory: String?
        var logFormat: String?
        var vendorName: String?
        var limit = 50
        var verb: String?
        var positional: [String] = []
        var index = 0
        func value(_ name: String) throws(UsageError) -> String {
            guard index < arguments.count else { throw UsageError(message: "\(name) needs a value") }
            defer { index += 1 }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            switch argument {
            case "-h", "--help": wantsHelp = true
            case "--version": return .version
            case "--once": once = true
            case "--dry-run": dryRun = true
            case "--force": force = true
            case "--json": json = true
            case "--list-changes", "--verbose": listChanges = true
            case "--config", "-c": config = try value(argument)
            case "--dir": directory = try value(argument)
            case "--vendor": vendorName = try value(argument)
            case "--log-format":
                let format = try value(argument)
                guard ["plain", "journal", "json"].contains(format) else {
                    throw UsageError(message: "--log-format must be plain, journal or json")
                }
                logFormat = format
            case "--limit":
                let text = try value(argument)
                guard let number = Int(text), number > 0 else {
                    throw UsageError(message: "--limit must be a positive number")
                }
                limit = number
            default:
                if argument.hasPrefix("--config=") {
                    config = String(argument.dropFirst("--config=".count))
                } else if argument.hasPrefix("-")
                    && !(verb == "explain" && positional.isEmpty
                        && argument.dropFirst().first?.isNumber == true)
                {
                    throw UsageError(message: "unknown option '\(argument)'")
                } else if verb == nil
                    && ["explain", "demo", "run", "status", "check", "conflicts", "help"].contains(argument)
                {
                    verb = argument
                } else {
                    positional.append(argument)
                }
            }
        }
        if wantsHelp { return .help(Self.verb(of: arguments)) }
        if verb == "run" && (once || dryRun) {
            throw UsageError(
                message:
                    "syncd run syncs forever and --once runs one cycle: choose one ('syncd --once --config FILE' for one cycle)",
                verb: .run)
        }
        let configPath = config ?? environment["SYNCD_CONFIG"]
        switch verb {
        case "help":
            guard positional.count <= 1 else {
                throw UsageError(message: "unexpected argument '\(positional[1])'")
            }
            guard let name = positional.first else { return .help(nil) }
            guard let named = Verb(rawValue: name) ?? (name == "once" ? .once : nil) else {
                throw UsageError(
                    message:
                        "'\(name)' is not a syncd command (run, once, status, check, conflicts, explain, demo, help)"
                )
            }
            return .help(named)
        case "demo":
            guard positional.isEmpty else {
                throw UsageError(message: "unexpected argument '\(positional[0])'")
            }
            let names = Vendor.allCases.map(\.rawValue)
            guard let vendor = Vendor(rawValue: vendorName ?? "waply"), names.contains(vendor.rawValue) else {
                throw UsageError(message: "--vendor must be one of \(names.joined(separator: ", "))")
            }
            return .demo(directory: directory, vendor: vendor)
        case "explain":
            // `row KEY` names a CRM row by its key, as `syncd status` prints it.
            let contact =
                positional.count == 2 && positional[0] == "row"
                ? "row \(positional[1])" : positional.count == 1 ? positional[0] : nil
            guard let contact else {
                throw UsageError(message: "explain takes one contact: a phone, 'row KEY' or a vendor id")
            }
            guard let configPath else { throw UsageError(message: "--config FILE is required") }
            return .explain(config: configPath, contact: contact, json: json)
        default:
            if let stray = positional.first { throw UsageError(message: "unexpected argument '\(stray)'") }
            guard let configPath else {
                throw UsageError(message: "--config FILE is required (or set SYNCD_CONFIG)")
            }
            switch verb {
            case "status": return .status(config: configPath, json: json)
            case "check": return .check(config: configPath)
            case "conflicts": return .conflicts(config: configPath, limit: limit)
            default:
                if once || dryRun {
                    return .once(
                        config: configPath, dryRun: dryRun, force: force, listChanges: listChanges || dryRun)
                }
                return .run(config: configPath, logFormat: logFormat)
            }
        }
    }
}

extension SyncdCommand.UsageError {
    init(message: String) {
        self.init(message: message, verb: nil)
    }
}
