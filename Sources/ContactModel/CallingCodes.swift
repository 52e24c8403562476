/// Country calling codes and trunk prefixes, for reading national numbers.
///
/// Covers the markets the supported vendors serve; a country missing here is reported as
/// unknown rather than guessed.
enum CallingCodes {
    struct Country: Sendable {
        let callingCode: String
        /// The national dialling prefix dropped in international form; `nil` where the leading
        /// digit is part of the number (Italy) or there is none.
        let trunkPrefix: String?
    }

    static let byCountry: [String: Country] = {
        let table: [(String, String, String?)] = [
            ("US", "1", "1"), ("CA", "1", "1"), ("GB", "44", "0"), ("IE", "353", "0"), ("DE", "49", "0"),
            ("FR", "33", "0"), ("ES", "34", nil), ("PT", "351", nil), ("IT", "39", nil), ("NL", "31", "0"),
            ("BE", "32", "0"), ("CH", "41", "0"), ("AT", "43", "0"), ("SE", "46", "0"), ("NO", "47", nil),
            ("DK", "45", nil), ("FI", "358", "0"), ("PL", "48", nil), ("CZ", "420", nil), ("GR", "30", nil),
            ("RO", "40", "0"), ("HU", "36", "06"), ("TR", "90", "0"), ("RU", "7", "8"), ("UA", "380", "0"),
            ("AE", "971", "0"), ("SA", "966", "0"), ("QA", "974", nil), ("KW", "965", nil), ("BH", "973", nil),
            ("OM", "968", nil), ("EG", "20", "0"), ("MA", "212", "0"), ("TN", "216", nil), ("DZ", "213", "0"),
            ("NG", "234", "0"), ("GH", "233", "0"), ("KE", "254", "0"), ("UG", "256", "0"), ("TZ", "255", "0"),
            ("RW", "250", "0"), ("ET", "251", "0"), ("ZA", "27", "0"), ("ZM", "260", "0"), ("ZW", "263", "0"),
            ("SN", "221", nil), ("CI", "225", nil), ("CM", "237", nil), ("IN", "91", "0"), ("PK", "92", "0"),
            ("BD", "880", "0"), ("LK", "94", "0"), ("NP", "977", "0"), ("ID", "62", "0"), ("MY", "60", "0"),
            ("SG", "65", nil), ("PH", "63", "0"), ("TH", "66", "0"), ("VN", "84", "0"), ("CN", "86", "0"),
            ("HK", "852", nil), ("JP", "81", "0"), ("KR", "82", "0"), ("AU", "61", "0"), ("NZ", "64", "0"),
            ("BR", "55", "0"), ("MX", "52", nil), ("AR", "54", "0"), ("CL", "56", nil), ("CO", "57", nil),
            ("PE", "51", "0"), ("IL", "972", "0"),
        ]
        var countries: [String: Country] = [:]
        for (iso, code, trunk) in table { countries[iso] = Country(callingCode: code, trunkPrefix: trunk) }
        return countries
    }()
}
