/// The vendors syncd speaks to, and the facts each publishes (or where its docs are silent,
/// what syncd assumes): where its API lives and how many requests it allows.
///
/// Facts live here, beside nothing else, so the configuration, the HTTP clients and the
/// emulator's defaults agree without any of them owning another's knowledge.
public enum Vendor: String, Sendable, CaseIterable {
    case sendystack, superwaba, waply, qlara

    /// The production API's base URL.
    public var defaultBaseURL: String {
        switch self {
        case .sendystack: return "https://api.sendystack.com"
        case .superwaba: return "https://app.superwaba.com"
        case .waply: return "https://api.waply.io/v1"
        case .qlara: return "https://lora-api.agiletelecom.com/api/partner-gateway/v1"
        }
    }

    /// The published request limit a minute; `nil` where the vendor publishes none
    /// (SendyStack), and syncd learns a safe rate from its 429s instead.
    public var publishedRequestsPerMinute: Int? {
        switch self {
        case .waply, .superwaba: return 100
        case .qlara: return 1000
        case .sendystack: return nil
        }
    }

    /// The published burst limit a second, where there is one besides the minute's.
    public var publishedRequestsPerSecond: Int? { self == .qlara ? 50 : nil }

    /// How many contacts one listing request returns, at the most the vendor allows; for
    /// SendyStack, its whole listing (the 500 most recently updated) in one request.
    public var listPageSize: Int {
        switch self {
        case .waply, .superwaba: return 100
        case .qlara: return 1000
        case .sendystack: return 500
        }
    }

    /// Whether the listing shows the whole book (SendyStack's shows only the most recent).
    public var listsWholeBook: Bool { self != .sendystack }

    /// Whether syncd learns this vendor's limit from its 429s (it publishes none).
    public var learnsRequestLimit: Bool { publishedRequestsPerMinute == nil }
}
