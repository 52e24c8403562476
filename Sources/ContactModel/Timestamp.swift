/// A moment in UTC, in whole milliseconds since the Unix epoch.
///
/// Vendors write ISO 8601 with or without milliseconds (Waply: seconds, SuperWaba:
/// milliseconds) and CRMs store text or Unix seconds; comparing `updated_at` across them needs
/// one exact representation. Milliseconds are the finest precision any of them uses.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public init(secondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = secondsSinceEpoch * 1000
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    public var description: String { iso8601(fractionalSeconds: true) }
}

// MARK: - ISO 8601

extension Timestamp {
    /// `2026-05-16T15:00:00Z`, or with `fractionalSeconds` `2026-05-16T15:00:00.000Z`.
    public func iso8601(fractionalSeconds: Bool) -> String {
        (fractionalSeconds ? TimestampShape.iso8601UTC : TimestampShape.iso8601UTCSeconds).text(for: self)
    }

    /// Parses ISO 8601 / RFC 3339 date-times: `YYYY-MM-DDTHH:MM:SS`, optional fraction (any
    /// number of digits, kept to milliseconds), and `Z`, `+HH:MM`, `+HHMM` or no zone (read as
    /// UTC). A space may stand for the `T`, as SQLite's own `datetime()` writes it.
    public init?(iso8601 text: String) {
        guard let (moment, _) = Self.parse(iso8601: text) else { return nil }
        self = moment
    }

    /// The moment a date-time text names, and how the text is written.
    static func parse(iso8601 text: String) -> (Timestamp, TimestampShape)? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= bytes.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ characters: String) -> Character? {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return nil }
            index += 1
            return Character(UnicodeScalar(bytes[index - 1]))
        }
        guard let year = number(4), expect("-") != nil, let month = number(2), expect("-") != nil,
            let day = number(2), (1...12).contains(month), day >= 1,
            day <= Self.daysInMonth(year: year, month: month)
        else { return nil }
        var shape = TimestampShape(separator: nil, hasSeconds: false, fractionDigits: 0, zone: .none)
        var hour: Int64 = 0
        var minute: Int64 = 0
        var second: Int64 = 0
        var millis: Int64 = 0
        if index < bytes.count {
            guard let separator = expect("Tt "), let h = number(2), expect(":") != nil, let m = number(2),
                h < 24,
                m < 60
            else {
                return nil
            }
            shape.separator = separator
            hour = h
            minute = m
            if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                index += 1
                guard let s = number(2), s < 61 else { return nil }
                second = min(s, 59)
                shape.hasSeconds = true
            }
            if index < bytes.count, let mark = expect(".,") {
                var digits = 0
                while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                    if digits < 3 { millis = millis * 10 + Int64(bytes[index] - 48) }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { return nil }
                for _ in digits..<max(digits, 3) { millis *= 10 }
                shape.fractionMark = mark
                shape.fractionDigits = digits
            }
        }
        var offsetMinutes: Int64 = 0
        if index < bytes.count {
            if let letter = expect("Zz") {
                shape.zone = .utc(letter)
            } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                let sign: Int64 = bytes[index] == UInt8(ascii: "+") ? 1 : -1
                index += 1
                guard let oh = number(2), oh < 24 else { return nil }
                let colon = expect(":") != nil
                var om: Int64 = 0
                var style = TimestampShape.OffsetStyle.hours
                if colon || index < bytes.count {
                    guard let minutes = number(2), minutes < 60 else { return nil }
                    om = minutes
                    style = colon ? .colon : .compact
                }
                offsetMinutes = sign * (oh * 60 + om)
                shape.zone = .offset(minutes: offsetMinutes, style: style)
            } else {
                return nil
            }
        }
        guard index == bytes.count else { return nil }
        let days = Self.days(fromCivilYear: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return (Timestamp(millisecondsSinceEpoch: seconds * 1000 + millis), shape)
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, after Howard Hinnant's algorithms)

    static func days(fromCivilYear year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilDate(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
