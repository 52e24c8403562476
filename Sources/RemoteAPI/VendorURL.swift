import Foundation

/// Where a vendor request goes: the configured base URL, the API's own path, and at most one
/// vendor-given id, always as exactly one path segment.
///
/// Ids come from the vendor's answers: one that reads as a path (`../../admin/wipe`) must
/// never take an authenticated request outside the API's base path, so every character that
/// could end a segment, start a query or act as a dot segment is percent-encoded.
enum VendorURL {
    /// `base` + `/` + `path` (the API's own, trusted) + `/` + `id` (encoded), with `query`.
    static func make(_ base: URL, _ path: String, id: String? = nil, query: [(String, String)] = []) -> URL {
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false) else { return base }
        var encodedPath = components.percentEncodedPath
        while encodedPath.hasSuffix("/") { encodedPath.removeLast() }
        if !path.isEmpty { encodedPath += "/" + path }
        if let id { encodedPath += "/" + segment(id) }
        components.percentEncodedPath = encodedPath
        if !query.isEmpty {
            components.percentEncodedQuery = query.map { "\($0.0)=\(queryValue($0.1))" }.joined(
                separator: "&")
        }
        return components.url ?? base
    }

    /// `id` as one path segment: everything but letters, digits, `-`, `_` and `~` encoded,
    /// and a lone `.` or `..` too (a dot segment would climb out of the base path).
    static func segment(_ id: String) -> String {
        let encoded = strictlyEncoded(id)
        return encoded == "." || encoded == ".."
            ? encoded.replacingOccurrences(of: ".", with: "%2E") : encoded
    }

    /// Why a vendor-given id cannot be one (`nil`: it can). Encoded, any id stays inside the
    /// base path; these are ids no vendor hands out, and a contact under one is reported and
    /// skipped rather than linked: an empty id, one with a `/`, a control character, a lone
    /// dot segment, or over 256 bytes.
    static func problem(withID id: String) -> String? {
        if id.isEmpty { return "an empty id" }
        if id.utf8.count > 256 { return "an id of \(id.utf8.count) bytes (at most 256)" }
        if id.contains("/") { return "an id with a '/'" }
        if id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "an id with a control character"
        }
        if id == "." || id == ".." { return "the id '\(id)'" }
        return nil
    }

    /// An id as it may appear in a note or a log line: control characters escaped, cut short.
    static func printable(_ id: String) -> String {
        let escaped = id.unicodeScalars.map { scalar in
            scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
        }.joined()
        return escaped.count > 64 ? escaped.prefix(64) + "…" : escaped
    }

    /// Query values are encoded strictly: a `+` in a phone must not read as a space.
    static func queryValue(_ value: String) -> String { strictlyEncoded(value) }

    private static func strictlyEncoded(_ value: String) -> String {
        var allowed = CharacterSet()
        allowed.insert(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
