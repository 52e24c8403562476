import JSON

/// What every vendor adapter does with an answer: pass 2xx, turn 401/403 into a refused
/// credential and any other status into a rejection with the vendor's own code and words.
///
/// The four vendors spell errors differently (`{"error":{"code","message","request_id"}}`,
/// `{"success":false,"error":"…"}`, `{"status","error","message"}`); one reader takes all.
enum VendorResponses {
    static func check(_ response: RemoteResponse, _ what: String) throws(RemoteError) {
        guard !(200...299).contains(response.status) else { return }
        let (code, message) = describe(response)
        switch response.status {
        case 401: throw .credentialRefused("\(what): HTTP 401 \(message)")
        case 403: throw .credentialRefused("\(what): HTTP 403\(code.map { " \($0)" } ?? "") \(message)")
        default: throw .rejected(status: response.status, code: code, message: "\(what): \(message)")
        }
    }

    /// The vendor's error code (if any) and a message that includes its request id (if any).
    static func describe(_ response: RemoteResponse) -> (code: String?, message: String) {
        guard let body = try? JSON.parse(response.body) else {
            let text = String(decoding: response.body.prefix(120), as: UTF8.self)
            return (nil, text.isEmpty ? "(no body)" : text)
        }
        var code: String?
        var message: String?
        var requestID: String?
        if let error = body["error"], error.object != nil {
            code = error["code"]?.string ?? error["type"]?.string
            message = error["message"]?.string
            requestID = error["request_id"]?.string
        } else if let error = body["error"]?.string {
            message = body["message"]?.string.map { "\(error): \($0)" } ?? error
        }
        if message == nil { message = body["message"]?.string }
        var text = message ?? String(decoding: response.body.prefix(120), as: UTF8.self)
        if let requestID { text += " (request_id \(requestID))" }
        return (code, text)
    }
}
