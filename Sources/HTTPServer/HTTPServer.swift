import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server over blocking sockets, one thread per connection.
///
/// It serves the emulator on loopback, where a few dozen keep-alive connections are the whole
/// load: a thread per connection keeps each exchange a straight line of `recv`, parse, reply,
/// `send`, with no event loop to reason about, and lets a handler sleep to simulate latency.
/// Every response goes out in a single `send` with `TCP_NODELAY` set.
public final class HTTPServer: Sendable {
    public struct Configuration: Sendable {
        /// An IPv4 address to bind; loopback unless a test host needs otherwise.
        public var host: String
        /// `0` asks the kernel for a free port; `start()` returns the one it got.
        public var port: Int
        public var limits: HTTPRequestParser.Limits
        /// Connections above this are answered 503 and closed.
        public var maxConnections: Int
        /// A connection idle this long (no complete request) is closed.
        public var idleTimeoutSeconds: Int

        public init(
            host: String = "127.0.0.1", port: Int = 0, limits: HTTPRequestParser.Limits = .init(),
            maxConnections: Int = 512, idleTimeoutSeconds: Int = 60
        ) {
            self.host = host
            self.port = port
            self.limits = limits
            self.maxConnections = maxConnections
            self.idleTimeoutSeconds = idleTimeoutSeconds
        }
    }

    private struct State {
        var listener: Int32 = -1
        var port = 0
        var stopping = false
        var connections: Set<Int32> = []
        var threads = 0
    }

    private let configuration: Configuration
    private let responder: any HTTPResponder
    private let state = Mutex(State())
    /// Signalled each time a connection or the accept loop ends, so `stop()` can wait.
    private let threadsEnded = Mutex(0)

    public init(configuration: Configuration = .init(), responder: any HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
    }

    /// The bound port, once started.
    public var port: Int { state.withLock { $0.port } }

    /// Binds, listens and starts accepting; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw SocketError("socket") }
        do {
            var yes: Int32 = 1
            guard
                setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size)) == 0
            else {
                throw SocketError("setsockopt(SO_REUSEADDR)")
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(configuration.port).bigEndian)
            guard inet_pton(AF_INET, configuration.host, &address.sin_addr) == 1 else {
                throw SocketError("inet_pton(\(configuration.host))", code: EINVAL)
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw SocketError("bind(\(configuration.host):\(configuration.port))") }
            guard listen(listener, 1024) == 0 else { throw SocketError("listen") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
            }
            guard named == 0 else { throw SocketError("getsockname") }
            let port = Int(UInt16(bigEndian: address.sin_port))
            state.withLock {
                $0.listener = listener
                $0.port = port
                $0.threads += 1
            }
            spawn { [self] in acceptLoop(listener) }
            return port
        } catch {
            close(listener)
            throw error
        }
    }

    /// Stops accepting, closes every connection and waits (up to `timeout`) for their threads.
    public func stop(timeout: Double = 5) {
        let (listener, connections) = state.withLock { state -> (Int32, Set<Int32>) in
            state.stopping = true
            defer { state.listener = -1 }
            return (state.listener, state.connections)
        }
        if listener >= 0 {
            // shutdown() wakes the thread blocked in accept(); that thread closes the socket.
            shutdown(listener, Int32(SHUT_RDWR))
        }
        for connection in connections { shutdown(connection, Int32(SHUT_RDWR)) }
        let deadline = Date().addingTimeInterval(timeout)
        while state.withLock({ $0.threads }) > 0 && Date() < deadline { usleep(2_000) }
    }

    // MARK: - Accepting

    private func acceptLoop(_ listener: Int32) {
        defer {
            close(listener)
            state.withLock { $0.threads -= 1 }
        }
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                let code = errno
                if state.withLock({ $0.stopping }) { return }
                if code == EINTR || code == ECONNABORTED { continue }
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    usleep(10_000)  // out of descriptors: let connections finish, then go on
                    continue
                }
                return
            }
            let admitted = state.withLock { state -> Bool in
                guard !state.stopping, state.connections.count < configuration.maxConnections else {
                    return false
                }
                state.connections.insert(connection)
                state.threads += 1
                return true
            }
            guard admitted else {
                let busy = HTTPResponse(status: 503, body: Array("too many connections\n".utf8))
                _ = Self.sendAll(connection, busy.encoded(keepAlive: false, includeBody: true))
                close(connection)
                continue
            }
            configure(connection)
            spawn { [self] in serve(connection) }
        }
    }

    private func configure(_ connection: Int32) {
        // Glibc's accept4 is not visible to Swift; set close-on-exec the portable way.
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        var yes: Int32 = 1
        setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: configuration.idleTimeoutSeconds, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private func spawn(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 1 << 20
        thread.start()
    }

    // MARK: - Serving one connection

    private func serve(_ connection: Int32) {
        defer {
            state.withLock {
                $0.connections.remove(connection)
                $0.threads -= 1
            }
            close(connection)
        }
        var parser = HTTPRequestParser(limits: configuration.limits)
        var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            do {
                while let request = try parser.nextRequest() {
                    switch responder.reply(to: request) {
                    case .hangUp:
                        return
                    case .respond(let response):
                        let keepAlive = request.wantsKeepAlive && !state.withLock { $0.stopping }
                        let bytes = response.encoded(
                            keepAlive: keepAlive, includeBody: request.method != "HEAD")
                        guard Self.sendAll(connection, bytes), keepAlive else { return }
                    }
                }
                if parser.wantsContinue {
                    parser.wantsContinue = false
                    guard Self.sendAll(connection, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else {
                        return
                    }
                }
            } catch {
                let response = HTTPResponse(
                    status: error.status, headers: ["Content-Type": "text/plain; charset=utf-8"],
                    body: Array("\(error.description)\n".utf8))
                _ = Self.sendAll(connection, response.encoded(keepAlive: false, includeBody: true))
                return
            }
            let count = readBuffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                readBuffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return  // closed by the peer, idle timeout, or shut down by stop()
            }
        }
    }

    /// Writes every byte, retrying short writes and EINTR; `false` once the peer is gone.
    static func sendAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(connection, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }
}
