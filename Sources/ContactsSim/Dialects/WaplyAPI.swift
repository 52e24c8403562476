import ContactModel
import Foundation
import HTTPServer
import JSON

/// Waply (`/v1`): bearer keys, `{data,total,page}` pages, partial PUT, real deletes.
struct WaplyAPI: VendorAPI {
    let dialect = Dialect.waply

    var routes: [VendorRoute] {
        [
            VendorRoute(
                method: "GET", pattern: RoutePattern("/contacts"), isListPage: true, handler: Self.list),
            VendorRoute(method: "POST", pattern: RoutePattern("/contacts"), handler: Self.create),
            VendorRoute(method: "GET", pattern: RoutePattern("/contacts/{id}"), handler: Self.read),
            VendorRoute(method: "PUT", pattern: RoutePattern("/contacts/{id}"), handler: Self.update),
            VendorRoute(method: "DELETE", pattern: RoutePattern("/contacts/{id}"), handler: Self.delete),
        ]
    }

    func authenticate(_ request: HTTPRequest, state: inout SimState) -> Result<Caller, VendorError> {
        guard let token = request.bearerToken, let role = state.tokens.roles[token] else {
            return .failure(VendorError(401, "unauthorized", "Missing or invalid API key"))
        }
        guard role != .noAPI else {
            return .failure(VendorError(403, "forbidden", "Your plan does not include API access"))
        }
        return .success(Caller(bucket: token, role: role))
    }

    func render(_ error: VendorError, state: inout SimState) -> HTTPResponse {
        .json(error.status, ["error": ["code": .string(error.code), "message": .string(error.message)]])
    }

    func rateLimited(retryAfter: Int, state: inout SimState) -> HTTPResponse {
        rateLimitedWithHeader(
            "Rate limit exceeded. Retry after \(retryAfter) seconds.", retryAfter: retryAfter, state: &state)
    }

    // MARK: - Rendering

    static func render(_ contact: SimContact) -> JSON {
        [
            "id": .string(contact.id), "phone": JSON(contact.phone), "name": JSON(contact.name),
            "email": JSON(contact.email), "tags": JSON(contact.tags),
            "lifecycle_stage": JSON(contact.lifecycleStage),
            "custom_fields": JSON(contact.attributes),
            "created_at": .string(contact.createdAt.iso8601(fractionalSeconds: false)),
            "updated_at": .string(contact.updatedAt.iso8601(fractionalSeconds: false)),
        ]
    }

    // MARK: - Endpoints

    static func list(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        let paging = try Paging(
            request.http.query, firstPage: 1, defaultLimit: 20, maximum: 100, invalidStatus: 422)
        var keys = state.store.order
        let tag = request.http.query["tag"]
        let search = request.http.query["search"]?.lowercased()
        if tag != nil || search != nil {
            keys = keys.filter { key in
                guard let contact = state.store.contact(key: key) else { return false }
                if let tag, !contact.tags.contains(tag) { return false }
                if let search,
                    !(contact.name?.lowercased().contains(search) ?? false)
                        && !(contact.phone?.contains(search) ?? false)
                {
                    return false
                }
                return true
            }
        }
        var body = Array(#"{"data":"#.utf8)
        body += state.renderedArray(paging.slice(keys, firstPage: 1), render: render)
        body += Array(#","total":\#(keys.count),"page":\#(paging.page)}"#.utf8)
        return .json(200, body)
    }

    static func read(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        .json(200, render(try find(request, state)))
    }

    static func create(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse
    {
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 422)
        guard let phone = try fields.e164("phone") ?? nil else {
            throw VendorError(422, "validation_error", "phone is required")
        }
        try checkDuplicate(phone, except: nil, state)
        var contact = state.blankContact()
        contact.phone = phone
        try apply(fields, to: &contact, state)
        contact.lifecycleStage = "lead"
        return .json(201, render(state.insertNew(contact)))
    }

    static func update(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse
    {
        let existing = try find(request, state)
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 422)
        var contact = existing
        if let phone = try fields.e164("phone") {
            guard let phone else { throw VendorError(422, "validation_error", "phone cannot be removed") }
            try checkDuplicate(phone, except: existing.key, state)
            contact.phone = phone
        }
        try apply(fields, to: &contact, state)
        if let stage = try fields.string("lifecycle_stage") { contact.lifecycleStage = stage }
        let changed = contact
        let updated = state.store.update(key: existing.key, at: state.now()) { $0 = changed }
        return .json(200, render(updated ?? changed))
    }

    static func delete(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse
    {
        let contact = try find(request, state)
        state.store.remove(key: contact.key)
        return .json(200, ["success": true])
    }

    // MARK: - Helpers

    private static func find(_ request: VendorRequest, _ state: SimState) throws(VendorError) -> SimContact {
        guard let contact = state.store.contact(id: request.parameter("id")) else {
            throw VendorError(404, "not_found", "Contact not found")
        }
        return contact
    }

    private static func checkDuplicate(_ phone: String, except key: Int?, _ state: SimState)
        throws(VendorError)
    {
        if let other = state.store.contact(phone: phone), other.key != key {
            throw VendorError(
                state.configuration.duplicateStatus, "duplicate_phone",
                "A contact with this phone number already exists")
        }
    }

    /// name, email, tags (replace) and custom_fields (merge; null removes), as create and
    /// update share them.
    private static func apply(_ fields: BodyFields, to contact: inout SimContact, _ state: SimState)
        throws(VendorError)
    {
        if let name = try fields.string("name") { contact.name = name }
        if let email = try fields.string("email") {
            if let email, !email.looksLikeEmail { throw fields.invalid("email", "is not an email address") }
            contact.email = email
        }
        if let tags = try fields.stringArray("tags") { contact.tags = tags }
        if let custom = try fields.stringMap("custom_fields", allowNull: true) {
            let defined = state.configuration.customFields
            if !defined.isEmpty, let unknown = custom.keys.sorted().first(where: { !defined.contains($0) }) {
                throw VendorError(
                    422, "unknown_custom_field", "Custom field '\(unknown)' is not defined on this account")
            }
            contact.attributes.merge(custom)
        }
    }
}

extension HTTPRequest {
    /// The token of an `Authorization: Bearer …` header.
    var bearerToken: String? {
        guard let value = headers["Authorization"] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }
}
