public import Foundation

/// One HTTP exchange as the vendor adapters describe it.
public struct RemoteRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: [UInt8]?
    /// Send over a fresh connection, never a pooled one (see `URLSessionTransport`).
    public var freshConnection = false

    public init(method: String, url: URL, headers: [String: String] = [:], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A vendor's answer.
public struct RemoteResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Why an exchange produced no HTTP answer.
public enum TransportError: Error, Sendable, CustomStringConvertible {
    /// Timed out, refused, reset, closed: the request may or may not have been applied.
    case network(String)
    /// Nothing answered at that address (connection refused, no such host): nothing was sent.
    case cannotConnect(String)
    /// The server challenged for credentials (a 401 the transport had to abandon).
    case authenticationChallenge
    case cancelled

    public var description: String {
        switch self {
        case .network(let reason), .cannotConnect(let reason): return reason
        case .authenticationChallenge: return "the server refused the credentials (HTTP 401)"
        case .cancelled: return "cancelled"
        }
    }
}

/// Sends one request: the seam between the vendor adapters and the network.
public protocol HTTPTransport: Sendable {
    func send(_ request: RemoteRequest, timeout: Double) async throws(TransportError) -> RemoteResponse
}
