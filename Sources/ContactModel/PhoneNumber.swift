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
    /// number and as a national number of `defaultCountry`; the reading that is a number in
    /// use wins, and digits that are two different numbers in use are refused, never guessed.
    public static func fromStoredDigits(_ digits: String, defaultCountry: String?) throws(PhoneNumberError)
        -> PhoneNumber
    {
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            throw .empty
        }
        let international = PhoneNumber.inUse(digits[...])
        guard let defaultCountry else {
            guard let international else { throw PhoneNumber.problem(withInternational: digits[...]) }
            return international
        }
        guard let home = NumberingPlan.byCountry[defaultCountry.uppercased()] else {
            throw .unknownCountry(defaultCountry)
        }
        let nationalDigits = home.strippingNationalPrefix(digits[...])
        let national =
            home.isInUseUnderCallingCode(nationalDigits)
            ? PhoneNumber(e164: "+" + home.callingCode + nationalDigits) : nil
        switch (national, international) {
        case (let national?, let international?) where national != international:
            throw .ambiguous(national: national.e164, international: international.e164)
        case (let national?, _): return national
        case (nil, let international?): return international
        case (nil, nil): throw home.problem(with: nationalDigits)
        }
    }

    /// The number in use that `digits` (calling code first) spell, if any.
    static func inUse(_ digits: Substring) -> PhoneNumber? {
        guard let (code, national) = NumberingPlan.splitCallingCode(digits),
            let plans = NumberingPlan.byCallingCode[code], plans.contains(where: { $0.isInUse(national) })
        else { return nil }
        return PhoneNumber(e164: "+" + digits)
    }

    /// Why `digits` (calling code first) are no number in use.
    static func problem(withInternational digits: Substring) -> PhoneNumberError {
        guard let (code, national) = NumberingPlan.splitCallingCode(digits),
            let plan = NumberingPlan.byCallingCode[code]?.first
        else { return .unknownCallingCode }
        return plan.problem(with: national)
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
    /// Digits that read as two different numbers in use.
    case ambiguous(national: String, international: String)
    case tooShort(country: String)
    case tooLong(country: String)
    /// The right length, but no range of the country's numbers in use.
    case notInUse(country: String)
    case unknownCallingCode

    public var description: String {
        switch self {
        case .empty: return "no phone number"
        case .invalidCharacter(let character): return "'\(character)' is not allowed in a phone number"
        case .nationalNumberWithoutCountry:
            return "a national number needs a country (set local.default_country or store it with +)"
        case .unknownCountry(let code): return "unknown country code '\(code)'"
        case .invalidLength(let count): return "\(count) digits; E.164 allows 8 to 15 and no leading 0"
        case .ambiguous(let national, let international):
            return "it reads as \(national) or as \(international); store it with its + and country code"
        case .tooShort(let country): return "too short for \(country)"
        case .tooLong(let country): return "too long for \(country)"
        case .notInUse(let country): return "not a number in use in \(country)"
        case .unknownCallingCode: return "no country has that calling code"
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
