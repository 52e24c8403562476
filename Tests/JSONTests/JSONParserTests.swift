import Testing

@testable import JSON

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let json = try JSON.parse(
            #"{"a":1,"b":-2.5e3,"c":"x","d":true,"e":false,"f":null,"g":[1,[2]],"h":{}}"#)
        #expect(json["a"] == .int(1))
        #expect(json["b"] == .double(-2500))
        #expect(json["c"] == .string("x"))
        #expect(json["d"] == .bool(true))
        #expect(json["e"] == .bool(false))
        #expect(json["f"] == .null)
        #expect(json["g"] == [1, [2]])
        #expect(json["h"] == .object(JSONObject()))
    }

    @Test func keepsBooleansAndIntegersApart() throws {
        let json = try JSON.parse("[1, true, 1.0]")
        #expect(json.array == [.int(1), .bool(true), .double(1)])
        #expect(JSON.bool(true).int == nil)
        #expect(JSON.double(12).int == 12)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let json = try JSON.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude80""#)
        #expect(json.string == "a\"b\\c/d\n\té🚀")
    }

    @Test func keepsNonASCIIText() throws {
        let text = "Adébáyọ̀ محمد अर्जुन 🚀"
        #expect(try JSON.parse(JSON.string(text).serialized).string == text)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "\"abc", "\"a\u{01}b\"", "tru", "nul",
        "{\"a\" 1}",
        "[1 2]", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "1 2", "{1:2}", "\"\\u12g4\"",
    ])
    func rejectsInvalidDocuments(_ text: String) {
        #expect(throws: JSONError.self) { try JSON.parse(text) }
    }

    @Test func reportsTheOffsetOfAnError() {
        #expect(throws: JSONError(offset: 6, reason: "expected ',' or ']'")) { try JSON.parse("[1, 2 3]") }
    }

    @Test func capsNestingInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONError.self) { try JSON.parse(deep) }
        let allowed = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { try JSON.parse(allowed) }
    }

    @Test func acceptsLargeIntegersAsDoubles() throws {
        #expect(try JSON.parse("123456789012345678901234567890") == .double(1.2345678901234568e29))
        #expect(try JSON.parse("9223372036854775807") == .int(Int.max))
    }
}

@Suite struct JSONSerializationTests {
    @Test func roundTripsThroughText() throws {
        let value: JSON = [
            "id": "con_1", "tags": ["a", "b"], "n": 3, "x": 1.5, "ok": true, "none": nil,
            "nested": ["k": "v"],
        ]
        #expect(try JSON.parse(value.serialized) == value)
        #expect(try JSON.parse(value.prettyText) == value)
    }

    @Test func keepsMemberOrderAndEscapesControlCharacters() {
        let value: JSON = ["b": "line\nbreak \"quoted\" \u{01}", "a": 1]
        #expect(value.text == #"{"b":"line\nbreak \"quoted\" \u0001","a":1}"#)
    }

    @Test func writesNonFiniteNumbersAsNull() {
        #expect(JSON.double(.infinity).text == "null")
        #expect(JSON.double(.nan).text == "null")
    }

    @Test func objectEqualityIgnoresOrder() {
        let lhs: JSON = ["a": 1, "b": 2]
        let rhs: JSON = ["b": 2, "a": 1]
        #expect(lhs == rhs)
        #expect(lhs.hashValue == rhs.hashValue)
    }

    @Test func settingNilRemovesAMember() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = nil
        object["b"] = 3
        #expect(object.memberNames == ["b"])
        #expect(object["b"] == 3)
    }
}
