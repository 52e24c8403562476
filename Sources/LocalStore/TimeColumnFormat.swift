import ContactModel
import SQLite

/// The form a CRM column of times holds them in: text of one shape, or Unix time as a number.
///
/// syncd stamps `updated_at` when it writes a row; the stamp goes in the form the CRM's own
/// values have, so that the CRM's screens, reports and `ORDER BY` see one kind of value.
enum TimeColumnFormat: Sendable, Hashable {
    /// How a Unix time is stored.
    enum Storage: Sendable, Hashable {
        case integer
        case real
        /// Digits in a text column (SQLite keeps a number as text under TEXT affinity).
        case text
    }

    case text(TimestampShape)
    case epoch(Storage, milliseconds: Bool)

    /// What syncd writes where there is nothing to learn from.
    static let fallback = TimeColumnFormat.text(.iso8601UTC)

    /// The format of one stored value; `nil` for a value that is no time.
    init?(of value: DatabaseValue) {
        switch value {
        case .integer(let number) where number >= 0:
            self = .epoch(.integer, milliseconds: Self.isMilliseconds(Double(number)))
        case .real(let number) where number.isFinite && number >= 0:
            self = .epoch(.real, milliseconds: Self.isMilliseconds(number))
        case .text(let text):
            if let number = Int64(text), number >= 0 {
                self = .epoch(.text, milliseconds: Self.isMilliseconds(Double(number)))
            } else if let shape = TimestampShape(of: text) {
                self = .text(shape)
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// The format most of `samples` have (the first seen wins a tie). With no sample, a
    /// column declared INTEGER gets Unix seconds, one declared REAL fractional seconds, and
    /// any other ISO 8601 UTC text.
    static func learned(from samples: [DatabaseValue], declaredType: String) -> TimeColumnFormat {
        var counts: [TimeColumnFormat: Int] = [:]
        var order: [TimeColumnFormat] = []
        for format in samples.compactMap(TimeColumnFormat.init(of:)) {
            if counts[format] == nil { order.append(format) }
            counts[format, default: 0] += 1
        }
        if let best = order.max(by: { counts[$0, default: 0] < counts[$1, default: 0] }) {
            // `max` keeps the last of equals; the first seen should win.
            return order.first { counts[$0] == counts[best] } ?? best
        }
        let type = declaredType.uppercased()
        if type.contains("INT") { return .epoch(.integer, milliseconds: false) }
        if ["REAL", "FLOA", "DOUB"].contains(where: type.contains) {
            return .epoch(.real, milliseconds: false)
        }
        return fallback
    }

    /// `moment` as this format stores it.
    func value(for moment: Timestamp) -> DatabaseValue {
        let milliseconds = moment.millisecondsSinceEpoch
        switch self {
        case .text(let shape): return .text(shape.text(for: moment))
        case .epoch(.integer, let inMilliseconds):
            return .integer(inMilliseconds ? milliseconds : milliseconds / 1000)
        case .epoch(.real, let inMilliseconds):
            return .real(inMilliseconds ? Double(milliseconds) : Double(milliseconds) / 1000)
        case .epoch(.text, let inMilliseconds):
            return .text(String(inMilliseconds ? milliseconds : milliseconds / 1000))
        }
    }

    /// The same cut as `ColumnMapping.timestamp`: no time in seconds is that large before
    /// the year 5138, and no time in milliseconds that small after 1973.
    static func isMilliseconds(_ number: Double) -> Bool { number > millisecondsThreshold }
    static let millisecondsThreshold = 100_000_000_000.0
}
