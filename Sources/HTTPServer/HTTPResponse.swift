/// A complete response: status, headers and the whole body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The response as bytes on the wire: one buffer, so it goes out in one `send`.
    ///
    /// A header/body split costs about 40 ms per exchange through Nagle's algorithm and
    /// delayed ACKs, so the server never writes a response in two pieces.
    func encoded(keepAlive: Bool, includeBody: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reasonPhrase(for: status))\r\n"
        for (name, value) in headers
        where !name.caseInsensitiveEquals("Content-Length") && !name.caseInsensitiveEquals("Connection") {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        var bytes = Array(head.utf8)
        if includeBody { bytes.append(contentsOf: body) }
        return bytes
    }

    public static func reasonPhrase(for status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}

/// What the server does with a request: answer it, or close the connection without a word
/// (the emulator's "connection lost" faults).
public enum HTTPReply: Sendable {
    case respond(HTTPResponse)
    case hangUp
}

/// The application behind an `HTTPServer`.
///
/// Called on the connection's own thread; it may block (the emulator sleeps there to add
/// latency) without holding up other connections.
public protocol HTTPResponder: Sendable {
    func reply(to request: HTTPRequest) -> HTTPReply
}
