import Foundation
import HTTPServer
import TestSupport
import Testing

/// Echoes the request back, or hangs up on `/hangup`.
struct EchoResponder: HTTPResponder {
    func reply(to request: HTTPRequest) -> HTTPReply {
        if request.path == "/hangup" { return .hangUp }
        if request.path == "/slow" { usleep(200_000) }
        let text = "\(request.method) \(request.path) \(request.body.count)"
        return .respond(
            HTTPResponse(
                status: 200, headers: ["Content-Type": "text/plain"], body: Array(text.utf8) + request.body))
    }
}

@Suite struct HTTPServerTests {
    let responder = EchoResponder()
    let server: HTTPServer
    let port: Int

    init() throws {
        server = HTTPServer(
            configuration: .init(limits: .init(maxHeaderBytes: 8 * 1024, maxBodyBytes: 1 << 20)),
            responder: responder)
        port = try server.start()
    }

    @Test func keepsAConnectionAliveAcrossRequests() throws {
        let client = try LoopbackClient(port: port)
        for index in 0..<50 {
            let response = try client.request("POST", "/echo/\(index)", body: Array("body".utf8))
            #expect(response.status == 200)
            #expect(response.text == "POST /echo/\(index) 4body")
            #expect(response.header("Connection") == "keep-alive")
        }
        server.stop()
    }

    @Test func answersPipelinedRequestsInOrder() throws {
        let client = try LoopbackClient(port: port)
        try client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "GET /a 0")
        #expect(try client.readResponse().text == "GET /b 0")
        server.stop()
    }

    @Test func acceptsAChunkedBodyAndSendsContinue() throws {
        let client = try LoopbackClient(port: port)
        try client.send(
            "POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        try client.send("4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n")
        #expect(try client.readResponse().text == "POST /c 9wikipedia")
        server.stop()
    }

    @Test func acceptsAChunkedBodyThatArrivesWithItsHeaders() throws {
        let client = try LoopbackClient(port: port)
        try client.send(
            "POST /c HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n")
        #expect(try client.readResponse().text == "POST /c 9wikipedia")
        server.stop()
    }

    @Test func closesAfterConnectionCloseAndHTTP10() throws {
        let first = try LoopbackClient(port: port)
        let response = try first.request("GET", "/x", headers: ["Connection": "close"])
        #expect(response.header("Connection") == "close")
        #expect(first.isClosedByServer())
        let second = try LoopbackClient(port: port)
        try second.send("GET /y HTTP/1.0\r\n\r\n")
        #expect(try second.readResponse().status == 200)
        #expect(second.isClosedByServer())
        server.stop()
    }

    @Test func answers413And400ThenCloses() throws {
        let big = try LoopbackClient(port: port)
        try big.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(2 << 20)\r\n\r\n")
        #expect(try big.readResponse().status == 413)
        #expect(big.isClosedByServer())
        let bad = try LoopbackClient(port: port)
        try bad.send("NOT HTTP AT ALL\r\n\r\n")
        #expect(try bad.readResponse().status == 400)
        #expect(bad.isClosedByServer())
        server.stop()
    }

    @Test func hangsUpWhenTheResponderSaysSo() throws {
        let client = try LoopbackClient(port: port)
        #expect(throws: LoopbackClient.Failure.self) { try client.request("GET", "/hangup") }
        server.stop()
    }

    @Test func servesSixtyFourConnectionsAtOnce() throws {
        // All 64 are open and waiting on a slow answer at the same moment.
        let clients = try (0..<64).map { _ in try LoopbackClient(port: port) }
        let started = Date()
        for (index, client) in clients.enumerated() { try client.sendRequest("GET", "/slow?\(index)") }
        let statuses = try clients.map { try $0.readResponse().status }
        #expect(statuses == Array(repeating: 200, count: 64))
        // Served side by side, not one after another (64 x 200 ms would be 12.8 s).
        #expect(Date().timeIntervalSince(started) < 6)
        server.stop()
    }

    @Test func survivesRandomAndTruncatedBytes() throws {
        var generator = SystemRandomNumberGenerator()
        let valid = Array("POST /v HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789".utf8)
        for round in 0..<200 {
            let client = try LoopbackClient(port: port, timeoutSeconds: 2)
            var bytes: [UInt8]
            switch round % 4 {
            case 0:
                bytes = (0..<Int.random(in: 1...4096, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            case 1: bytes = Array(valid.prefix(Int.random(in: 1..<valid.count, using: &generator)))
            case 2:
                bytes = valid
                for _ in 0..<3 {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            default:
                bytes =
                    Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)
                    + Array(repeating: UInt8(ascii: "a"), count: 10_000)
            }
            try? client.send(bytes)
        }
        // The server still answers a well-formed request correctly.
        let client = try LoopbackClient(port: port)
        let response = try client.request("POST", "/after", body: Array("ok".utf8))
        #expect(response.status == 200)
        #expect(response.text == "POST /after 2ok")
        server.stop()
    }

    @Test func stopClosesOpenConnections() throws {
        let client = try LoopbackClient(port: port)
        _ = try client.request("GET", "/before")
        server.stop()
        #expect(client.isClosedByServer())
        #expect(throws: LoopbackClient.Failure.self) { try LoopbackClient(port: port) }
    }
}
