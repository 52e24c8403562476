import Foundation
import Testing

@testable import ContactModel

/// Reading phones as people type them, measured against libphonenumber on a corpus of CRM-style
/// strings (`phone-corpus.tsv`, from `scripts/generate-phone-corpus.py`).
@Suite struct PhoneReadingTests {
    struct Row {
        let country: String
        let typed: String
        /// libphonenumber's reading, when it calls the number valid.
        let oracle: String?
        /// The number the person meant; `nil` for text that means no number.
        let meant: String?
        let kind: String
        /// syncd's reading; `nil` when it refuses the text.
        let read: String?

        var line: String { "\(country) \(typed) → \(read ?? "refused")" }
    }

    /// The corpus, each row read once.
    static let corpus: [Row] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "phone-corpus.tsv"
        ).path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5 else { return nil }
            return Row(
                country: fields[0], typed: fields[1], oracle: fields[2].isEmpty ? nil : fields[2],
                meant: fields[3].isEmpty ? nil : fields[3], kind: fields[4],
                read: try? PhoneNumber.read(fields[1], defaultCountry: fields[0]).number.e164)
        }
    }()

    @Test func theCorpusIsLargeAndWide() {
        #expect(Self.corpus.count >= 10000)
        #expect(Set(Self.corpus.map(\.country)).count >= 60)
        let kinds = Set(Self.corpus.map(\.kind))
        for kind in [
            "trunk prefix after +CC", "+CC (0)", "Italian leading 0", "Brazilian carrier code",
            "international prefix, trunk prefix", "abroad, local rules",
        ] {
            #expect(kinds.contains(kind), "no \(kind) in the corpus")
        }
    }

    @Test func agreesWithLibphonenumberWhereItReadsTheNumberMeant() {
        let rows = Self.corpus.filter { $0.oracle != nil && $0.oracle == $0.meant }
        let disagreements = rows.filter { $0.read != $0.oracle }
        let share = 1 - Double(disagreements.count) / Double(rows.count)
        print("valid numbers: \(rows.count), agreement \(String(format: "%.2f", share * 100))%")
        for (kind, all) in Dictionary(grouping: rows, by: \.kind).sorted(by: { $0.key < $1.key }) {
            print("  \(kind): \(all.filter { $0.read == $0.oracle }.count) of \(all.count)")
        }
        for row in disagreements.prefix(40) {
            print("  disagree: \(row.line) (libphonenumber \(row.oracle ?? ""))")
        }
        #expect(share >= 0.99)
    }

    @Test func refusesOrReadsAsMeantWhatLibphonenumberCallsInvalid() {
        let rows = Self.corpus.filter { $0.oracle == nil }
        let bad = rows.filter { $0.read != nil && $0.read != $0.meant }
        let share = 1 - Double(bad.count) / Double(rows.count)
        print(
            "invalid numbers: \(rows.count), refused or read as meant \(String(format: "%.2f", share * 100))%"
        )
        for row in bad.prefix(20) { print("  not refused: \(row.line) (meant \(row.meant ?? "nothing"))") }
        #expect(share >= 0.95)
    }

    @Test func neverReadsAnotherNumberThanTheOneMeant() {
        // Text that means no number is refused; a number is read as the one meant, or refused.
        let wrong = Self.corpus.filter { $0.read != nil && $0.read != $0.meant }
        print("read as another number than meant: \(wrong.count)")
        for row in wrong.prefix(20) { print("  WRONG: \(row.line) (meant \(row.meant ?? "nothing"))") }
        #expect(wrong.isEmpty)
        let misread = Self.corpus.filter { $0.oracle != nil && $0.meant != nil && $0.oracle != $0.meant }
        let safe = misread.filter { $0.read == nil || $0.read == $0.meant }
        print(
            "rows libphonenumber reads as another valid number than meant: \(misread.count); syncd refuses or reads as meant: \(safe.count)"
        )
    }

    @Test func neverReadsAnotherValidNumberThanLibphonenumber() {
        // Where libphonenumber reads the number meant, syncd reads that one or refuses. (Where
        // it reads another — the keypad digits of `(office)`, a spreadsheet's `.0` as a digit —
        // the number meant is the measure, above.)
        let other = Self.corpus.filter { row in
            guard let oracle = row.oracle, oracle == row.meant, let read = row.read else { return false }
            return read != oracle
        }
        print("read as another valid number than libphonenumber's: \(other.count)")
        for row in other.prefix(20) { print("  OTHER: \(row.line) (libphonenumber \(row.oracle ?? ""))") }
        #expect(other.isEmpty)
    }
}

/// What people type, read one by one: each form the CRM holds, and why a number is refused.
@Suite struct TypedPhoneTests {
    @Test(
        arguments: [
            ("+44 (0)20 7946 0958", "KE", "+442079460958"),
            ("254712345678", "KE", "+254712345678"),
            ("009 1 202 456 1111", "NG", "+12024561111"),
            ("0011 61 2 9876 5432", "AU", "+61298765432"),
            ("011 44 20 7946 0958", "US", "+442079460958"),
            ("8~10 1 202 456 1111", "RU", "+12024561111"),
            ("011 15 2345-6789", "AR", "+5491123456789"),
            ("0 21 11 98765-4321", "BR", "+5511987654321"),
            ("8 (812) 123-45-67", "RU", "+78121234567"),
            ("06 1234 5678", "IT", "+390612345678"),
            ("Tel: 0712 345 678", "KE", "+254712345678"),
            ("tel:+254-712-345-678;phone-context=ke", nil, "+254712345678"),
            ("'0712345678", "KE", "+254712345678"),
            ("０７１２ ３４５ ６７８", "KE", "+254712345678"),
            ("+٢٥٤٧١٢٣٤٥٦٧٨", nil, "+254712345678"),
            ("0712\u{2013}345\u{2013}678", "KE", "+254712345678"),
            ("0712 345 678 (office)", "KE", "+254712345678"),
            ("254712345678.0", "KE", "+254712345678"),
        ] as [(String, String?, String)])
    func readsWhatPeopleType(_ typed: String, _ country: String?, _ expected: String) throws {
        #expect(try PhoneNumber.read(typed, defaultCountry: country).number.e164 == expected)
    }

    @Test(arguments: [
        ("0712 345 678 x12", "12"), ("+254 712 345 678 ext. 5", "5"), ("0712345678 #204", "204"),
        ("tel:+254712345678;ext=77", "77"), ("0712 345 678 extension 9", "9"),
    ])
    func anExtensionIsReadAndDropped(_ typed: String, _ digits: String) throws {
        let read = try PhoneNumber.read(typed, defaultCountry: "KE")
        #expect(read.number.e164 == "+254712345678")
        #expect(read.droppedExtension == digits)
    }

    @Test(
        arguments: [
            ("0712 34", "KE", "too short for Kenya"),
            ("(123) 456-7890", "US", "not a number in use in United States"),
            ("0712 345 678 / 0722 345 678", "KE", "too long for Kenya"),
            ("+999 1234 5678", nil, "no country has that calling code"),
            ("0712 345 678, 0722 345 678", "KE", "',' is not allowed in a phone number"),
            ("0712345678", nil, "a national number needs a country"),
        ] as [(String, String?, String)])
    func saysWhyANumberIsRefused(_ typed: String, _ country: String?, _ reason: String) {
        #expect {
            try PhoneNumber.read(typed, defaultCountry: country)
        } throws: { error in
            "\(error)".hasPrefix(reason)
        }
    }

    @Test(
        arguments: [
            ("+254 0712 345678", "KE", "+254712345678"),
            ("+44 07400 123456", "GB", "+447400123456"),
            ("+91 09876543210", "IN", "+919876543210"),
            ("+2540712345678", "KE", "+254712345678"),
            ("+4407400123456", "US", "+447400123456"),
            ("+9109876543210", "IN", "+919876543210"),
            ("00254 0712 345678", "GB", "+254712345678"),
            ("+254 (0) 712 345678", "KE", "+254712345678"),
        ])
    func aTrunkZeroKeptAfterTheCountryCodeIsDropped(_ typed: String, _ country: String, _ expected: String)
        throws
    {
        #expect(try PhoneNumber.read(typed, defaultCountry: country).number.e164 == expected)
    }

    @Test func anItalianNumbersLeadingZeroIsPartOfIt() throws {
        #expect(try PhoneNumber.read("06 6982 1234", defaultCountry: "IT").number.e164 == "+390669821234")
    }

    @Test(arguments: [
        ("0xx11 98765-4321", "BR"), ("0 xx 11 98765-4321", "BR"), ("(0xx11) 98765-4321", "BR"),
        ("+55 0xx11 98765-4321", "KE"),
    ])
    func aBrazilianCarrierCodeLeftOpenIsDropped(_ typed: String, _ country: String) throws {
        #expect(try PhoneNumber.read(typed, defaultCountry: country).number.e164 == "+5511987654321")
    }

    @Test func aCarrierCodeLeftOpenIsBrazilsAlone() {
        #expect(throws: PhoneNumberError.invalidCharacter("x")) {
            try PhoneNumber.read("0xx712 345678", defaultCountry: "KE")
        }
    }

    @Test func anotherCountrysNumberDialledAbroadIsNotReadByItsLocalRules() {
        // Japan's international prefix, then +1 2345678: seven digits are no number in use
        // under +1, though Barbados reads seven digits dialled in Barbados as 246 numbers.
        #expect(throws: PhoneNumberError.notInUse(country: "Japan")) {
            try PhoneNumber.read("010-1234-5678", defaultCountry: "JP")
        }
    }

    @Test func digitsDialledAbroadThatAreAlsoANumberAtHomeAreNeverGuessed() {
        // Russia's 810, then Vietnam's +84 912345678; or Russia's own 14-digit 8 10 8… number.
        #expect(
            throws: PhoneNumberError.ambiguous(national: "+781084912345678", international: "+84912345678")
        ) {
            try PhoneNumber.read("810 84 912345678", defaultCountry: "RU")
        }
    }

    @Test func digitsThatAreTwoNumbersInUseAreNeverGuessed() {
        // German: a national number 49 30 123456 (in use), or +49 30 123456 (in use too).
        #expect(throws: PhoneNumberError.ambiguous(national: "+494930123456", international: "+4930123456")) {
            try PhoneNumber.read("4930123456", defaultCountry: "DE")
        }
    }
}
