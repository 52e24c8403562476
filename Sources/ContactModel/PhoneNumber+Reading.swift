import Foundation

/// A phone number read from what a person typed, and the extension it carried (which no
/// vendor stores: it is dropped, and said so).
public struct TypedPhone: Sendable, Equatable {
    public let number: PhoneNumber
    public let droppedExtension: String?
}

extension PhoneNumber {
    /// The libphonenumber release whose metadata the numbering plans were generated from:
    /// which numbers are in use, and so how a typed phone is read, changes with it.
    public static let numberingPlansVersion = NumberingPlan.metadataVersion

    /// Whether this is a number in use in its country (a length and a range its numbering
    /// plan uses), not merely well-formed E.164.
    public var isInUse: Bool { PhoneNumber.inUse(e164.dropFirst()) != nil }

    /// Reads a phone number as people type it into a CRM, following each country's published
    /// numbering plan (libphonenumber's metadata): punctuation of any kind, labels (`Tel:`, a
    /// `tel:` URI), a spreadsheet's apostrophe or `.0`, any script's digits, an extension
    /// (`x12`, `ext. 5`, `#204`, `;ext=9`), a trunk prefix kept after the country code
    /// (`+44 (0)20…`, `+254 0712…`), the default country's international prefixes (`00`, `011`,
    /// `0011`, `8~10`...), its trunk prefix and how it changes the number (Argentina's `15`,
    /// Brazil's carrier codes, written out or as `0xx`), and a country code typed without `+`.
    ///
    /// Only numbers in use are read: anything else is refused with a reason a person
    /// understands, and digits that are two different numbers in use are refused too, never
    /// guessed — this number decides whose vendor contact a CRM row is.
    public static func read(_ raw: String, defaultCountry: String?) throws(PhoneNumberError) -> TypedPhone {
        // Most numbers (every vendor's, most CRMs') are already E.164: no parsing. One that is
        // not in use may still carry a trunk prefix (`+2540712345678`): it is read in full.
        if PhoneNumber(e164: raw) != nil, let valid = inUse(raw.dropFirst()) {
            return TypedPhone(number: valid, droppedExtension: nil)
        }
        let droppedExtension: String?
        let digits: String
        let hasPlus: Bool
        var carrierCodeLeftOpen = false
        if let plain = plainDigits(raw) {
            // Digits and punctuation only, as most typed numbers are: one pass over bytes.
            (digits, hasPlus, droppedExtension) = (plain.digits, plain.hasPlus, nil)
        } else {
            var text = TypedText(raw)
            carrierCodeLeftOpen = text.removeCarrierCodePlaceholder()
            droppedExtension = text.removeExtension()
            text.removeLabelAndTrailingWords()
            (digits, hasPlus) = try text.digits()
        }
        guard !digits.isEmpty else { throw .empty }
        let number = try read(digits: digits[...], hasPlus: hasPlus, defaultCountry: defaultCountry)
        // `0xx` leaves the choice of carrier to the caller in Brazil alone; anywhere else the
        // letters are no part of a number.
        if carrierCodeLeftOpen && !number.e164.hasPrefix("+" + Self.brazil) { throw .invalidCharacter("x") }
        return TypedPhone(number: number, droppedExtension: droppedExtension)
    }

    /// The digits of text made of ASCII digits and punctuation alone (a `+` only first), or
    /// `nil` for anything else.
    private static func plainDigits(_ raw: String) -> (digits: String, hasPlus: Bool)? {
        var digits = [UInt8]()
        digits.reserveCapacity(16)
        var hasPlus = false
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(byte)
            case UInt8(ascii: "+") where digits.isEmpty && !hasPlus: hasPlus = true
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "("),
                UInt8(ascii: ")"),
                UInt8(ascii: "/"), UInt8(ascii: "\t"):
                continue
            default: return nil
            }
        }
        // A trailing `.0` is a spreadsheet's, not a digit of the number: the slow path knows.
        if raw.utf8.last == UInt8(ascii: "0"), raw.utf8.contains(UInt8(ascii: ".")) { return nil }
        return (String(decoding: digits, as: UTF8.self), hasPlus)
    }

    private static func read(digits: Substring, hasPlus: Bool, defaultCountry: String?)
        throws(PhoneNumberError)
        -> PhoneNumber
    {
        if hasPlus { return try readInternational(digits) }
        guard let defaultCountry else {
            if digits.hasPrefix("00") { return try readInternational(digits.dropFirst(2)) }
            throw .nationalNumberWithoutCountry
        }
        guard let home = NumberingPlan.byCountry[defaultCountry.uppercased()] else {
            throw .unknownCountry(defaultCountry)
        }
        // Dialled abroad from home: the international prefix, then a calling code (which
        // never starts with 0), read by that calling code's plan alone.
        var abroad: Result<PhoneNumber, PhoneNumberError>?
        if let prefix = home.internationalPrefix, let length = prefix.prefixLength(digits), length > 0 {
            let rest = digits.dropFirst(length)
            if rest.first != "0" {
                abroad = Result { () throws(PhoneNumberError) in try readInternational(rest) }
            }
        }
        // A national number; or the home calling code typed without its `+`.
        let nationalDigits = home.strippingNationalPrefix(digits)
        let national =
            home.isInUseUnderCallingCode(nationalDigits)
            ? PhoneNumber(e164: "+" + home.callingCode + nationalDigits) : nil
        var withCode: PhoneNumber?
        if digits.hasPrefix(home.callingCode) {
            let rest = home.strippingNationalPrefix(digits.dropFirst(home.callingCode.count))
            if home.isInUseUnderCallingCode(rest) {
                withCode = PhoneNumber(e164: "+" + home.callingCode + rest)
            }
        }
        var readings: [PhoneNumber] = []
        for case let reading? in [national, withCode, try? abroad?.get()] where !readings.contains(reading) {
            readings.append(reading)
        }
        if readings.count > 1 {
            throw .ambiguous(national: readings[0].e164, international: readings[1].e164)
        }
        if let reading = readings.first { return reading }
        // A length the country uses, typed whole: the number is not in use, rather than short
        // by its trunk prefix or dialled abroad (`010-1234-5678` in Japan is no +1 number).
        if nationalDigits != digits && home.lengths.contains(digits.count) {
            throw .notInUse(country: home.name)
        }
        if case .failure(let problem)? = abroad { throw problem }
        throw home.problem(with: nationalDigits)
    }

    /// Digits after a `+` or an international prefix: a calling code, then the national
    /// number, from which a trunk prefix written out of habit (`+44 (0)20…`, `+254 0712…`) is
    /// dropped.
    ///
    /// The trunk prefix is the one of the calling code's main country, as libphonenumber reads
    /// it: another country sharing the code has rules for numbers dialled within it (Barbados
    /// puts 246 before seven digits), which say nothing of digits dialled from abroad.
    private static func readInternational(_ digits: Substring) throws(PhoneNumberError) -> PhoneNumber {
        guard let (code, national) = NumberingPlan.splitCallingCode(digits),
            let plans = NumberingPlan.byCallingCode[code], let main = plans.first
        else { throw .unknownCallingCode }
        if main.isInUseUnderCallingCode(national) { return try number(code, national) }
        let stripped = main.strippingNationalPrefix(national)
        if stripped != national && main.isInUseUnderCallingCode(stripped) {
            return try number(code, stripped)
        }
        throw main.problem(with: national)
    }

    /// Brazil's calling code, the one country whose numbers may be typed with `0xx`.
    private static let brazil = "55"

    private static func number(_ code: String, _ national: Substring) throws(PhoneNumberError) -> PhoneNumber
    {
        guard let number = PhoneNumber(e164: "+" + code + national) else {
            throw .invalidLength(code.count + national.count)
        }
        return number
    }
}

/// What a person typed, cleaned step by step down to digits.
private struct TypedText {
    var characters: [Character]

    init(_ raw: String) {
        // Full-width forms (digits, plus, letters) become their plain forms.
        let plain =
            raw.unicodeScalars.allSatisfy(\.isASCII) ? raw : raw.precomposedStringWithCompatibilityMapping
        characters = plain.map(Self.plain)
    }

    /// Any script's decimal digit as an ASCII digit; any dash as `-`.
    private static func plain(_ character: Character) -> Character {
        guard let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
            !scalar.isASCII
        else {
            return character
        }
        if scalar.properties.numericType == .decimal, let value = scalar.properties.numericValue {
            return Character(String(Int(value)))
        }
        if ["\u{2010}", "\u{2011}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{2015}", "\u{2212}"].contains(
            scalar)
        {
            return "-"
        }
        if scalar.properties.isWhitespace { return " " }
        return character
    }

    /// Removes the `xx` of a Brazilian number typed with its carrier code left open (`0xx11…`,
    /// `(0 xx 11)…`, `+55 0xx11…`), keeping the trunk `0`; says whether there was one.
    mutating func removeCarrierCodePlaceholder() -> Bool {
        guard characters.contains(where: { $0 == "x" || $0 == "X" }) else { return false }
        let text = String(characters)
        let range = NSRange(location: 0, length: text.utf16.count)
        guard let match = Self.carrierCodePlaceholder.firstMatch(in: text, range: range),
            let placeholder = Range(match.range(at: 1), in: text)
        else { return false }
        characters = Array(text[..<placeholder.lowerBound] + text[placeholder.upperBound...])
        return true
    }

    /// `0`, then `xx`, first in the number (after a label, a `+55` or a parenthesis).
    private static let carrierCodePlaceholder = Regex.make(#"^[^0-9+]*(?:\+\s*55[\s.-]*)?\(?\s*0\s*(xx)"#)

    /// Removes an extension at the end (`x12`, `ext. 5`, `extension 5`, `#204`, `;ext=9`) and
    /// returns its digits.
    mutating func removeExtension() -> String? {
        // Most numbers have none: look only where an extension's marks are.
        guard characters.contains(where: { "xX#;tT".contains($0) }) else { return nil }
        let text = String(characters)
        let range = NSRange(location: 0, length: text.utf16.count)
        guard let match = Self.extensionPattern.firstMatch(in: text, range: range),
            let digits = Range(match.range(at: 1), in: text), let whole = Range(match.range, in: text)
        else { return nil }
        let found = String(text[digits])
        characters = Array(text[..<whole.lowerBound])
        return found
    }

    /// `;ext=`, or `x`/`ext`/`extension`/`#` (with optional `.` or `:`) and up to seven
    /// digits, at the end of the text, after at least one digit.
    private static let extensionPattern = Regex.make(
        #"(?<=[0-9)\s.])\s*(?:;\s*ext\s*=\s*|,?\s*(?:e?xt(?:n|ension)?\.?|x|#)\s*[:.]?\s*)([0-9]{1,7})\s*#?\s*$"#
    )

    /// Drops a label before the number (`Tel:`, `Mobile -`, `tel:`, a spreadsheet's `'`) and
    /// words after it (`(office)`), and a spreadsheet's `.0`.
    mutating func removeLabelAndTrailingWords() {
        var text = String(characters).trimmingCharacters(in: .whitespaces)
        if text.lowercased().hasPrefix("tel:") {
            text = String(text.dropFirst(4))
            if let parameters = text.firstIndex(of: ";") { text = String(text[..<parameters]) }
        }
        if let start = text.firstIndex(where: { $0 == "+" || $0 == "(" || $0.isASCIIDigit }) {
            text = String(text[start...])
        }
        while let last = text.last, !last.isASCIIDigit && last != ")" { text.removeLast() }
        if text.hasSuffix(")"), let open = text.lastIndex(of: "("),
            text[text.index(after: open)...].contains(where: \.isLetter)
        {
            text = String(text[..<open]).trimmingCharacters(in: .whitespaces)
        }
        // A spreadsheet's number formatting: `254712345678.0`.
        if let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].allSatisfy({ $0 == "0" }),
            text[text.index(after: dot)...].count > 0,
            text[..<dot].drop(while: { $0 == "+" }).allSatisfy(\.isASCIIDigit)
        {
            text = String(text[..<dot])
        }
        characters = Array(text)
    }

    /// The digits, and whether a `+` led them; anything but punctuation is refused.
    func digits() throws(PhoneNumberError) -> (String, Bool) {
        var digits = ""
        var hasPlus = false
        for character in characters {
            if character.isASCIIDigit {
                digits.append(character)
            } else if character == "+" && digits.isEmpty && !hasPlus {
                hasPlus = true
            } else if !" .-/()\t~".contains(character) {
                throw .invalidCharacter(character)
            }
        }
        return (digits, hasPlus)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}

/// Builds the few regular expressions the reading uses, once.
private enum Regex {
    static func make(_ pattern: String) -> NSRegularExpression {
        // The patterns are fixed text in this file; a typo fails every test at once.
        try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }
}
