public import ContactModel
import Foundation
public import JSON

#if canImport(Glibc)
    import Glibc
#endif

/// Log lines on stderr: priority-prefixed when stderr is the journal, plain and readable on a
/// terminal, JSON for log shippers.
///
/// Messages are composed by syncd itself from values that never include a credential (the
/// token is a `Secret`, which prints as `<redacted>`), so no log line can carry one.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable {
        // syslog priorities, as journald reads them from a `<N>` prefix.
        case error = 3
        case warning = 4
        case notice = 5
        case info = 6
        case debug = 7

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue > rhs.rawValue }

        var name: String {
            switch self {
            case .error: return "error"
            case .warning: return "warning"
            case .notice: return "notice"
            case .info: return "info"
            case .debug: return "debug"
            }
        }
    }

    public enum Format: String, Sendable {
        case plain, journal, json
    }

    public let format: Format
    public let minimum: Level
    private let clock: any WallClock

    public init(format: Format, minimum: Level = .info, clock: any WallClock = SystemClock()) {
        self.format = format
        self.minimum = minimum
        self.clock = clock
    }

    /// The format for this process: JSON when asked, journal prefixes when `JOURNAL_STREAM`
    /// names the device and inode of our stderr, plain otherwise.
    public static func detectFormat(requested: Format?, environment: [String: String]) -> Format {
        if let requested { return requested }
        guard let stream = environment["JOURNAL_STREAM"] else { return .plain }
        var info = stat()
        guard fstat(2, &info) == 0 else { return .plain }
        return stream == "\(info.st_dev):\(info.st_ino)" ? .journal : .plain
    }

    public func log(_ level: Level, _ message: String, fields: JSONObject = [:]) {
        guard level >= minimum else { return }
        Self.write(line(level, message, fields: fields) + "\n")
    }

    public func error(_ message: String, fields: JSONObject = [:]) { log(.error, message, fields: fields) }
    public func warning(_ message: String, fields: JSONObject = [:]) {
        log(.warning, message, fields: fields)
    }
    public func notice(_ message: String, fields: JSONObject = [:]) { log(.notice, message, fields: fields) }
    public func info(_ message: String, fields: JSONObject = [:]) { log(.info, message, fields: fields) }
    public func debug(_ message: String, fields: JSONObject = [:]) { log(.debug, message, fields: fields) }

    /// One formatted line, without the newline.
    public func line(_ level: Level, _ message: String, fields: JSONObject = [:]) -> String {
        let flat = message.replacingOccurrences(of: "\n", with: " ")
        switch format {
        case .journal:
            return "<\(level.rawValue)>\(flat)"
        case .plain:
            return "\(clock.now().iso8601(fractionalSeconds: true)) \(level.name.uppercased()) \(flat)"
        case .json:
            var object: JSONObject = [
                "time": .string(clock.now().iso8601(fractionalSeconds: true)), "level": .string(level.name),
                "message": .string(message),
            ]
            for (key, value) in fields { object[key] = value }
            return JSON.object(object).text
        }
    }

    private static func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.write(2, $0.baseAddress! + offset, $0.count - offset)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }
}
