import Configuration
import ContactsSim
import Foundation
import JSON
import RemoteAPI
import Synchronization
import TestSupport
import Testing

/// The one request pipeline every vendor shares: the credential is asked for on each attempt,
/// and a 401 is answered by renewing it once and sending the request again.
@Suite struct RequestPipelineTests {
    /// Hands out `first` until renewed, then `second`; counts renewals.
    final class RenewingToken: Authorizer {
        let tokens = Mutex<(current: String, next: String?, renewals: Int)>(("", nil, 0))

        init(first: String, then second: String?) { tokens.withLock { $0 = (first, second, 0) } }

        var renewals: Int { tokens.withLock { $0.renewals } }

        func authorize(_ request: inout RemoteRequest) async throws(RemoteError) {
            request.headers["Authorization"] = "Bearer " + tokens.withLock { $0.current }
        }

        func renew(after request: RemoteRequest) async throws(RemoteError) -> Bool {
            tokens.withLock { state in
                state.renewals += 1
                guard let next = state.next else { return false }
                state.current = next
                state.next = nil
                return true
            }
        }
    }

    private func executor(_ authorizer: any Authorizer) -> RequestExecutor {
        RequestExecutor(
            transport: URLSessionTransport(maximumConnections: 2, timeout: 5),
            policy: RetryPolicy(maximumAttempts: 2, initialBackoff: 0.01),
            timeout: 5, authorizer: authorizer)
    }

    @Test func a401IsAnsweredByRenewingTheCredentialOnceAndSendingAgain() async throws {
        let sim = try SimHarness(.waply)
        let token = RenewingToken(first: "expired", then: sim.token)
        let request = RemoteRequest(
            method: "GET", url: URL(string: sim.simulator.baseURL + "/contacts?page=1&limit=10")!,
            headers: ["Accept": "application/json"])
        let response = try await executor(token).send(request, repeatable: .yes)
        #expect(response.status == 200)
        #expect(token.renewals == 1)
        #expect(try sim.stats()["endpoints"]?["GET /v1/contacts"] == ["200": 1, "401": 1])
    }

    @Test func aCredentialThatCannotBeRenewedGivesThe401Back() async throws {
        let sim = try SimHarness(.waply)
        let token = RenewingToken(first: "wrong", then: nil)
        let request = RemoteRequest(
            method: "GET", url: URL(string: sim.simulator.baseURL + "/contacts")!,
            headers: ["Accept": "application/json"])
        let response = try await executor(token).send(request, repeatable: .yes)
        #expect(response.status == 401)
        #expect(token.renewals == 1, "asked once, never in a loop")
    }
}
