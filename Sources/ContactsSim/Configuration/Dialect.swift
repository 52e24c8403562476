/// The vendor API an emulator instance speaks.
public enum Dialect: String, Sendable, CaseIterable {
    case sendystack
    case superwaba
    case waply
    case qlara

    /// Where the vendor's API lives under the base URL a client is configured with.
    public var basePath: String {
        switch self {
        case .sendystack: return ""
        case .superwaba: return ""
        case .waply: return "/v1"
        case .qlara: return "/api/partner-gateway/v1"
        }
    }

    /// The published request limit, or SendyStack's unpublished one (PROVIDERS.md gives no
    /// number; the emulator assumes 300 a minute so that clients meet a 429 now and then).
    public var defaultRateLimit: RateLimit {
        switch self {
        case .sendystack: return RateLimit(perMinute: 300)
        case .superwaba: return RateLimit(perMinute: 100)
        case .waply: return RateLimit(perMinute: 100)
        case .qlara: return RateLimit(perMinute: 1000, perSecond: 50)
        }
    }

    /// Whether timestamps carry milliseconds (Waply's pages show whole seconds).
    var timestampsHaveMilliseconds: Bool { self != .waply }
}

/// A request budget: requests in any rolling minute, and optionally in any rolling second.
public struct RateLimit: Sendable, Equatable {
    public var perMinute: Int
    public var perSecond: Int?

    public init(perMinute: Int, perSecond: Int? = nil) {
        self.perMinute = perMinute
        self.perSecond = perSecond
    }
}
