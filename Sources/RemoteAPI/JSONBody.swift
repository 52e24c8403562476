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
            throw notJSON(response, what, error)
        }
    }

    /// The body as JSON but for the array at `path`, whose items stay bytes until decoded.
    static func decode(_ response: RemoteResponse, _ what: String, deferringArrayAt path: [String])
        throws(RemoteError) -> PartlyParsedJSON
    {
        do {
            return try PartlyParsedJSON(response.body, deferringArrayAt: path)
        } catch {
            throw notJSON(response, what, error)
        }
    }

    private static func notJSON(_ response: RemoteResponse, _ what: String, _ error: JSONError) -> RemoteError
    {
        let preview = String(decoding: response.body.prefix(80), as: UTF8.self)
        return .malformed(
            "\(what) answered HTTP \(response.status) with a body that is not JSON (\(error.reason)): \(preview)"
        )
    }
}
