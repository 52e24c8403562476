/// One parsed HTTP request, body included.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target exactly as sent, query included.
    public var target: String
    /// The percent-decoded path, without the query.
    public var path: String
    public var query: QueryItems
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    public var minorVersion: Int

    public init(
        method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        minorVersion: Int = 1
    ) throws(HTTPParseError) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.minorVersion = minorVersion
        let pathPart: Substring
        let queryPart: Substring?
        if let mark = target.firstIndex(of: "?") {
            pathPart = target[..<mark]
            queryPart = target[target.index(after: mark)...]
        } else {
            pathPart = Substring(target)
            queryPart = nil
        }
        guard let decodedPath = PercentDecoding.decode(pathPart, plusIsSpace: false) else {
            throw .malformed("invalid percent-encoding in the path")
        }
        path = decodedPath
        query = try QueryItems(parsing: queryPart ?? "")
    }

    /// Whether the client asked to keep the connection open after this exchange.
    public var wantsKeepAlive: Bool {
        let connection = headers["Connection"]?.lowercased() ?? ""
        if minorVersion == 0 { return connection.contains("keep-alive") }
        return !connection.contains("close")
    }
}

/// The decoded `name=value` pairs of a query string, in order.
public struct QueryItems: Sendable, Sequence {
    public private(set) var items: [(name: String, value: String)] = []

    init(parsing query: Substring) throws(HTTPParseError) {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentDecoding.decode(parts[0], plusIsSpace: true),
                let value = PercentDecoding.decode(parts.count > 1 ? parts[1] : "", plusIsSpace: true)
            else { throw .malformed("invalid percent-encoding in the query") }
            items.append((name, value))
        }
    }

    /// The first value given for `name`.
    public subscript(name: String) -> String? {
        items.first { $0.name == name }?.value
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { items.makeIterator() }
}

/// `%XX` decoding for request targets.
enum PercentDecoding {
    static func decode(_ text: Substring, plusIsSpace: Bool) -> String? {
        guard
            text.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) })
        else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue),
                    let low = iterator.next().flatMap(hexValue)
                else {
                    return nil
                }
                bytes.append(high << 4 | low)
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
