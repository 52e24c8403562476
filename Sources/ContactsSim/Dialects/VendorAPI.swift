import ContactModel
import HTTPServer
import JSON

/// An error a vendor endpoint answers with; each dialect renders it in its own envelope.
struct VendorError: Error, Sendable {
    var status: Int
    var code: String
    var message: String

    init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func invalidJSON(_ error: JSONError) -> VendorError {
        VendorError(400, "invalid_json", "request body is not valid JSON: \(error.reason)")
    }
}

/// Who is calling, once authenticated: the bucket their requests are counted in, and what
/// they may do.
struct Caller: Sendable {
    enum Role: String, Sendable, CaseIterable {
        case owner, admin, developer, viewer
        /// Waply: a plan without API access.
        case noAPI = "no_api"

        var canWrite: Bool { self == .owner || self == .admin || self == .developer }
    }

    var bucket: String
    var role: Role
}

/// One vendor request as a handler sees it.
struct VendorRequest: Sendable {
    let http: HTTPRequest
    let parameters: [String: String]
    let caller: Caller?

    /// The request body as JSON; an empty body reads as an empty object.
    func json() throws(VendorError) -> JSON {
        if http.body.isEmpty { return .object(JSONObject()) }
        do {
            return try JSON.parse(http.body)
        } catch {
            throw .invalidJSON(error)
        }
    }

    func jsonObject() throws(VendorError) -> JSONObject {
        guard let object = try json().object else {
            throw VendorError(400, "invalid_body", "request body must be a JSON object")
        }
        return object
    }

    func parameter(_ name: String) -> String { parameters[name] ?? "" }

    /// `scheme://host` for URLs the emulator hands out (Qlara's download links).
    var origin: String { "http://\(http.headers["Host"] ?? "127.0.0.1")" }
}

typealias VendorHandler = @Sendable (VendorRequest, inout SimState) throws(VendorError) -> HTTPResponse

/// An endpoint of a dialect.
struct VendorRoute: Sendable {
    let method: String
    let pattern: RoutePattern
    var requiresAuth = true
    /// Counted against the caller's rate limit.
    var rateLimited = true
    /// A page of a contact listing (where paging churn strikes).
    var isListPage = false
    let handler: VendorHandler
}

/// What makes a dialect: its endpoints, its auth, and how it spells errors and limits.
protocol VendorAPI: Sendable {
    var dialect: Dialect { get }
    var routes: [VendorRoute] { get }
    func authenticate(_ request: HTTPRequest, state: inout SimState) -> Result<Caller, VendorError>
    func render(_ error: VendorError, state: inout SimState) -> HTTPResponse
    /// The dialect's 429; `retryAfter` is the wait in seconds, which some dialects do not tell.
    func rateLimited(retryAfter: Int, state: inout SimState) -> HTTPResponse
    /// Last touches on every response (Qlara's rate-limit headers).
    func finish(_ response: inout HTTPResponse, caller: Caller?, state: inout SimState)
}

extension VendorAPI {
    func finish(_ response: inout HTTPResponse, caller: Caller?, state: inout SimState) {}

    /// The route for a request, or the error a real server would give for an unknown path.
    func route(for request: HTTPRequest) -> (VendorRoute, [String: String])? {
        guard request.path.hasPrefix(dialect.basePath) else { return nil }
        let path = request.path.dropFirst(dialect.basePath.count)
        for route in routes where route.method == request.method {
            if let parameters = route.pattern.match(path) { return (route, parameters) }
        }
        return nil
    }

    /// Whether some route has this path under another method (405 rather than 404).
    func knowsPath(_ request: HTTPRequest) -> Bool {
        guard request.path.hasPrefix(dialect.basePath) else { return false }
        let path = request.path.dropFirst(dialect.basePath.count)
        return routes.contains { $0.pattern.match(path) != nil }
    }

    /// The dialect's error envelope for a 429, with the wait in a `Retry-After` header (the
    /// signal SendyStack and Waply use).
    func rateLimitedWithHeader(_ message: String, retryAfter: Int, state: inout SimState) -> HTTPResponse {
        var response = render(VendorError(429, "rate_limited", message), state: &state)
        response.headers.set(name: "Retry-After", value: String(retryAfter))
        return response
    }

    /// A gateway's answer for 502 (an HTML page, as real proxies send) or the dialect's
    /// envelope for 500 and 503.
    func serverError(status: Int, state: inout SimState) -> HTTPResponse {
        if status == 502 {
            return HTTPResponse(
                status: 502, headers: ["Content-Type": "text/html"],
                body: Array(
                    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>\n"
                        .utf8))
        }
        let message = status == 503 ? "Service temporarily unavailable" : "Internal server error"
        return render(
            VendorError(status, status == 503 ? "service_unavailable" : "internal_error", message),
            state: &state)
    }
}

extension HTTPResponse {
    static func json(_ status: Int, _ body: JSON, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        json(status, body.serialized, headers: headers)
    }

    static func json(_ status: Int, _ body: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = headers
        headers.set(name: "Content-Type", value: "application/json; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
