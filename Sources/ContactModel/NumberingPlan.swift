/// What syncd knows of one country's phone numbers: enough to read a national number and to
/// tell whether a string of digits can be a number of that country at all.
///
/// The table itself (`NumberingPlan.all`) is generated from libphonenumber's metadata; a
/// country missing there is reported as unknown rather than guessed.
struct NumberingPlan: Sendable {
    /// ISO 3166-1 alpha-2.
    let country: String
    let callingCode: String
    /// The national dialling prefix dropped in international form; `nil` where there is none
    /// or the leading digit is part of the number (Italy).
    let nationalPrefix: String?
    /// How many digits a national significant number of this country may have.
    let nationalLengths: [Int]

    static let byCountry: [String: NumberingPlan] = Dictionary(
        all.map { ($0.country, $0) }, uniquingKeysWith: { first, _ in first })

    /// Countries by calling code (several share `1` and `7`).
    static let byCallingCode: [String: [NumberingPlan]] = Dictionary(grouping: all, by: \.callingCode)

    /// Whether `digits` (a national significant number) has a length this country uses.
    func allows(_ digits: Substring) -> Bool { nationalLengths.contains(digits.count) }

    /// The countries whose calling code starts `digits` and for which the rest has a possible
    /// length: the ways `digits` reads as an international number.
    static func internationalReadings(of digits: String) -> [NumberingPlan] {
        (1...3).flatMap { length -> [NumberingPlan] in
            guard digits.count > length else { return [] }
            let plans = byCallingCode[String(digits.prefix(length))] ?? []
            return plans.filter { $0.allows(digits.dropFirst(length)) }
        }
    }
}
