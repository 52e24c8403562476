/// Turns the bytes of one connection into requests, one at a time (pipelining works).
///
/// Incremental: feed whatever `recv` returned, then take requests until it answers `nil`.
/// It never waits for more than the limits allow, and rejects a bad request line as soon
/// as the line is complete, so garbage is answered at once instead of after a timeout.
public struct HTTPRequestParser: Sendable {
    public struct Limits: Sendable {
        public var maxHeaderBytes: Int
        public var maxBodyBytes: Int

        public init(maxHeaderBytes: Int = 32 * 1024, maxBodyBytes: Int = 32 * 1024 * 1024) {
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    private enum BodyFraming: Sendable {
        case none
        case length(Int)
        case chunked
    }

    private struct Head: Sendable {
        var method: String
        var target: String
        var minorVersion: Int
        var headers: HTTPHeaders
        var framing: BodyFraming
        var expectsContinue: Bool
    }

    private let limits: Limits
    private var buffer: [UInt8] = []
    /// How far `buffer` was already searched for the blank line that ends a head.
    private var scanned = 0
    private var head: Head?
    private var chunks = ChunkedBodyDecoder()

    /// Set when a request asked `Expect: 100-continue` and its body has not arrived; the
    /// server sends the interim response once and clears it.
    public var wantsContinue = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete request, or `nil` until more bytes arrive.
    public mutating func nextRequest() throws(HTTPParseError) -> HTTPRequest? {
        if head == nil {
            guard let parsed = try parseHead() else { return nil }
            head = parsed
        }
        guard let current = head else { return nil }
        let body: [UInt8]
        switch current.framing {
        case .none:
            body = []
        case .length(let length):
            guard buffer.count >= length else {
                wantsContinue = current.expectsContinue
                return nil
            }
            body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        case .chunked:
            guard let decoded = try chunks.decode(from: &buffer, limit: limits.maxBodyBytes) else {
                wantsContinue = current.expectsContinue
                return nil
            }
            body = decoded
        }
        head = nil
        wantsContinue = false
        scanned = 0
        return try HTTPRequest(
            method: current.method, target: current.target, headers: current.headers, body: body,
            minorVersion: current.minorVersion)
    }

    // MARK: - Head

    private mutating func parseHead() throws(HTTPParseError) -> Head? {
        // Empty lines before a request line are allowed (RFC 9112 §2.2).
        var leading = 0
        while leading < buffer.count, buffer[leading] == 13 || buffer[leading] == 10 { leading += 1 }
        if leading > 0 {
            buffer.removeFirst(leading)
            scanned = 0
        }
        guard let end = findHeadEnd() else {
            if buffer.count > limits.maxHeaderBytes { throw .headersTooLarge }
            if let lineEnd = buffer.firstIndex(of: 10) {
                _ = try parseRequestLine(buffer[0..<lineEnd])
            } else if buffer.count > 8192 {
                throw .malformed("request line too long")
            }
            return nil
        }
        if end > limits.maxHeaderBytes { throw .headersTooLarge }
        let headBytes = buffer[0..<end]
        buffer.removeFirst(end + 4)
        scanned = 0

        var lines = headBytes.split(separator: 10, omittingEmptySubsequences: false).map { line in
            line.last == 13 ? line.dropLast() : line
        }
        let (method, target, minorVersion) = try parseRequestLine(lines.removeFirst())
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw .malformed("header line without ':'")
            }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else {
                throw .malformed("invalid header name")
            }
            let rawValue = line[(colon + 1)...]
            guard rawValue.allSatisfy({ ($0 >= 0x20 && $0 != 0x7F) || $0 == 0x09 }) else {
                throw .malformed("control character in a header value")
            }
            let value = String(decoding: rawValue, as: UTF8.self).trimmingHeaderWhitespace
            headers.add(name: String(decoding: name, as: UTF8.self), value: value)
        }
        if minorVersion == 1, headers["Host"] == nil { throw .malformed("HTTP/1.1 request without Host") }
        let framing = try bodyFraming(headers)
        let expectsContinue = headers["Expect"]?.lowercased() == "100-continue"
        chunks = ChunkedBodyDecoder()
        return Head(
            method: method, target: target, minorVersion: minorVersion, headers: headers, framing: framing,
            expectsContinue: expectsContinue)
    }

    private mutating func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        var index = max(0, scanned - 3)
        while index + 3 < buffer.count {
            if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10
            {
                return index
            }
            index += 1
        }
        scanned = buffer.count
        return nil
    }

    private func parseRequestLine(_ rawLine: ArraySlice<UInt8>) throws(HTTPParseError) -> (
        String, String, Int
    ) {
        let line = rawLine.last == 13 ? rawLine.dropLast() : rawLine
        let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("request line is not 'METHOD target HTTP/1.x'") }
        guard !parts[0].isEmpty, parts[0].allSatisfy(Self.isTokenByte) else {
            throw .malformed("invalid method")
        }
        guard parts[1].first == UInt8(ascii: "/"), parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .malformed("invalid request target")
        }
        let version = Array(parts[2])
        guard version.count == 8, version.starts(with: Array("HTTP/".utf8)), version[6] == UInt8(ascii: "."),
            (48...57).contains(version[5]), (48...57).contains(version[7])
        else { throw .malformed("invalid HTTP version") }
        guard version[5] == UInt8(ascii: "1"), version[7] <= UInt8(ascii: "1") else {
            throw .unsupportedVersion
        }
        return (
            String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self),
            Int(version[7] - 48)
        )
    }

    private func bodyFraming(_ headers: HTTPHeaders) throws(HTTPParseError) -> BodyFraming {
        let encodings = headers.values(for: "Transfer-Encoding")
        let lengths = headers.values(for: "Content-Length")
        if !encodings.isEmpty {
            // Both framings at once is the classic request-smuggling shape: refuse it.
            guard lengths.isEmpty else { throw .malformed("both Transfer-Encoding and Content-Length") }
            let codings = encodings.flatMap { $0.split(separator: ",") }.map {
                String($0).trimmingHeaderWhitespace.lowercased()
            }
            guard codings.last == "chunked" else { throw .unsupportedTransferEncoding(codings.last ?? "") }
            if let other = codings.first(where: { $0 != "chunked" }) {
                throw .unsupportedTransferEncoding(other)
            }
            return .chunked
        }
        guard let first = lengths.first else { return .none }
        let values = Set(
            lengths.flatMap { $0.split(separator: ",") }.map { String($0).trimmingHeaderWhitespace })
        guard values.count == 1, let text = values.first, !text.isEmpty, text.utf8.count <= 18,
            text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let length = Int(text)
        else { throw .malformed("invalid Content-Length '\(first)'") }
        guard length <= limits.maxBodyBytes else { throw .bodyTooLarge }
        return length == 0 ? .none : .length(length)
    }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

extension String {
    var trimmingHeaderWhitespace: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
