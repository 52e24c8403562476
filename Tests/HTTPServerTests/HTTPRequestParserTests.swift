import Testing

@testable import HTTPServer

@Suite struct HTTPRequestParserTests {
    private func parse(_ text: String, limits: HTTPRequestParser.Limits = .init()) throws -> [HTTPRequest] {
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Array(text.utf8))
        var requests: [HTTPRequest] = []
        while let request = try parser.nextRequest() { requests.append(request) }
        return requests
    }

    @Test func parsesARequestWithAContentLengthBody() throws {
        let requests = try parse(
            "POST /v1/contacts?page=2&search=a%20b+c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nX-Api-Key:  k \r\n\r\nhello"
        )
        let request = try #require(requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/v1/contacts")
        #expect(request.query["page"] == "2")
        #expect(request.query["search"] == "a b c")
        #expect(request.headers["x-api-key"] == "k")
        #expect(request.body == Array("hello".utf8))
    }

    @Test func decodesAChunkedBodyWithExtensionsAndTrailers() throws {
        let text =
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n"
        #expect(try parse(text).first?.body == Array("hello world".utf8))
    }

    @Test func waitsForEveryByteWhenFedOneAtATime() throws {
        let text =
            "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
        var parser = HTTPRequestParser()
        var paths: [String] = []
        for byte in text.utf8 {
            parser.append([byte])
            while let request = try parser.nextRequest() { paths.append(request.path) }
        }
        #expect(paths == ["/a", "/b"])
    }

    @Test func servesPipelinedRequestsInOrder() throws {
        let text =
            "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.0\r\n\r\n"
        #expect(try parse(text).map(\.path) == ["/1", "/2", "/3"])
    }

    @Test(arguments: [
        ("GARBAGE\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
        ("GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET relative HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413),
    ])
    func rejectsMalformedRequestsWithTheRightStatus(_ text: String, _ status: Int) {
        #expect { try parse(text, limits: .init(maxHeaderBytes: 1024, maxBodyBytes: 1024)) } throws: {
            ($0 as? HTTPParseError)?.status == status
        }
    }

    @Test func rejectsOversizedHeadersAndChunkedBodies() {
        let longHeader = "GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 2000)
        #expect(throws: HTTPParseError.headersTooLarge) {
            try parse(longHeader, limits: .init(maxHeaderBytes: 1024, maxBodyBytes: 1024))
        }
        let bigChunk = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n"
        #expect(throws: HTTPParseError.bodyTooLarge) {
            try parse(bigChunk, limits: .init(maxHeaderBytes: 1024, maxBodyBytes: 1024))
        }
    }

    @Test func rejectsABadRequestLineBeforeTheHeadEnds() {
        // No blank line yet: a parser that waited for one would hang until the idle timeout.
        #expect(throws: HTTPParseError.self) { try parse("\u{16}\u{03}\u{01} binary junk\r\nmore") }
    }

    @Test func asksForContinueOnlyWhileTheBodyIsMissing() throws {
        var parser = HTTPRequestParser()
        parser.append(
            Array("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        #expect(try parser.nextRequest() == nil)
        #expect(parser.wantsContinue)
        parser.append(Array("ok".utf8))
        #expect(try parser.nextRequest()?.body == Array("ok".utf8))
        #expect(!parser.wantsContinue)
    }
}
