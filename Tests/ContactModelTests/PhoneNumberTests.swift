import Testing

@testable import ContactModel

@Suite struct PhoneNumberTests {
    @Test(arguments: ["+254700000000", "+14155552671", "+12345678", "+123456789012345"])
    func acceptsStrictE164(_ text: String) {
        #expect(PhoneNumber(e164: text)?.e164 == text)
    }

    @Test(arguments: [
        "254700000000", "+0254700000000", "+1234567", "+1234567890123456", "+254 700 000 000",
        "+2547000000a0", "",
    ])
    func rejectsAnythingElseAsStrictE164(_ text: String) {
        #expect(PhoneNumber(e164: text) == nil)
    }

    @Test(
        arguments: [
            ("+254 700-000 000", nil, "+254700000000"),
            ("(+44) 7911 123456", nil, "+447911123456"),
            ("00254700000000", nil, "+254700000000"),
            ("0712 345 678", "KE", "+254712345678"),
            ("07911 123456", "gb", "+447911123456"),
            ("(415) 555-2671", "US", "+14155552671"),
            ("1 415 555 2671", "US", "+14155552671"),
            ("06 1234 5678", "IT", "+390612345678"),
            ("\u{00A0}+971 50 123 4567 ", nil, "+971501234567"),
        ] as [(String, String?, String)])
    func normalizesWhatPeopleType(_ raw: String, _ country: String?, _ expected: String) throws {
        #expect(try PhoneNumber.normalize(raw, defaultCountry: country).e164 == expected)
    }

    @Test func explainsWhyANumberIsRejected() {
        #expect(throws: PhoneNumberError.empty) { try PhoneNumber.normalize("  ") }
        #expect(throws: PhoneNumberError.nationalNumberWithoutCountry) {
            try PhoneNumber.normalize("0712345678")
        }
        #expect(throws: PhoneNumberError.unknownCountry("XX")) {
            try PhoneNumber.normalize("0712345678", defaultCountry: "XX")
        }
        #expect(throws: PhoneNumberError.invalidCharacter("x")) { try PhoneNumber.normalize("+1415555x2671") }
        #expect(throws: PhoneNumberError.invalidLength(4)) { try PhoneNumber.normalize("+1234") }
        #expect(throws: PhoneNumberError.invalidLength(16)) { try PhoneNumber.normalize("+1234567890123456") }
        #expect(throws: PhoneNumberError.invalidCharacter("+")) { try PhoneNumber.normalize("254+700000000") }
    }
}
