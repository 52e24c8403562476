/// How a date-time text is written: its separator, whether it has seconds, how many digits of
/// fraction, and its zone.
///
/// A CRM column of times holds them in one shape (`2026-07-03 07:05:35` from SQLite's
/// `datetime()`, `2026-07-03T07:05:35.880Z` from JavaScript, a local time with its offset);
/// a time syncd writes there is written in the same shape, so that the CRM, its reports and
/// its sorting see one kind of value.
public struct TimestampShape: Sendable, Hashable {
    public enum OffsetStyle: Sendable, Hashable {
        /// `+02:00`
        case colon
        /// `+0200`
        case compact
        /// `+02`
        case hours
    }

    public enum Zone: Sendable, Hashable {
        /// No zone written: the time is UTC (as syncd reads such text).
        case none
        /// `Z` or `z`.
        case utc(Character)
        /// A fixed offset from UTC, in minutes.
        case offset(minutes: Int64, style: OffsetStyle)
    }

    /// `T`, `t` or a space between date and time; `nil` for a date alone.
    public var separator: Character?
    public var hasSeconds: Bool
    /// Digits after the seconds (0 for none); beyond milliseconds they are zeros.
    public var fractionDigits: Int
    /// `.` or `,` before the fraction.
    public var fractionMark: Character = "."
    public var zone: Zone

    /// `2026-05-16T15:00:00.000Z`: what syncd writes where nothing says otherwise.
    public static let iso8601UTC = TimestampShape(
        separator: "T", hasSeconds: true, fractionDigits: 3, zone: .utc("Z"))
    /// `2026-05-16T15:00:00Z`
    public static let iso8601UTCSeconds = TimestampShape(
        separator: "T", hasSeconds: true, fractionDigits: 0, zone: .utc("Z"))

    /// `moment` written in this shape (parts the shape lacks are cut off, not rounded).
    public func text(for moment: Timestamp) -> String {
        var offset: Int64 = 0
        if case .offset(let minutes, _) = zone { offset = minutes }
        let local = moment.millisecondsSinceEpoch + offset * 60_000
        let millis = ((local % 1000) + 1000) % 1000
        let seconds = (local - millis) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Timestamp.civilDate(fromDays: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        guard let separator else { return text }
        text.append(separator)
        text += pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2)
        if hasSeconds { text += ":" + pad(secondOfDay % 60, 2) }
        if hasSeconds && fractionDigits > 0 {
            let digits = pad(millis, 3)
            text.append(fractionMark)
            text +=
                fractionDigits <= 3
                ? String(digits.prefix(fractionDigits))
                : digits + String(repeating: "0", count: fractionDigits - 3)
        }
        switch zone {
        case .none: break
        case .utc(let letter): text.append(letter)
        case .offset(let minutes, let style):
            text += minutes < 0 ? "-" : "+"
            let hours = pad(abs(minutes) / 60, 2)
            let rest = pad(abs(minutes) % 60, 2)
            switch style {
            case .colon: text += hours + ":" + rest
            case .compact: text += hours + rest
            case .hours: text += hours
            }
        }
        return text
    }
}

extension TimestampShape {
    /// The shape of `text`, or `nil` when it is no ISO 8601 date-time.
    public init?(of text: String) {
        guard let (_, shape) = Timestamp.parse(iso8601: text) else { return nil }
        self = shape
    }
}
