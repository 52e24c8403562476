import Testing

@testable import JSON

/// A listing page parsed but for its array of contacts, whose elements stay bytes.
@Suite struct PartlyParsedJSONTests {
    func parse(_ text: String, _ path: [String]) throws -> PartlyParsedJSON {
        try PartlyParsedJSON(Array(text.utf8), deferringArrayAt: path)
    }

    func text(_ page: PartlyParsedJSON, _ index: Int) -> String {
        page.withElementBytes(index) { String(decoding: $0, as: UTF8.self) }
    }

    func member(_ page: PartlyParsedJSON, _ name: String, _ index: Int) -> String? {
        page.withScalarMember(name, ofElement: index) { $0.map { String(decoding: $0, as: UTF8.self) } }
    }

    @Test func leavesTheArrayAtThePathAsElementBytes() throws {
        let page = try parse(
            #"{"data": [ {"id":"a","tags":["x]","{"]} , {"id":"b","n":{"deep":[1,{"z":"\"}"}]}} ,7,"s\"]"], "total": 3}"#,
            ["data"])
        #expect(page.document["total"] == .int(3))
        #expect(page.document["data"] == .array([]))
        #expect(page.elements.count == 4)
        #expect(text(page, 0) == #"{"id":"a","tags":["x]","{"]}"#)
        #expect(text(page, 1) == #"{"id":"b","n":{"deep":[1,{"z":"\"}"}]}}"#)
        #expect(text(page, 2) == "7")
        #expect(text(page, 3) == #""s\"]""#)
        #expect(try page.element(1)["n"]?["deep"] == [1, ["z": "\"}"]])
    }

    @Test func findsANestedPathAndOnlyThere() throws {
        let page = try parse(
            #"{"contacts":[{"id":1}],"data":{"contacts":[{"id":2},{"id":3}],"total":2,"hasNext":false}}"#,
            ["data", "contacts"])
        #expect(page.document["contacts"] == [["id": 1]], "the same name elsewhere is parsed as usual")
        #expect(page.document["data"]?["total"] == .int(2))
        #expect(page.elements.count == 2)
        #expect(try page.element(1) == ["id": 3])
    }

    @Test func aDocumentWithoutTheArrayHasNoElements() throws {
        let page = try parse(#"{"data": null, "total": 0}"#, ["data"])
        #expect(page.elements.isEmpty)
        #expect(page.document["data"] == .null)
        #expect(try parse("[]", ["data"]).elements.isEmpty)
    }

    @Test(arguments: [
        #"{"data":[{"id":"a"},{"id":"b""#,  // cut short inside an element
        #"{"data":[{"id":"a"},{"id":"b"}"#,  // cut short after one
        #"{"data":[{"id":"a"}],"total":1"#,  // cut short after the array
        #"{"data":[{"id":"a} ]}"#,  // an unterminated string
        #"{"data":[{"id":"a"} {"id":"b"}]}"#,  // no comma
        #"{"data":[,]}"#,
    ])
    func aDocumentCutShortOrMisshapenIsRefused(_ text: String) {
        #expect(throws: JSONError.self) { try parse(text, ["data"]) }
    }

    @Test func anElementIsCheckedWhenParsed() throws {
        let page = try parse(#"{"data":[{"id":"a","n":01},{"id":"b"}]}"#, ["data"])
        #expect(page.elements.count == 2)
        #expect(throws: JSONError.self) { try page.element(0) }
        #expect(try page.element(1) == ["id": "b"])
    }

    @Test func nestingIsCappedInSkippedElementsToo() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONError.self) { try parse(#"{"data":["# + deep + "]}", ["data"]) }
    }

    @Test func readsAMemberExactlyAsParsingWouldGiveItAsText() throws {
        let page = try parse(
            #"""
            {"data":[
              {"name":"x","id":"con_1"},
              {"id":42},
              {"id":"a\u0062"},
              {"id":-7},
              {"id":0},
              {"id":-0},
              {"id":007},
              {"id":1.5},
              {"id":1e3},
              {"id":null},
              {"nested":{"id":"inner"}},
              {"i\u0064":"escaped name"},
              [1],
              {"id":123456789012345678901234},
              {"id":"first","id":"second"}
            ]}
            """#, ["data"])
        let read = (0..<page.elements.count).map { member(page, "id", $0) }
        #expect(
            read == [
                "con_1", "42", nil, "-7", "0", nil, nil, nil, nil, nil, nil, "escaped name", nil, nil,
                // The first of a name given twice (parsing keeps the last): a reader checks
                // the element's bytes too, never the id alone.
                "first",
            ])
    }
}
