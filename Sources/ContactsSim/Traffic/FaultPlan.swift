import JSON

/// Faults the emulator injects into vendor requests, for resilience tests.
///
/// Each kind can strike at random (`…Rate`, a share of matching requests) or deterministically
/// (`…Next`, the next N matching requests). `methods` and `pathContains` narrow which requests
/// match; the control API is never affected.
public struct FaultPlan: Sendable, Equatable {
    /// 500, 502 or 503 instead of an answer; nothing is applied.
    public var serverErrorRate = 0.0
    public var serverErrorNext = 0
    /// The connection closes without an answer before the request is applied.
    public var dropBeforeRate = 0.0
    public var dropBeforeNext = 0
    /// The request is applied, then the connection closes without an answer: the client never
    /// learns that its write succeeded.
    public var dropAfterRate = 0.0
    public var dropAfterNext = 0
    /// A successful answer whose JSON body is cut short.
    public var malformedRate = 0.0
    public var malformedNext = 0
    /// The next N requests get the dialect's 429, whatever the budget says.
    public var force429Next = 0
    /// The wait hinted by forced 429s (where the dialect hints at all).
    public var retryAfterSeconds = 1
    /// `false` strips every hint (header and body) from forced 429s, whatever the dialect.
    public var hint429 = true
    /// Added to every matching request.
    public var latencyMilliseconds = 0
    /// A share of requests that wait `spikeMilliseconds` more.
    public var spikeRate = 0.0
    public var spikeMilliseconds = 0
    /// Contacts created and deleted (as dashboard users would) before each list page is served.
    public var churnInsertPerPage = 0
    public var churnDeletePerPage = 0
    public var methods: [String]? = nil
    public var pathContains: String? = nil

    public init() {}

    func matches(method: String, path: String) -> Bool {
        if let methods, !methods.contains(method.uppercased()) { return false }
        if let pathContains, !path.contains(pathContains) { return false }
        return true
    }
}

// MARK: - JSON form (control API and flags)

extension FaultPlan {
    /// The keys the control API accepts, each with how to read and write it.
    private static var rates: [(String, WritableKeyPath<FaultPlan, Double>)] {
        [
            ("server_error_rate", \.serverErrorRate), ("drop_before_rate", \.dropBeforeRate),
            ("drop_after_rate", \.dropAfterRate), ("malformed_rate", \.malformedRate),
            ("spike_rate", \.spikeRate),
        ]
    }
    private static var counts: [(String, WritableKeyPath<FaultPlan, Int>)] {
        [
            ("server_error_next", \.serverErrorNext), ("drop_before_next", \.dropBeforeNext),
            ("drop_after_next", \.dropAfterNext), ("malformed_next", \.malformedNext),
            ("force_429_next", \.force429Next),
            ("retry_after_seconds", \.retryAfterSeconds), ("latency_ms", \.latencyMilliseconds),
            ("spike_ms", \.spikeMilliseconds), ("churn_insert_per_page", \.churnInsertPerPage),
            ("churn_delete_per_page", \.churnDeletePerPage),
        ]
    }

    var json: JSON {
        var object = JSONObject()
        for (name, path) in Self.rates { object[name] = .double(self[keyPath: path]) }
        for (name, path) in Self.counts { object[name] = .int(self[keyPath: path]) }
        object["hint_429"] = .bool(hint429)
        object["methods"] = methods.map { JSON($0) } ?? .null
        object["path_contains"] = JSON(pathContains)
        return .object(object)
    }

    /// Applies the members of `json` on top of this plan; names the first bad member.
    mutating func apply(_ json: JSON) throws(SimError) {
        guard let object = json.object else { throw SimError.badRequest("faults must be a JSON object") }
        for (name, value) in object {
            if let path = Self.rates.first(where: { $0.0 == name })?.1 {
                guard let rate = value.double, (0...1).contains(rate) else {
                    throw SimError.badRequest("\(name) must be a number from 0 to 1")
                }
                self[keyPath: path] = rate
            } else if let path = Self.counts.first(where: { $0.0 == name })?.1 {
                guard let count = value.int, count >= 0 else {
                    throw SimError.badRequest("\(name) must be a whole number, 0 or more")
                }
                self[keyPath: path] = count
            } else if name == "hint_429" {
                guard let flag = value.bool else {
                    throw SimError.badRequest("hint_429 must be true or false")
                }
                hint429 = flag
            } else if name == "methods" {
                guard value.isNull || value.array?.allSatisfy({ $0.string != nil }) == true else {
                    throw SimError.badRequest("methods must be an array of strings or null")
                }
                methods = value.array?.compactMap { $0.string?.uppercased() }
            } else if name == "path_contains" {
                guard value.isNull || value.string != nil else {
                    throw SimError.badRequest("path_contains must be a string or null")
                }
                pathContains = value.string
            } else {
                throw SimError.badRequest("unknown fault '\(name)'")
            }
        }
    }
}
