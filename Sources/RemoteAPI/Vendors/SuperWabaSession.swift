public import Configuration
import Foundation
import JSON
import Synchronization

/// SuperWaba's expiring tokens, traded for the configured login and kept fresh.
///
/// The access token is renewed a minute before it expires, and at once when a request is
/// refused with 401. Renewal is single-flight: however many requests find the token stale,
/// one exchange runs and they all wait for it. Refresh tokens rotate: each exchange returns
/// a new one and the old one is spent, so only the newest is kept; a refused refresh falls
/// back to the password grant. A refused login ends the run (`credentialRefused`) naming the
/// login, never the password or a token.
final class SuperWabaSession: Authorizer {
    struct Tokens: Sendable {
        var access: Secret
        var refresh: Secret?
        var expires: Date
    }

    private struct State {
        var tokens: Tokens?
        /// The exchange in flight, which every caller waits for.
        var renewal: Task<Tokens, any Error>?
    }

    private let tokenURL: URL
    private let login: RemoteSettings.Login
    private let transport: any HTTPTransport
    private let timeout: Double
    private let state = Mutex(State())
    /// How long before expiry a token is renewed.
    static let margin: TimeInterval = 60

    init(baseURL: URL, login: RemoteSettings.Login, transport: any HTTPTransport, timeout: Double) {
        tokenURL = VendorURL.make(baseURL, "api/auth/token")
        self.login = login
        self.transport = transport
        self.timeout = timeout
    }

    /// How many token exchanges ran (for tests and the operator).
    private let exchanges = Mutex(0)
    var exchangeCount: Int { exchanges.withLock { $0 } }

    func authorize(_ request: inout RemoteRequest) async throws(RemoteError) {
        let current = state.withLock { $0.tokens }
        let tokens: Tokens
        if let current, current.expires.timeIntervalSinceNow > Self.margin {
            tokens = current
        } else {
            tokens = try await renewed(replacing: current?.access)
        }
        request.headers["Authorization"] = "Bearer " + tokens.access.revealed
    }

    func renew(after request: RemoteRequest) async throws(RemoteError) -> Bool {
        let sent = request.headers["Authorization"].map { String($0.dropFirst("Bearer ".count)) }
        _ = try await renewed(replacing: sent.map(Secret.init))
        return true
    }

    /// Fresh tokens: the ones another caller already got in place of `stale`, the exchange in
    /// flight, or a new exchange.
    private func renewed(replacing stale: Secret?) async throws(RemoteError) -> Tokens {
        let task: Task<Tokens, any Error> = state.withLock { state in
            if let tokens = state.tokens, tokens.access != stale,
                tokens.expires.timeIntervalSinceNow > Self.margin
            {
                return Task { tokens }
            }
            if let renewal = state.renewal { return renewal }
            let refresh = state.tokens?.refresh
            let renewal = Task { try await self.exchange(refresh: refresh) }
            state.renewal = renewal
            return renewal
        }
        do {
            let tokens = try await task.value
            state.withLock { state in
                if state.renewal == task {
                    state.tokens = tokens
                    state.renewal = nil
                }
            }
            return tokens
        } catch {
            state.withLock { state in if state.renewal == task { state.renewal = nil } }
            throw (error as? RemoteError) ?? .unavailable("the SuperWaba token endpoint: \(error)")
        }
    }

    /// One exchange: the refresh grant when there is a refresh token, the password grant when
    /// there is none or it was refused.
    private func exchange(refresh: Secret?) async throws -> Tokens {
        if let refresh {
            let body: JSON = ["grant_type": "refresh_token", "refresh_token": .string(refresh.revealed)]
            if let tokens = try await grant(body, what: "the refresh token") { return tokens }
        }
        let body: JSON = [
            "grant_type": "password", "email": .string(login.email),
            "password": .string(login.password.revealed),
        ]
        guard let tokens = try await grant(body, what: "the login") else {
            throw RemoteError.credentialRefused(
                "SuperWaba refused the login \(login.email) (remote.login_email and its password)")
        }
        return tokens
    }

    /// Posts one grant; `nil` when SuperWaba refuses it (400 or 401). Network failures and
    /// 5xx are tried three times.
    private func grant(_ body: JSON, what: String) async throws -> Tokens? {
        var request = RemoteRequest(
            method: "POST", url: tokenURL,
            headers: ["Content-Type": "application/json", "Accept": "application/json"],
            body: body.serialized)
        request.freshConnection = true
        var lastProblem = ""
        for attempt in 0..<3 {
            if attempt > 0 { try await Task.sleep(nanoseconds: UInt64(attempt) * 500_000_000) }
            exchanges.withLock { $0 += 1 }
            let response: RemoteResponse
            do {
                response = try await transport.send(request, timeout: timeout)
            } catch TransportError.authenticationChallenge {
                return nil
            } catch {
                lastProblem = "\(error)"
                continue
            }
            if response.status == 400 || response.status == 401 { return nil }
            guard (200..<300).contains(response.status) else {
                lastProblem = "HTTP \(response.status)"
                continue
            }
            let json = try JSONBody.decode(response, "POST /api/auth/token")
            guard let access = json["access_token"]?.string, !access.isEmpty else {
                throw RemoteError.malformed("POST /api/auth/token answered no access_token for \(what)")
            }
            let lifetime = json["expires_in"]?.double.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? 3600
            return Tokens(
                access: Secret(access), refresh: json["refresh_token"]?.string.map(Secret.init),
                expires: Date().addingTimeInterval(min(lifetime, 86_400)))
        }
        throw RemoteError.unavailable("the SuperWaba token endpoint kept failing (\(lastProblem))")
    }
}
