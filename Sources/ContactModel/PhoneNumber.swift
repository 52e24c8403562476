/// A phone number in E.164 form: `+`, then 8 to 15 digits, the first not zero.
///
/// Every vendor keeps phone numbers unique per account and compares them in this form, so it
/// is the key that links a CRM row to a remote contact.
public struct PhoneNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The canonical text, for example `+254700000000`.
    public let e164: String

    /// Accepts only text that already is E.164, with no spaces or punctuation.
    public init?(e164 text: String) {
        let utf8 = text.utf8
        guard utf8.first == UInt8(ascii: "+") else { return nil }
        let digits = utf8.dropFirst()
        guard (8...15).contains(digits.count), digits.first != UInt8(ascii: "0"),
            digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        e164 = text
    }

    /// Normalizes what people type: strips spaces and punctuation, reads `00` as `+`, and
    /// reads a national number (`0712 345 678`) in `defaultCountry` (ISO 3166-1 alpha-2),
    /// dropping its trunk prefix.
    public static func normalize(_ raw: String, defaultCountry: String? = nil) throws(PhoneNumberError)
        -> PhoneNumber
    {
        // Most numbers (every vendor's) already are E.164: a check of bytes, no parsing.
        if let exact = PhoneNumber(e164: raw) { return exact }
        let trimmed = raw.trimmingSpaces
        guard !trimmed.isEmpty else { throw .empty }
        var digits = ""
        var hasPlus = false
        for character in trimmed {
            if character.isASCII, let digit = character.wholeNumberValue {
                digits.append(String(digit))
            } else if character == "+" && digits.isEmpty && !hasPlus {
                hasPlus = true
            } else if Self.separators.contains(character) {
                continue
            } else {
                throw .invalidCharacter(character)
            }
        }
        guard !digits.isEmpty else { throw .empty }
        var international: String
        if hasPlus {
            international = digits
        } else if digits.hasPrefix("00") {
            international = String(digits.dropFirst(2))
        } else {
            guard let defaultCountry else { throw .nationalNumberWithoutCountry }
            guard let country = NumberingPlan.byCountry[defaultCountry.uppercased()] else {
                throw .unknownCountry(defaultCountry)
            }
            var national = Substring(digits)
            if let trunk = country.nationalPrefix, national.hasPrefix(trunk) {
                national = national.dropFirst(trunk.count)
            }
            international = country.callingCode + national
        }
        guard international.first != "0" else { throw .invalidLength(international.count) }
        guard (8...15).contains(international.count) else { throw .invalidLength(international.count) }
        // The digits were checked above, so this cannot fail.
        return PhoneNumber(e164: "+" + international)!
    }

    /// Reads a phone stored as a number (an INTEGER or REAL column): the digits it holds,
    /// which lost any `+` or leading `0` on the way in. They are read as an international
    /// number when they can only be one (`14155550100`: too long for a Kenyan number) or
    /// start with the default country's own calling code, and as a national number of
    /// `defaultCountry` when they can only be that. Digits that read as two different numbers
    /// are refused, never guessed.
    public static func fromStoredDigits(_ digits: String, defaultCountry: String?) throws(PhoneNumberError)
        -> PhoneNumber
    {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            throw .empty
        }
        let international = NumberingPlan.internationalReadings(of: digits)
        guard let defaultCountry else { return try normalize("+" + digits) }
        guard let home = NumberingPlan.byCountry[defaultCountry.uppercased()] else {
            throw .unknownCountry(defaultCountry)
        }
        if international.contains(where: { $0.callingCode == home.callingCode })
            || (!international.isEmpty && !home.allows(Substring(digits)))
        {
            return try normalize("+" + digits)
        }
        guard home.allows(Substring(digits)) else { throw .invalidLength(digits.count) }
        guard international.isEmpty else {
            throw .ambiguous(national: "+" + home.callingCode + digits, international: "+" + digits)
        }
        return try normalize("+" + home.callingCode + digits)
    }

    public static func < (lhs: PhoneNumber, rhs: PhoneNumber) -> Bool { lhs.e164 < rhs.e164 }

    public var description: String { e164 }

    /// Punctuation people put in phone numbers, all safe to drop.
    private static let separators: Set<Character> = [
        " ", "\u{00A0}", "-", "\u{2010}", "\u{2011}", ".", "(", ")", "/", "\t",
    ]
}

/// Why a text is not a phone number.
public enum PhoneNumberError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case invalidCharacter(Character)
    case nationalNumberWithoutCountry
    case unknownCountry(String)
    case invalidLength(Int)
    /// Digits from a numeric column that read as two different numbers.
    case ambiguous(national: String, international: String)

    public var description: String {
        switch self {
        case .empty: return "no phone number"
        case .invalidCharacter(let character): return "'\(character)' is not allowed in a phone number"
        case .nationalNumberWithoutCountry:
            return "a national number needs a country (set local.default_country or store it with +)"
        case .unknownCountry(let code): return "unknown country code '\(code)'"
        case .invalidLength(let count): return "\(count) digits; E.164 allows 8 to 15 and no leading 0"
        case .ambiguous(let national, let international):
            return
                "stored as a number, it reads as \(national) or \(international); store it as text with its +"
        }
    }
}

extension String {
    var trimmingSpaces: Substring {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}
