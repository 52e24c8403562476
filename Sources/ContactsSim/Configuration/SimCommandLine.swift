/// The `contacts-sim` command line, parsed by hand (no third-party parser), with
/// swift-argument-parser's contract: `--help` goes to stdout with exit 0, a usage error to
/// stderr with exit 64.
public struct SimCommandLine: Sendable {
    public var configuration: SimConfiguration
    public var host = "127.0.0.1"
    public var port = 8080
    /// Contacts to seed at start (only into an empty store).
    public var seedCount = 0
    public var maxBodyBytes = 32 * 1024 * 1024
    public var showHelp = false

    public struct UsageError: Error, Sendable, CustomStringConvertible, Equatable {
        public let message: String
        public var description: String { message }
    }

    public static let usage = """
        USAGE: contacts-sim --dialect <sendystack|superwaba|waply|qlara> [options]

        Serves an emulator of one vendor's contacts API on loopback. The first line printed
        on stdout is the port; logs go to stderr.

        OPTIONS:
          --dialect NAME          sendystack, superwaba, waply or qlara (required)
          --host ADDR             IPv4 address to bind (default 127.0.0.1)
          --port N                port, 0 for any free one (default 8080)
          --seed N                seed N realistic contacts into an empty store
          --random-seed N         seed of ids, generated contacts and fault dice (default 1)
          --token TOKEN           the accepted credential, role owner (default sim-token)
          --org ID                SuperWaba organisation id (x-org-id)
          --email ADDR            SuperWaba login email     --password TEXT   its password
          --token-ttl SECONDS     SuperWaba access-token lifetime (default 3600)
          --custom-fields a,b     Waply's defined custom fields (default: any key)
          --duplicate-status N    Waply's answer to a duplicate phone: 409 or 422 (default 409)
          --rate N[/S]|unlimited  requests per rolling minute [and per second]; default: the vendor's
          --state FILE            keep the store in a SQLite file across restarts
          --fail-rate R           share of requests answered 500/502/503 (0 to 1)
          --drop-before R         share of requests whose connection closes before they apply
          --drop-after R          share of requests applied, then closed without an answer
          --malformed-rate R      share of successful answers with a truncated JSON body
          --latency-ms N          delay added to every request
          --spike-rate R --spike-ms N   a share of requests delayed N ms more
          --force-429 N           answer the next N requests with the vendor's 429
          --churn-insert N        contacts created before each list page is served
          --churn-delete N        contacts deleted before each list page is served
          --max-body BYTES        request body limit, answered 413 above it (default 32 MiB)
          -h, --help              show this help
        """

    public init(arguments: [String]) throws(UsageError) {
        var dialect: Dialect?
        var values: [(String, String)] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "-h" || argument == "--help" {
                showHelp = true
                continue
            }
            guard argument.hasPrefix("--") else {
                throw UsageError(message: "unexpected argument '\(argument)'")
            }
            var name = String(argument.dropFirst(2))
            var value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                guard index < arguments.count else { throw UsageError(message: "--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            if name == "dialect" {
                guard let parsed = Dialect(rawValue: value) else {
                    throw UsageError(
                        message: "unknown dialect '\(value)'; use sendystack, superwaba, waply or qlara")
                }
                dialect = parsed
            } else {
                values.append((name, value))
            }
        }
        if showHelp {
            configuration = SimConfiguration(dialect: dialect ?? .waply)
            return
        }
        guard let dialect else { throw UsageError(message: "--dialect is required") }
        configuration = SimConfiguration(dialect: dialect)
        for (name, value) in values { try apply(name, value) }
    }

    private mutating func apply(_ name: String, _ value: String) throws(UsageError) {
        switch name {
        case "host": host = value
        case "port": port = try Self.integer(name, value, in: 0...65535)
        case "seed": seedCount = try Self.integer(name, value, in: 0...10_000_000)
        case "random-seed": configuration.randomSeed = UInt64(try Self.integer(name, value, in: 0...Int.max))
        case "token": configuration.token = try Self.nonEmpty(name, value)
        case "org": configuration.organization = try Self.nonEmpty(name, value)
        case "email": configuration.email = try Self.nonEmpty(name, value)
        case "password": configuration.password = try Self.nonEmpty(name, value)
        case "token-ttl":
            configuration.tokenLifetimeSeconds = try Self.integer(name, value, in: 1...Int(Int32.max))
        case "custom-fields": configuration.customFields = value.split(separator: ",").map(String.init)
        case "duplicate-status":
            let status = try Self.integer(name, value, in: 409...422)
            guard status == 409 || status == 422 else {
                throw UsageError(message: "--duplicate-status must be 409 or 422")
            }
            configuration.duplicateStatus = status
        case "rate": configuration.rateLimit = try Self.rate(value)
        case "state": configuration.stateFile = try Self.nonEmpty(name, value)
        case "fail-rate": configuration.faults.serverErrorRate = try Self.share(name, value)
        case "drop-before": configuration.faults.dropBeforeRate = try Self.share(name, value)
        case "drop-after": configuration.faults.dropAfterRate = try Self.share(name, value)
        case "malformed-rate": configuration.faults.malformedRate = try Self.share(name, value)
        case "latency-ms":
            configuration.faults.latencyMilliseconds = try Self.integer(name, value, in: 0...600_000)
        case "spike-rate": configuration.faults.spikeRate = try Self.share(name, value)
        case "spike-ms":
            configuration.faults.spikeMilliseconds = try Self.integer(name, value, in: 0...600_000)
        case "force-429": configuration.faults.force429Next = try Self.integer(name, value, in: 0...Int.max)
        case "churn-insert":
            configuration.faults.churnInsertPerPage = try Self.integer(name, value, in: 0...10_000)
        case "churn-delete":
            configuration.faults.churnDeletePerPage = try Self.integer(name, value, in: 0...10_000)
        case "max-body": maxBodyBytes = try Self.integer(name, value, in: 1024...(1 << 30))
        default: throw UsageError(message: "unknown option '--\(name)'")
        }
    }

    private static func integer(_ name: String, _ value: String, in range: ClosedRange<Int>)
        throws(UsageError) -> Int
    {
        guard let number = Int(value), range.contains(number) else {
            throw UsageError(
                message:
                    "--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(value)'"
            )
        }
        return number
    }

    private static func share(_ name: String, _ value: String) throws(UsageError) -> Double {
        guard let number = Double(value), (0...1).contains(number) else {
            throw UsageError(message: "--\(name) must be a number from 0 to 1, got '\(value)'")
        }
        return number
    }

    private static func nonEmpty(_ name: String, _ value: String) throws(UsageError) -> String {
        guard !value.isEmpty else { throw UsageError(message: "--\(name) must not be empty") }
        return value
    }

    private static func rate(_ value: String) throws(UsageError) -> RateLimit? {
        if value == "unlimited" || value == "off" { return nil }
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let perMinute = Int(parts[0]), perMinute > 0 else {
            throw UsageError(message: "--rate must be N, N/S or unlimited, got '\(value)'")
        }
        var limit = RateLimit(perMinute: perMinute)
        if parts.count == 2 {
            guard let perSecond = Int(parts[1]), perSecond > 0 else {
                throw UsageError(message: "--rate must be N, N/S or unlimited, got '\(value)'")
            }
            limit.perSecond = perSecond
        }
        return limit
    }
}
