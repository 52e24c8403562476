/// A path template such as `/contacts/{id}`, matched segment by segment.
struct RoutePattern: Sendable {
    let template: String
    private let segments: [Substring]

    init(_ template: String) {
        self.template = template
        segments = template.split(separator: "/")
    }

    /// The `{name}` values when `path` fits the template.
    func match(_ path: Substring) -> [String: String]? {
        let parts = path.split(separator: "/")
        guard parts.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            if segment.hasPrefix("{") && segment.hasSuffix("}") {
                parameters[String(segment.dropFirst().dropLast())] = String(part)
            } else if segment != part {
                return nil
            }
        }
        return parameters
    }
}
