/// How a vendor call failed, in the terms the sync engine acts on.
public enum RemoteError: Error, Sendable, CustomStringConvertible {
    /// 401/403: the credential is refused. The run ends at once.
    case credentialRefused(String)
    /// The vendor refused this contact (400/404/409/422 with its reason); the rest go on.
    case rejected(status: Int, code: String?, message: String)
    /// Retries were exhausted on 5xx or network failures.
    case unavailable(String)
    /// The vendor's rate limit (or syncd's budget for it) would hold the cycle too long: it
    /// stops with its progress saved, and the next cycle goes on.
    case deferred(String)
    /// A write's answer was lost (connection dropped, 5xx): it may or may not have applied.
    /// The adapter resolves this by looking the contact up before sending again.
    case outcomeUnknown(String)
    /// The vendor answered something that is not what its API documents.
    case malformed(String)
    /// The operation does not exist on this vendor's API.
    case unsupported(String)

    public var description: String {
        switch self {
        case .credentialRefused(let message): return "credential refused: \(message)"
        case .rejected(let status, let code, let message):
            return "rejected (HTTP \(status)\(code.map { " \($0)" } ?? "")): \(message)"
        case .unavailable(let message): return "remote unavailable: \(message)"
        case .deferred(let message): return "deferred: \(message)"
        case .outcomeUnknown(let message): return "outcome unknown: \(message)"
        case .malformed(let message): return "unexpected answer: \(message)"
        case .unsupported(let message): return "not supported: \(message)"
        }
    }
}
