import JSON

/// How many vendor requests each endpoint got, by answer, so tests can assert what a sync
/// cost ("a quiet cycle costs exactly the list pages").
struct RequestCounters: Sendable {
    /// What a request ended as: an HTTP status, or a connection closed on purpose.
    enum Outcome: Hashable, Sendable {
        case status(Int)
        case dropped

        var name: String {
            switch self {
            case .status(let status): return String(status)
            case .dropped: return "dropped"
            }
        }
    }

    private var counts: [String: [Outcome: Int]] = [:]

    mutating func record(endpoint: String, outcome: Outcome) {
        counts[endpoint, default: [:]][outcome, default: 0] += 1
    }

    mutating func reset() { counts.removeAll() }

    var json: JSON {
        var endpoints = JSONObject()
        var total = 0
        var reads = 0
        var writes = 0
        for endpoint in counts.keys.sorted() {
            var outcomes = JSONObject()
            for (outcome, count) in counts[endpoint]!.sorted(by: { $0.key.name < $1.key.name }) {
                outcomes[outcome.name] = .int(count)
                total += count
                if endpoint.hasPrefix("GET ") { reads += count } else { writes += count }
            }
            endpoints[endpoint] = .object(outcomes)
        }
        return [
            "total": .int(total), "reads": .int(reads), "writes": .int(writes),
            "endpoints": .object(endpoints),
        ]
    }
}
