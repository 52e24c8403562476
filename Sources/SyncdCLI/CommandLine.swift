public import Vendors

/// What `syncd` was asked to do.
public enum SyncdCommand: Sendable, Equatable {
    case run(config: String, logFormat: String?)
    case once(config: String, dryRun: Bool, force: Bool, listChanges: Bool)
    case status(config: String)
    case conflicts(config: String, limit: Int)
    case explain(config: String, phone: String)
    case demo(directory: String?, vendor: Vendor)
    case help
    case version

    public static let usage = """
        USAGE:
          syncd [run] --config FILE [--log-format plain|journal|json]
          syncd --once --config FILE [--dry-run] [--list-changes] [--force]
          syncd status --config FILE
          syncd conflicts --config FILE [--limit N]
          syncd explain PHONE --config FILE
          syncd demo [--dir DIR] [--vendor waply|sendystack|superwaba|qlara]

        Two-way syncs contacts between a CRM table in SQLite and a vendor's contacts API.

        COMMANDS AND OPTIONS:
          run               (the default) sync forever: a full cycle every sync.interval_seconds,
                            CRM edits pushed within about a second; SIGTERM stops, SIGHUP reloads
          --log-format F    plain, journal (<N> priority prefixes) or json; default: journal when
                            stderr is the journal, plain otherwise
          --once            run one full sync cycle, print a summary and exit
          --dry-run         plan the cycle and print what would change on each side; change nothing
          --list-changes    print one line a changed contact
          --force           go past the mass-delete guard (sync.max_delete_share)
          --config FILE     the JSON config (see README); default: $SYNCD_CONFIG
          status            the last cycles, pending CRM changes, conflicts and refused contacts
          conflicts         the conflict log, newest first (--limit N, default 50)
          explain PHONE     show one contact's local, remote and last-synced values, and what
                            syncd would do with it and why
          demo              sync a demo CRM with the bundled emulator of a vendor's API (Waply unless
                            --vendor names another), three times
          -h, --help        show this help
          --version         show the version

        EXIT CODES:
          0 synced; 2 synced but some contacts were refused; 3 stopped by the delete guard;
          64 usage; 69 vendor unavailable; 70 untrustworthy vendor answers; 73 cannot write;
          75 try again later (state file busy); 77 credential refused; 78 configuration error
        """

    public struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses the arguments. An option that would do nothing for the command (`--force`
    /// without `--once`, `--limit` outside `conflicts`) is a usage error, not ignored.
    public static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError)
        -> SyncdCommand
    {
        let command = try parseIgnoringFit(arguments, environment: environment)
        let given = Set(
            arguments.compactMap { argument -> String? in
                guard argument.hasPrefix("--") else { return nil }
                let name = String(argument.prefix { $0 != "=" })
                return name == "--verbose" ? "--list-changes" : name
            })
        let allowed: Set<String>
        let name: String
        switch command {
        case .run: (name, allowed) = ("syncd run", ["--config", "--log-format"])
        case .once:
            (name, allowed) = (
                "syncd --once", ["--config", "--once", "--dry-run", "--force", "--list-changes"]
            )
        case .status: (name, allowed) = ("syncd status", ["--config"])
        case .conflicts: (name, allowed) = ("syncd conflicts", ["--config", "--limit"])
        case .explain: (name, allowed) = ("syncd explain", ["--config"])
        case .demo: (name, allowed) = ("syncd demo", ["--dir", "--vendor"])
        case .help, .version: return command
        }
        if let stray = given.subtracting(allowed).sorted().first {
            throw UsageError(message: "\(stray) does nothing with \(name); see syncd --help")
        }
        return command
    }

    private static func parseIgnoringFit(_ arguments: [String], environment: [String: String])
        throws(UsageError) -> SyncdCommand
    {
        var once = false
        var dryRun = false
        var force = false
        var listChanges = false
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
            case "-h", "--help": return .help
            case "--version": return .version
            case "--once": once = true
            case "--dry-run": dryRun = true
            case "--force": force = true
            case "--list-changes", "--verbose": listChanges = true
            case "--config", "-c": config = try value(argument)
            case "--dir": directory = try value(argument)
            case "--vendor": vendorName = try value(argument)
            case "--log-format":
                logFormat = try value(argument)
                guard ["plain", "journal", "json"].contains(logFormat!) else {
                    throw UsageError(message: "--log-format must be plain, journal or json")
                }
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
                } else if verb == nil && ["explain", "demo", "run", "status", "conflicts"].contains(argument)
                {
                    verb = argument
                } else {
                    positional.append(argument)
                }
            }
        }
        let configPath = config ?? environment["SYNCD_CONFIG"]
        switch verb {
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
            guard positional.count == 1 else { throw UsageError(message: "explain takes one phone number") }
            guard let configPath else { throw UsageError(message: "--config FILE is required") }
            return .explain(config: configPath, phone: positional[0])
        default:
            if let stray = positional.first { throw UsageError(message: "unexpected argument '\(stray)'") }
            guard let configPath else {
                throw UsageError(message: "--config FILE is required (or set SYNCD_CONFIG)")
            }
            switch verb {
            case "status": return .status(config: configPath)
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
