import Foundation
public import JSON
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A vendor that misbehaves on purpose: a loopback HTTP/1.1 server over raw sockets whose
/// every answer the test writes — its bytes, and the pauses between them.
///
/// The emulator stays faithful to the vendors; what no vendor documents (ids that are paths,
/// totals that lie, answers that trickle in, absurd `Retry-After`s) is played here. Each
/// connection has its own thread, so an answer that pauses holds up only its own connection.
public final class HostileVendor: Sendable {
    /// A request as it arrived.
    public struct Request: Sendable {
        public let method: String
        /// The request target exactly as sent (percent-encoding and all).
        public let target: String
        public let headers: [String: String]
        public let body: [UInt8]

        /// The target without its query.
        public var path: String { String(target.prefix { $0 != "?" }) }

        /// A query parameter's value (undecoded), if present.
        public func query(_ name: String) -> String? {
            guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.first.map(String.init) == name { return parts.count > 1 ? String(parts[1]) : "" }
            }
            return nil
        }

        /// A header's value; names are matched regardless of case.
        public func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    /// A part of an answer: bytes to write, or a pause before the next part.
    public enum Piece: Sendable {
        case bytes([UInt8])
        case pause(seconds: Double)
        /// Close the connection here (no more of the answer arrives).
        case hangUp
    }

    /// What to answer to one request.
    public typealias Handler = @Sendable (Request) -> [Piece]

    private struct State {
        var listener: Int32 = -1
        var connections: Set<Int32> = []
        var requests: [Request] = []
        var stopping = false
    }

    private let handler: Handler
    private let state = Mutex(State())
    public let port: Int

    /// Starts listening on a free loopback port.
    public init(_ handler: @escaping Handler) throws {
        self.handler = handler
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 64) == 0
                    && getsockname(listener, $0, &length) == 0
            }
        }
        guard listener >= 0, bound else {
            let code = errno
            if listener >= 0 { close(listener) }
            throw LoopbackClient.Failure.connect(code)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        state.withLock { $0.listener = listener }
        Thread.detachNewThread { [self] in acceptLoop(listener) }
    }

    deinit { stop() }

    /// `http://127.0.0.1:PORT` followed by `path`.
    public func baseURL(_ path: String = "") -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Every request received so far, in order.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// Stops accepting and cuts every open connection.
    public func stop() {
        let (listener, connections) = state.withLock { state -> (Int32, Set<Int32>) in
            guard !state.stopping else { return (-1, []) }
            state.stopping = true
            return (state.listener, state.connections)
        }
        if listener >= 0 { shutdown(listener, Int32(SHUT_RDWR)) }
        for connection in connections { shutdown(connection, Int32(SHUT_RDWR)) }
    }

    /// A complete JSON answer in one write.
    public static func json(_ status: Int, _ body: JSON, headers: [String: String] = [:]) -> [Piece] {
        [
            .bytes(
                head(
                    status, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a },
                    length: body.serialized.count) + body.serialized)
        ]
    }

    /// A status line and headers, announcing a body of `length` bytes.
    public static func head(_ status: Int, headers: [String: String] = [:], length: Int) -> [UInt8] {
        var text = "HTTP/1.1 \(status) Status\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(length)\r\n\r\n"
        return Array(text.utf8)
    }

    // MARK: - Serving

    private func acceptLoop(_ listener: Int32) {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                if errno == EINTR { continue }
                close(listener)
                return
            }
            var yes: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let accepted = state.withLock { state -> Bool in
                guard !state.stopping else { return false }
                state.connections.insert(connection)
                return true
            }
            guard accepted else {
                close(connection)
                continue
            }
            Thread.detachNewThread { [self] in serve(connection) }
        }
    }

    private func serve(_ connection: Int32) {
        defer {
            state.withLock { _ = $0.connections.remove(connection) }
            close(connection)
        }
        var buffer: [UInt8] = []
        while let request = Self.readRequest(connection, &buffer) {
            state.withLock { $0.requests.append(request) }
            for piece in handler(request) {
                switch piece {
                case .bytes(let bytes):
                    guard Self.writeAll(connection, bytes) else { return }
                case .pause(let seconds):
                    Thread.sleep(forTimeInterval: seconds)
                case .hangUp:
                    return
                }
            }
        }
    }

    private static func writeAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(connection, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Reads one request (headers and a `Content-Length` body); `nil` when the client closed.
    private static func readRequest(_ connection: Int32, _ buffer: inout [UInt8]) -> Request? {
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        var headEnd: Int?
        while true {
            if buffer.count >= 4 {
                headEnd = (0...(buffer.count - 4)).first {
                    buffer[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10])
                }
            }
            if headEnd != nil { break }
            guard fill() else { return nil }
        }
        guard let headEnd else { return nil }
        let lines = String(decoding: buffer[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        buffer.removeFirst(headEnd + 4)
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length { guard fill() else { return nil } }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return Request(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
    }
}
