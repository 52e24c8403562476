import ContactModel
import HTTPServer
import JSON

/// SendyStack (`/internal/contacts`): dashboard-session bearer tokens with roles, a list of
/// the 500 most recently updated contacts, upsert on phone, a bulk endpoint, no delete.
struct SendyStackAPI: VendorAPI {
    let dialect = Dialect.sendystack
    static let listCap = 500
    static let bulkLimit = 1000
    static let idempotencyWindowMilliseconds: Int64 = 24 * 3600 * 1000

    var routes: [VendorRoute] {
        [
            VendorRoute(
                method: "GET", pattern: RoutePattern("/internal/contacts"), isListPage: true,
                handler: Self.list),
            VendorRoute(method: "POST", pattern: RoutePattern("/internal/contacts"), handler: Self.create),
            VendorRoute(method: "POST", pattern: RoutePattern("/internal/contacts/bulk"), handler: Self.bulk),
            VendorRoute(
                method: "PATCH", pattern: RoutePattern("/internal/contacts/{id}"), handler: Self.patch),
        ]
    }

    func authenticate(_ request: HTTPRequest, state: inout SimState) -> Result<Caller, VendorError> {
        guard let token = request.bearerToken else {
            return .failure(
                VendorError(
                    401, "missing_token", "Authorization: Bearer <dashboard session token> is required"))
        }
        if token.hasPrefix("wac_live_") || token.hasPrefix("wac_test_") {
            return .failure(
                VendorError(
                    403, "dashboard_session_required",
                    "This endpoint requires a dashboard session; API keys cannot call /internal/*"))
        }
        guard let role = state.tokens.roles[token] else {
            return .failure(VendorError(401, "invalid_token", "The session token is invalid or expired"))
        }
        return .success(Caller(bucket: token, role: role))
    }

    func render(_ error: VendorError, state: inout SimState) -> HTTPResponse {
        let type: String
        switch error.status {
        case 401: type = "auth_error"
        case 403: type = error.code == "insufficient_role" ? "permission_error" : "auth_error"
        case 404: type = "not_found_error"
        case 409: type = "conflict_error"
        case 429: type = "rate_limit_error"
        case 500...: type = "api_error"
        default: type = "invalid_request_error"
        }
        let requestID = "req_" + state.random.base32(20).lowercased()
        return .json(
            error.status,
            [
                "error": [
                    "type": .string(type), "code": .string(error.code), "message": .string(error.message),
                    "request_id": .string(requestID),
                ]
            ],
            headers: ["X-Request-Id": requestID])
    }

    func rateLimited(retryAfter: Int, state: inout SimState) -> HTTPResponse {
        rateLimitedWithHeader(
            "Too many requests; retry after \(retryAfter) seconds", retryAfter: retryAfter, state: &state)
    }

    // MARK: - Rendering

    static func render(_ contact: SimContact) -> JSON {
        [
            "id": .string(contact.id), "name": JSON(contact.name), "phone": JSON(contact.phone),
            "country": JSON(contact.country), "attributes": JSON(contact.attributes),
            "tags": JSON(contact.tags),
            "opt_in_status": .string(contact.optIn.rawValue),
            "created_at": .string(contact.createdAt.iso8601(fractionalSeconds: true)),
            "updated_at": .string(contact.updatedAt.iso8601(fractionalSeconds: true)),
        ]
    }

    // MARK: - Endpoints

    static func list(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        let newest = state.store.keys(sortedBy: .updated, ascending: false).prefix(listCap)
        var body = Array(#"{"contacts":"#.utf8)
        body += state.renderedArray(newest, render: render)
        body.append(UInt8(ascii: "}"))
        return .json(200, body)
    }

    static func create(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse
    {
        try requireWrite(request)
        return try idempotent(request, &state) {
            (state: inout SimState) throws(VendorError) -> HTTPResponse in
            let (contact, created) = try upsert(
                BodyFields(object: try request.jsonObject(), invalidStatus: 400), at: state.now(), &state)
            return .json(created ? 201 : 200, ["contact": render(contact), "created": .bool(created)])
        }
    }

    static func bulk(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        try requireWrite(request)
        return try idempotent(request, &state) {
            (state: inout SimState) throws(VendorError) -> HTTPResponse in
            guard let rows = try request.jsonObject()["contacts"]?.array else {
                throw VendorError(400, "validation_error", "contacts must be an array of contacts")
            }
            guard !rows.isEmpty else {
                throw VendorError(400, "validation_error", "contacts must hold at least one row")
            }
            guard rows.count <= bulkLimit else {
                throw VendorError(
                    400, "bulk_limit_exceeded", "at most \(bulkLimit) contacts per request, got \(rows.count)"
                )
            }
            let now = state.now()  // one timestamp for the whole batch, as bulk writes have
            var results: [JSON] = []
            var created = 0
            var updated = 0
            var failed = 0
            for (index, row) in rows.enumerated() {
                do throws(VendorError) {
                    guard let object = row.object else {
                        throw VendorError(400, "validation_error", "row must be an object")
                    }
                    let (contact, isNew) = try upsert(
                        BodyFields(object: object, invalidStatus: 400), at: now, &state)
                    if isNew { created += 1 } else { updated += 1 }
                    results.append([
                        "index": .int(index), "status": .string(isNew ? "created" : "updated"),
                        "id": .string(contact.id),
                    ])
                } catch {
                    failed += 1
                    results.append([
                        "index": .int(index), "status": "failed",
                        "error": ["code": .string(error.code), "message": .string(error.message)],
                    ])
                }
            }
            return .json(
                200,
                [
                    "created": .int(created), "updated": .int(updated), "failed": .int(failed),
                    "results": .array(results),
                ])
        }
    }

    static func patch(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        try requireWrite(request)
        guard let existing = state.store.contact(id: request.parameter("id")) else {
            throw VendorError(404, "not_found", "No contact with id \(request.parameter("id"))")
        }
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 400)
        if let other = fields.object.memberNames.first(where: {
            !["name", "attributes", "tags"].contains($0)
        }) {
            throw VendorError(
                400, "unknown_field", "'\(other)' cannot be patched; allowed: name, attributes, tags")
        }
        guard !fields.object.isEmpty else { throw VendorError(400, "validation_error", "nothing to update") }
        var contact = existing
        if let name = try fields.string("name") { contact.name = name }
        if let attributes = try fields.stringMap("attributes", allowNull: true) {
            contact.attributes.merge(attributes)
        }
        if let tags = try fields.stringArray("tags") { contact.tags = tags }
        let changed = contact
        let updated = state.store.update(key: existing.key, at: state.now()) { $0 = changed }
        return .json(200, render(updated ?? changed))
    }

    // MARK: - Helpers

    private static func requireWrite(_ request: VendorRequest) throws(VendorError) {
        guard request.caller?.role.canWrite ?? false else {
            throw VendorError(
                403, "insufficient_role",
                "Your role cannot change contacts; owner, admin or developer is required")
        }
    }

    /// Creates or updates by normalized phone: given attributes merge key by key, given tags
    /// replace.
    private static func upsert(_ fields: BodyFields, at now: Timestamp, _ state: inout SimState)
        throws(VendorError) -> (SimContact, Bool)
    {
        guard let rawPhone = try fields.string("phone") ?? nil else {
            throw VendorError(400, "validation_error", "phone is required")
        }
        let phone: PhoneNumber
        do {
            phone = try PhoneNumber.normalize(rawPhone)
        } catch {
            throw VendorError(
                400, "invalid_phone", "phone '\(rawPhone)' is not a valid international number: \(error)")
        }
        let name = try fields.string("name")
        let country = try fields.string("country")
        if let code = country ?? nil, code.count != 2 || !code.allSatisfy({ $0.isASCII && $0.isLetter }) {
            throw VendorError(400, "invalid_country", "country must be an ISO 3166-1 alpha-2 code")
        }
        let attributes = try fields.stringMap("attributes", allowNull: true)
        let tags = try fields.stringArray("tags")
        func apply(_ contact: inout SimContact) {
            if let name { contact.name = name }
            if let country { contact.country = country?.uppercased() }
            if let attributes { contact.attributes.merge(attributes) }
            if let tags { contact.tags = tags }
        }
        if let existing = state.store.contact(phone: phone.e164) {
            let updated = state.store.update(key: existing.key, at: now, apply)
            return (updated ?? existing, false)
        }
        var contact = SimContact(createdAt: now, updatedAt: now)
        contact.phone = phone.e164
        apply(&contact)
        return (state.insertNew(contact), true)
    }

    /// Replays the first answer for a repeated `Idempotency-Key` within 24 hours; the same
    /// key with another body is a 409.
    private static func idempotent(
        _ request: VendorRequest, _ state: inout SimState,
        _ body: (inout SimState) throws(VendorError) -> HTTPResponse
    ) throws(VendorError) -> HTTPResponse {
        guard let key = request.http.headers["Idempotency-Key"], !key.isEmpty else { return try body(&state) }
        let now = state.now()
        if let earlier = state.idempotentReplies[key],
            now.millisecondsSinceEpoch - earlier.at.millisecondsSinceEpoch < idempotencyWindowMilliseconds
        {
            guard earlier.body == request.http.body else {
                throw VendorError(
                    409, "idempotency_key_reused",
                    "This Idempotency-Key was used with a different request body")
            }
            var replay = earlier.response
            replay.headers.set(name: "Idempotent-Replayed", value: "true")
            return replay
        }
        let response = try body(&state)
        state.idempotentReplies[key] = IdempotentReply(body: request.http.body, response: response, at: now)
        return response
    }
}
