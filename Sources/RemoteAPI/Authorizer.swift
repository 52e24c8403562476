public import Configuration

/// Puts the credential on each attempt of a request.
///
/// Asked on every attempt rather than once, so a credential that expires (SuperWaba's access
/// tokens) is the current one on a retry, and a request the vendor refused with 401 can be
/// sent again once, after the credential was renewed.
public protocol Authorizer: Sendable {
    /// Adds the credential to a request about to be sent.
    func authorize(_ request: inout RemoteRequest) async throws(RemoteError)
    /// The vendor answered 401 to a request carrying `request`'s credential: renews it when
    /// that can help (only once for many requests refused together) and says whether to send
    /// the request again. A credential that cannot be renewed answers `false`.
    func renew(after request: RemoteRequest) async throws(RemoteError) -> Bool
}

/// A fixed credential in one header: an API key or a bearer token that does not expire.
public struct HeaderCredential: Authorizer {
    let name: String
    let secret: Secret
    let prefix: String

    /// `Authorization: Bearer <token>`.
    public static func bearer(_ token: Secret) -> HeaderCredential {
        HeaderCredential(name: "Authorization", secret: token, prefix: "Bearer ")
    }

    /// `<name>: <key>`, as Qlara's `X-Api-Key`.
    public static func apiKey(_ key: Secret, header name: String) -> HeaderCredential {
        HeaderCredential(name: name, secret: key, prefix: "")
    }

    public func authorize(_ request: inout RemoteRequest) async throws(RemoteError) {
        request.headers[name] = prefix + secret.revealed
    }

    public func renew(after request: RemoteRequest) async throws(RemoteError) -> Bool { false }
}
