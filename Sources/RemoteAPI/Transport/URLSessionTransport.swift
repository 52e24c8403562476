import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `HTTPTransport` over one long-lived, ephemeral URLSession (libcurl underneath on Linux).
///
/// Two Linux-specific traps are handled in the session delegate: a 401 that carries
/// `WWW-Authenticate: Basic` (Qlara's) hangs forever unless the challenge is cancelled, and
/// following redirects can crash with curl 8 — vendors' APIs never redirect, so none is
/// followed. The session is never invalidated (an exit-time crash in OpenSSL cleanup).
///
/// Requests marked `freshConnection` (writes: every request with a body) go over a second
/// session whose connections close after one exchange. When a reused keep-alive connection
/// dies mid-request, libcurl resends the request on a new one by itself — a blind retry of a
/// write — and, having to rewind the body, can stall until the timeout (curl/curl#17139).
/// On a fresh connection the loss surfaces at once, and the adapter looks before resending.
public final class URLSessionTransport: HTTPTransport {
    private let session: URLSession
    private let oneShotSession: URLSession

    public init(maximumConnections: Int, timeout: Double = 30) {
        func makeSession() -> URLSession {
            let configuration = URLSessionConfiguration.ephemeral
            configuration.urlCache = nil
            configuration.httpCookieStorage = nil
            configuration.httpShouldSetCookies = false
            configuration.httpMaximumConnectionsPerHost = maximumConnections
            configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
            // On Linux the session's request timeout applies even when a request sets its own.
            configuration.timeoutIntervalForRequest = timeout
            return URLSession(configuration: configuration, delegate: SessionDelegate(), delegateQueue: nil)
        }
        session = makeSession()
        oneShotSession = makeSession()
    }

    public func send(_ request: RemoteRequest, timeout: Double) async throws(TransportError) -> RemoteResponse
    {
        var urlRequest = URLRequest(
            url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        if request.freshConnection { urlRequest.setValue("close", forHTTPHeaderField: "Connection") }
        if let body = request.body { urlRequest.httpBody = Data(body) }
        let exchange = "\(request.method) \(request.url.path)"
        do {
            let (data, response) = try await Self.exchange(
                urlRequest, over: request.freshConnection ? oneShotSession : session, deadline: timeout)
            guard let http = response as? HTTPURLResponse else {
                throw TransportError.network("\(exchange): not an HTTP response")
            }
            var headers: [String: String] = [:]
            for (name, value) in http.allHeaderFields {
                if let name = name as? String, let value = value as? String {
                    headers[name.lowercased()] = value
                }
            }
            return RemoteResponse(status: http.statusCode, headers: headers, body: Array(data))
        } catch let error as TransportError {
            throw error
        } catch Deadline.passed {
            throw .network("\(exchange): no complete answer within \(timeout.formatted()) s")
        } catch let error as URLError {
            if error.code == .cancelled {
                // Our delegate cancels auth challenges; a cancelled task is the other cause.
                throw Task.isCancelled ? .cancelled : .authenticationChallenge
            }
            let address =
                "\(request.url.scheme ?? "http")://\(request.url.host ?? "")\(request.url.port.map { ":\($0)" } ?? "")"
            if [.cannotConnectToHost, .cannotFindHost, .dnsLookupFailed].contains(error.code) {
                throw .cannotConnect(
                    "\(exchange): cannot connect to \(address): \(error.localizedDescription) (URLError \(error.code.rawValue))"
                )
            }
            throw .network("\(exchange): \(error.localizedDescription) (URLError \(error.code.rawValue))")
        } catch {
            throw .network("\(exchange): \(error)")
        }
    }

    /// The request's whole answer within `deadline` seconds. URLSession's own timeout counts
    /// only the time between bytes, so an answer that trickles in would hold a cycle for ever;
    /// here the task is cancelled when the deadline passes, headers or not. A data task with
    /// a completion handler, not the async call: cancelling that one mid-flight on Linux can
    /// leave it never resuming.
    private static func exchange(_ request: URLRequest, over session: URLSession, deadline: Double)
        async throws -> (Data, URLResponse)
    {
        let timedOut = Mutex(false)
        return try await withCheckedThrowingContinuation { continuation in
            let task = session.dataTask(with: request) { data, response, error in
                if let error {
                    let cut = (error as? URLError)?.code == .cancelled && timedOut.withLock { $0 }
                    continuation.resume(throwing: cut ? Deadline.passed : error)
                } else if let data, let response {
                    continuation.resume(returning: (data, response))
                } else {
                    continuation.resume(throwing: URLError(.badServerResponse))
                }
            }
            let timer = DispatchWorkItem {
                timedOut.withLock { $0 = true }
                task.cancel()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + max(0.001, deadline), execute: timer)
            task.resume()
        }
    }

    /// A request's deadline passed before its answer was complete.
    private enum Deadline: Error { case passed }
}

/// Cancels authentication challenges and declines redirects (see `URLSessionTransport`).
///
/// `@unchecked Sendable`: it has no stored state at all, so sharing it between the
/// session's delegate queue and anything else cannot race; NSObject just is not `Sendable`.
private final class SessionDelegate: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
        completionHandler: @escaping @Sendable (URLSession.AuthChallengeDisposition, URLCredential?) -> Void
    ) {
        completionHandler(.cancelAuthenticationChallenge, nil)
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
