public import ContactsSim
import Foundation
public import JSON

/// An emulator started in-process on a free port, with a client for its vendor paths and
/// one for its control API.
public final class SimHarness {
    public let simulator: ContactsSimulator
    public let port: Int
    public let dialect: Dialect
    public let token: String

    /// Rate limits are off unless the test turns them on.
    public init(
        _ dialect: Dialect, limited: Bool = false, configure: (inout SimConfiguration) -> Void = { _ in }
    ) throws {
        var configuration = SimConfiguration(dialect: dialect)
        if !limited { configuration.rateLimit = nil }
        configure(&configuration)
        self.dialect = dialect
        token = configuration.token
        simulator = try ContactsSimulator(configuration: configuration)
        port = try simulator.start()
    }

    deinit { simulator.stop() }

    /// A new keep-alive connection.
    public func client() throws -> LoopbackClient { try LoopbackClient(port: port) }

    /// One request on a fresh connection, authenticated with the owner token as the dialect
    /// wants it (SuperWaba adds its organisation header).
    @discardableResult
    public func call(
        _ method: String, _ path: String, json: JSON? = nil, headers: [String: String] = [:],
        authenticated: Bool = true
    ) throws -> LoopbackClient.Response {
        var headers = headers
        if authenticated { headers.merge(authHeaders) { current, _ in current } }
        let client = try client()
        let target = dialect.basePath + path
        if let json { return try client.request(method, target, headers: headers, json: json) }
        return try client.request(method, target, headers: headers)
    }

    public var authHeaders: [String: String] {
        switch dialect {
        case .qlara: return ["X-Api-Key": token]
        case .superwaba:
            return [
                "Authorization": "Bearer \(token)", "x-org-id": "org-00000000-0000-4000-8000-000000000001",
            ]
        default: return ["Authorization": "Bearer \(token)"]
        }
    }

    /// A control-API call; fails the test if the control API refuses.
    @discardableResult
    public func control(_ method: String, _ path: String, json: JSON? = nil) throws -> JSON {
        let client = try client()
        let response =
            json.map { try? client.request(method, "/_sim" + path, json: $0) }
            ?? (try? client.request(method, "/_sim" + path))
        guard let response, response.status < 300 else {
            throw HarnessError(
                "control \(method) \(path) failed: \(response.map { "\($0.status) \($0.text)" } ?? "no answer")"
            )
        }
        return try response.json
    }

    public func seed(_ count: Int, seed: Int = 7) throws {
        try control("POST", "/seed", json: ["count": .int(count), "seed": .int(seed)])
    }

    /// Every stored contact in the emulator's canonical form.
    public func storedContacts() throws -> [JSON] {
        try control("GET", "/contacts")["contacts"]?.array ?? []
    }

    /// Request counts by endpoint and outcome.
    public func stats() throws -> JSON { try control("GET", "/stats") }

    public func faults(_ plan: JSON) throws { try control("PUT", "/faults", json: plan) }
}

public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
