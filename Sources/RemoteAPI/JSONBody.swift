import JSON

/// Reading vendors' JSON answers, with errors that say which endpoint answered what.
enum JSONBody {
    static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSON {
        try JSON.parse(bytes)
    }

    /// The body as JSON, or a `.malformed` error naming the endpoint and a bit of the body.
    static func decode(_ response: RemoteResponse, _ what: String) throws(RemoteError) -> JSON {
        do {
            return try JSON.parse(response.body)
        } catch {
            let preview = String(decoding: response.body.prefix(80), as: UTF8.self)
            throw .malformed(
                "\(what) answered HTTP \(response.status) with a body that is not JSON (\(error.reason)): \(preview)"
            )
        }
    }
}
