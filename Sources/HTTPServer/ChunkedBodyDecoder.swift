/// Decodes a `Transfer-Encoding: chunked` body as its bytes arrive (RFC 9112 §7.1).
///
/// Keeps its place between calls, so a large body sent in many small reads is decoded in
/// one pass rather than re-scanned from its start each time.
struct ChunkedBodyDecoder: Sendable {
    private enum State: Sendable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    private var state = State.size
    private var body: [UInt8] = []

    /// Consumes what it can from `buffer`; returns the whole body once the last chunk and the
    /// trailers are in.
    mutating func decode(from buffer: inout [UInt8], limit: Int) throws(HTTPParseError) -> [UInt8]? {
        while true {
            switch state {
            case .size:
                guard let lineEnd = lineEnd(in: buffer) else {
                    if buffer.count > 1024 { throw .malformed("chunk size line too long") }
                    return nil
                }
                var line = buffer[0..<lineEnd]
                if line.last == 13 { line = line.dropLast() }
                if let extensionStart = line.firstIndex(of: UInt8(ascii: ";")) {
                    line = line[..<extensionStart]
                }
                let hex = String(decoding: line, as: UTF8.self).trimmingHeaderWhitespace
                guard !hex.isEmpty, hex.utf8.count <= 15, let size = Int(hex, radix: 16) else {
                    throw .malformed("invalid chunk size")
                }
                buffer.removeFirst(lineEnd + 1)
                guard body.count + size <= limit else { throw .bodyTooLarge }
                state = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                guard !buffer.isEmpty else { return nil }
                let take = min(remaining, buffer.count)
                body.append(contentsOf: buffer[0..<take])
                buffer.removeFirst(take)
                state = take == remaining ? .dataEnd : .data(remaining: remaining - take)
            case .dataEnd:
                guard buffer.count >= 2 else {
                    if buffer.first.map({ $0 != 13 }) ?? false {
                        throw .malformed("chunk not followed by CRLF")
                    }
                    return nil
                }
                guard buffer[0] == 13, buffer[1] == 10 else { throw .malformed("chunk not followed by CRLF") }
                buffer.removeFirst(2)
                state = .size
            case .trailers:
                guard let lineEnd = lineEnd(in: buffer) else {
                    if buffer.count > 8192 { throw .malformed("trailer section too long") }
                    return nil
                }
                let isBlank = lineEnd == 0 || (lineEnd == 1 && buffer[0] == 13)
                buffer.removeFirst(lineEnd + 1)
                if isBlank {
                    defer { body = [] }
                    state = .size
                    return body
                }
            }
        }
    }

    private func lineEnd(in buffer: [UInt8]) -> Int? {
        buffer.firstIndex(of: 10)
    }
}
