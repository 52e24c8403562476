import Testing

@testable import ContactModel

@Suite struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-05-16T14:22:00.000Z", Int64(1_778_941_320_000)),
        ("2026-05-16T14:22:00Z", Int64(1_778_941_320_000)),
        ("2026-05-16T16:22:00+02:00", Int64(1_778_941_320_000)),
        ("2026-05-16T09:22:00-0500", Int64(1_778_941_320_000)),
        ("2026-05-16 14:22:00", Int64(1_778_941_320_000)),
        ("2026-05-16T14:22:00.123456Z", Int64(1_778_941_320_123)),
        ("2026-05-16T14:22:00.5Z", Int64(1_778_941_320_500)),
        ("2024-02-29T00:00:00Z", Int64(1_709_164_800_000)),
        ("1969-12-31T23:59:59.999Z", Int64(-1)),
        ("2026-05-16", Int64(1_778_889_600_000)),
    ])
    func parsesISO8601(_ text: String, _ milliseconds: Int64) {
        #expect(Timestamp(iso8601: text)?.millisecondsSinceEpoch == milliseconds)
    }

    @Test(arguments: [
        "", "2026", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-05-16T25:00:00Z",
        "2026-05-16T14:22:00.Z", "2026-05-16T14:22:00Q", "2026-05-16T14:22:00Z trailing", "yesterday",
    ])
    func rejectsInvalidText(_ text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test func formatsWithAndWithoutMilliseconds() {
        let moment = Timestamp(millisecondsSinceEpoch: 1_778_941_320_007)
        #expect(moment.iso8601(fractionalSeconds: true) == "2026-05-16T14:22:00.007Z")
        #expect(moment.iso8601(fractionalSeconds: false) == "2026-05-16T14:22:00Z")
        #expect(
            Timestamp(millisecondsSinceEpoch: -1).iso8601(fractionalSeconds: true)
                == "1969-12-31T23:59:59.999Z")
    }

    @Test(arguments: [
        "2026-07-03 07:05:35", "2026-07-03T07:05:35", "2026-07-03t07:05:35z", "2026-07-03T07:05:35.880Z",
        "2026-07-03 07:05:35,5", "2026-07-03T09:05:35.123000+02:00", "2026-07-03 02:05-0500",
        "2026-07-03T12:35:35+0530", "2026-07-03T09:05:35+02", "1969-12-31 23:59:59.9", "2026-07-03",
    ])
    func writesATimeInTheShapeItWasReadIn(_ text: String) throws {
        let moment = try #require(Timestamp(iso8601: text))
        let shape = try #require(TimestampShape(of: text))
        #expect(shape.text(for: moment) == text)
        #expect(shape.text(for: moment.adding(milliseconds: 86_400_000 + 61_000)).count == text.count)
    }

    @Test func roundTripsAcrossCenturies() {
        for days in stride(from: -719_000, to: 2_900_000, by: 997) {
            let moment = Timestamp(millisecondsSinceEpoch: Int64(days) * 86_400_000 + 12_345)
            #expect(Timestamp(iso8601: moment.iso8601(fractionalSeconds: true)) == moment)
        }
    }
}
