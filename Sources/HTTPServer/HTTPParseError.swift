/// Why bytes from a client are not an acceptable request; each maps to the status the server
/// answers with before it closes the connection.
public enum HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case headersTooLarge
    case bodyTooLarge
    case unsupportedTransferEncoding(String)
    case unsupportedVersion

    public var status: Int {
        switch self {
        case .malformed: return 400
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        case .unsupportedTransferEncoding: return 501
        case .unsupportedVersion: return 505
        }
    }

    public var description: String {
        switch self {
        case .malformed(let reason): return "malformed request: \(reason)"
        case .headersTooLarge: return "request headers too large"
        case .bodyTooLarge: return "request body too large"
        case .unsupportedTransferEncoding(let coding): return "unsupported transfer coding '\(coding)'"
        case .unsupportedVersion: return "HTTP version not supported"
        }
    }
}
