/// One of syncd's commands: how it is called, what it does and the options it takes.
///
/// The help text and the check that an option fits its command come from this one table, so
/// `syncd status --help` lists exactly the options `syncd status` accepts.
public enum Verb: String, Sendable, CaseIterable {
    case run
    case once = "--once"
    case status
    case check
    case conflicts
    case explain
    case demo
    case help

    /// One option: its spelling(s), the value it takes, and what it does.
    struct Option {
        let names: [String]
        let value: String?
        let meaning: String

        var synopsis: String { names.joined(separator: ", ") + (value.map { " \($0)" } ?? "") }
    }

    private static let config = Option(
        names: ["--config"], value: "FILE", meaning: "the JSON config (see README); default: $SYNCD_CONFIG")
    private static let json = Option(
        names: ["--json"], value: nil, meaning: "print one JSON object (its fields are listed in the README)")

    /// How to call it, one line a form.
    var usage: [String] {
        switch self {
        case .run: return ["syncd [run] --config FILE [--log-format plain|journal|json]"]
        case .once: return ["syncd --once --config FILE [--dry-run] [--list-changes] [--force]"]
        case .status: return ["syncd status --config FILE [--json]"]
        case .check: return ["syncd check --config FILE"]
        case .conflicts: return ["syncd conflicts --config FILE [--limit N]"]
        case .explain:
            return [
                "syncd explain PHONE --config FILE [--json]",
                "syncd explain row KEY --config FILE [--json]",
                "syncd explain VENDOR-ID --config FILE [--json]",
            ]
        case .demo: return ["syncd demo [--dir DIR] [--vendor waply|sendystack|superwaba|qlara]"]
        case .help: return ["syncd help [COMMAND]", "syncd [COMMAND] --help"]
        }
    }

    /// What it does, in a line or two.
    var summary: String {
        switch self {
        case .run:
            return """
                (the default) sync forever: a full cycle every sync.interval_seconds, CRM edits pushed
                within about a second; SIGTERM stops, SIGHUP reloads the config
                """
        case .once: return "run one full sync cycle, print a summary and exit"
        case .status: return "the last cycles, pending CRM changes, conflicts and contacts not synced"
        case .check:
            return """
                validate a setup and change nothing: the config, the CRM table, the state file, the
                folders, the credential (one read) and the request budget; one ok/warn/FAIL line each
                """
        case .conflicts: return "the conflict log, newest first"
        case .explain:
            return """
                one contact's CRM, vendor and last-synced values, and what the next cycle would do
                with it and why; the contact is named by any form 'syncd status' prints: a phone as
                typed in the CRM, 'row KEY' for a CRM row, or the vendor's contact id
                """
        case .demo:
            return
                "sync a demo CRM with the bundled emulator of a vendor's API (Waply unless --vendor names another), three times"
        case .help: return "show the help of syncd, or of one command"
        }
    }

    var options: [Option] {
        switch self {
        case .run:
            return [
                Self.config,
                Option(
                    names: ["--log-format"], value: "F",
                    meaning:
                        "plain, journal (<N> priority prefixes) or json; default: journal when stderr is the journal, plain otherwise"
                ),
            ]
        case .once:
            return [
                Self.config,
                Option(
                    names: ["--dry-run"], value: nil,
                    meaning: "plan the cycle and print what would change on each side; change nothing"),
                Option(names: ["--list-changes"], value: nil, meaning: "print one line a changed contact"),
                Option(
                    names: ["--force"], value: nil,
                    meaning: "go past the mass-delete guard (sync.max_delete_share)"),
            ]
        case .status: return [Self.config, Self.json]
        case .check: return [Self.config]
        case .conflicts:
            return [
                Self.config, Option(names: ["--limit"], value: "N", meaning: "show N entries (default 50)"),
            ]
        case .explain: return [Self.config, Self.json]
        case .demo:
            return [
                Option(
                    names: ["--dir"], value: "DIR",
                    meaning:
                        "keep the demo's files in DIR, which must be new or empty (default: a new temporary folder)"
                ),
                Option(
                    names: ["--vendor"], value: "V",
                    meaning: "waply (default), sendystack, superwaba or qlara"),
            ]
        case .help: return []
        }
    }

    /// The long options it accepts (besides `--help`), for the check that each given one fits.
    var accepts: Set<String> {
        var names = Set(options.flatMap(\.names))
        if self == .once { names.insert("--once") }
        return names
    }

    /// How the command is named in messages.
    var commandName: String { self == .once ? "syncd --once" : "syncd \(rawValue)" }

    private static let exitCodes = """
        EXIT CODES:
          0 synced; 2 synced but some contacts were refused; 3 stopped by the delete guard;
          64 usage; 69 vendor unavailable; 70 untrustworthy vendor answers; 73 cannot write;
          75 try again later (state file busy); 77 credential refused; 78 configuration error
        """

    private static func table(_ rows: [(String, String)]) -> [String] {
        rows.map { name, meaning in
            let lines = meaning.split(separator: "\n", omittingEmptySubsequences: false)
            let first = "  " + name.padded(18) + lines[0]
            return ([first] + lines.dropFirst().map { String(repeating: " ", count: 21) + $0 })
                .joined(separator: "\n")
        }
    }

    /// This command's help: its usage, what it does, its options only.
    var help: String {
        var lines =
            ["USAGE:"] + usage.map { "  " + $0 } + [
                "", summary.split(separator: "\n").joined(separator: " "),
            ]
        let rows = options.map { ($0.synopsis, $0.meaning) } + [("-h, --help", "show this help")]
        lines += ["", "OPTIONS:"] + Self.table(rows)
        if self != .help && self != .demo { lines += ["", Self.exitCodes] }
        return lines.joined(separator: "\n")
    }

    /// The help of `syncd` as a whole: every command, one line each, and where to read more.
    static var overview: String {
        var lines = ["USAGE:"] + allCases.flatMap { $0.usage.map { "  " + $0 } }
        lines += [
            "", "Two-way syncs contacts between a CRM table in SQLite and a vendor's contacts API.", "",
        ]
        lines += ["COMMANDS:"] + table(allCases.map { ($0.commandName.dropFirst(6).description, $0.summary) })
        lines += [
            "", "OPTIONS:",
            "  --config FILE     the JSON config (see README); default: $SYNCD_CONFIG",
            "  -h, --help        show this help; 'syncd COMMAND --help' shows one command's options",
            "  --version         show the version",
            "", exitCodes,
        ]
        return lines.joined(separator: "\n")
    }
}
