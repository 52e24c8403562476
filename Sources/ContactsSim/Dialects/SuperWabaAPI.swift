import ContactModel
import HTTPServer
import JSON

/// SuperWaba (`/api/whatsapp/contacts`): organisation header plus expiring bearer tokens from
/// `/api/auth/token`, camelCase reads and snake_case PATCH, 409 on duplicates, no delete.
struct SuperWabaAPI: VendorAPI {
    let dialect = Dialect.superwaba
    static let bulkLimit = 1000

    var routes: [VendorRoute] {
        [
            VendorRoute(
                method: "POST", pattern: RoutePattern("/api/auth/token"), requiresAuth: false,
                rateLimited: false, handler: Self.token),
            VendorRoute(
                method: "GET", pattern: RoutePattern("/api/whatsapp/contacts"), isListPage: true,
                handler: Self.list),
            VendorRoute(
                method: "POST", pattern: RoutePattern("/api/whatsapp/contacts"), handler: Self.create),
            VendorRoute(
                method: "POST", pattern: RoutePattern("/api/whatsapp/contacts/bulk"), handler: Self.bulk),
            VendorRoute(
                method: "GET", pattern: RoutePattern("/api/whatsapp/contacts/{id}"), handler: Self.read),
            VendorRoute(
                method: "PATCH", pattern: RoutePattern("/api/whatsapp/contacts/{id}"), handler: Self.patch),
        ]
    }

    func authenticate(_ request: HTTPRequest, state: inout SimState) -> Result<Caller, VendorError> {
        let unauthorized = VendorError(401, "unauthorized", "Unauthorized")
        guard let organization = request.headers["x-org-id"],
            organization == state.configuration.organization,
            let token = request.bearerToken
        else { return .failure(unauthorized) }
        if let role = state.tokens.roles[token] { return .success(Caller(bucket: organization, role: role)) }
        guard let expiry = state.tokens.accessTokens[token] else { return .failure(unauthorized) }
        guard state.now() < expiry else {
            return .failure(VendorError(401, "token_expired", "Token expired"))
        }
        return .success(Caller(bucket: organization, role: .owner))
    }

    func render(_ error: VendorError, state: inout SimState) -> HTTPResponse {
        .json(error.status, ["success": false, "error": .string(error.message)])
    }

    /// SuperWaba's 429 says nothing about when to come back: no header, no hint.
    func rateLimited(retryAfter: Int, state: inout SimState) -> HTTPResponse {
        render(VendorError(429, "rate_limited", "Rate limit exceeded"), state: &state)
    }

    // MARK: - Rendering

    /// A list item: camelCase, and no `params` or `vendorContactId` (only the detail has them).
    static func renderItem(_ contact: SimContact) -> JSON {
        var object: JSONObject = [
            "id": .string(contact.id), "name": JSON(contact.name), "phone": JSON(contact.phone),
            "email": JSON(contact.email), "countryCode": JSON(contact.country), "tags": JSON(contact.tags),
            "labels": JSON(contact.labels), "source": JSON(contact.source),
            "optedIn": .bool(contact.optIn == .optedIn),
            "isBlocked": .bool(contact.blocked),
        ]
        object["lastMessageAt"] = JSON(contact.lastMessageAt?.iso8601(fractionalSeconds: true))
        object["conversationCount"] = .int(contact.conversationCount)
        object["createdAt"] = .string(contact.createdAt.iso8601(fractionalSeconds: true))
        object["updatedAt"] = .string(contact.updatedAt.iso8601(fractionalSeconds: true))
        return .object(object)
    }

    static func renderDetail(_ contact: SimContact) -> JSON {
        guard case .object(let item) = renderItem(contact) else { return .null }
        var object: JSONObject = [
            "id": .string(contact.id), "vendorContactId": JSON(contact.vendorContactID),
        ]
        for (key, value) in item where key != "id" {
            object[key] = value
            if key == "labels" { object["params"] = JSON(contact.attributes) }
        }
        return .object(object)
    }

    /// The PATCH answer, in snake_case as the vendor's page shows.
    static func renderPatched(_ contact: SimContact) -> JSON {
        [
            "id": .string(contact.id), "name": JSON(contact.name), "phone": JSON(contact.phone),
            "email": JSON(contact.email), "country_code": JSON(contact.country), "tags": JSON(contact.tags),
            "params": JSON(contact.attributes), "is_blocked": .bool(contact.blocked),
            "opted_in": .bool(contact.optIn == .optedIn),
            "updated_at": .string(contact.updatedAt.iso8601(fractionalSeconds: true)),
        ]
    }

    private static func success(_ status: Int, _ data: JSON) -> HTTPResponse {
        .json(status, ["success": true, "data": data])
    }

    // MARK: - Endpoints

    static func token(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 400)
        switch try fields.string("grant_type") ?? nil {
        case "password":
            guard try fields.string("email") ?? nil == state.configuration.email,
                try fields.string("password") ?? nil == state.configuration.password
            else { throw VendorError(401, "invalid_credentials", "Invalid email or password") }
        case "refresh_token":
            guard let refresh = try fields.string("refresh_token") ?? nil,
                state.tokens.refreshTokens.remove(refresh) != nil
            else {
                throw VendorError(401, "invalid_refresh_token", "Invalid or expired refresh token")
            }
        default:
            throw VendorError(400, "unsupported_grant_type", "grant_type must be password or refresh_token")
        }
        let access = "swa_" + state.random.hex(40)
        let refresh = "swr_" + state.random.hex(40)
        let lifetime = state.configuration.tokenLifetimeSeconds
        state.tokens.accessTokens[access] = state.now().adding(milliseconds: Int64(lifetime) * 1000)
        state.tokens.refreshTokens.insert(refresh)
        return .json(
            200,
            [
                "access_token": .string(access), "refresh_token": .string(refresh),
                "expires_in": .int(lifetime), "token_type": "Bearer",
            ])
    }

    static func list(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        let query = request.http.query
        let paging = try Paging(query, firstPage: 1, defaultLimit: 20, maximum: 100, invalidStatus: 400)
        let sortKey: ContactStore.SortKey
        switch query["sortBy"] ?? "created_at" {
        case "created_at": sortKey = .created
        case "name": sortKey = .name
        case "last_message_at": sortKey = .lastMessage
        default:
            throw VendorError(
                400, "validation_error", "Invalid sortBy: use created_at, name or last_message_at")
        }
        let order = query["sortOrder"]?.lowercased() ?? "desc"
        guard order == "asc" || order == "desc" else {
            throw VendorError(400, "validation_error", "Invalid sortOrder: use asc or desc")
        }
        var keys = state.store.keys(sortedBy: sortKey, ascending: order == "asc")
        if let search = query["search"]?.lowercased(), !search.isEmpty {
            keys = keys.filter { key in
                guard let contact = state.store.contact(key: key) else { return false }
                return [contact.name, contact.phone, contact.email].contains {
                    $0?.lowercased().contains(search) ?? false
                }
            }
        }
        var data = Array(#"{"contacts":"#.utf8)
        data += state.renderedArray(paging.slice(keys, firstPage: 1), render: renderItem)
        data += Array(
            #","total":\#(keys.count),"page":\#(paging.page),"limit":\#(paging.limit),"hasNext":\#(paging.page * paging.limit < keys.count)}"#
                .utf8)
        return .json(200, Array(#"{"success":true,"data":"#.utf8) + data + [UInt8(ascii: "}")])
    }

    static func read(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        success(200, renderDetail(try find(request, state)))
    }

    static func create(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse
    {
        let contact = try newContact(BodyFields(object: try request.jsonObject(), invalidStatus: 400), state)
        if state.store.contact(phone: contact.phone ?? "") != nil {
            throw VendorError(409, "duplicate", "Contact with this phone number already exists")
        }
        return success(201, renderDetail(state.insertNew(contact)))
    }

    static func bulk(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        guard let rows = try request.jsonObject()["contacts"]?.array else {
            throw VendorError(400, "validation_error", "contacts array is required")
        }
        guard rows.count <= bulkLimit else {
            throw VendorError(400, "bulk_limit", "Maximum \(bulkLimit) contacts per request")
        }
        var created: [JSON] = []
        var errors: [JSON] = []
        let now = state.now()
        for (index, row) in rows.enumerated() {
            let phoneText = row["userNumber"]?.string
            do throws(VendorError) {
                guard let object = row.object else {
                    throw VendorError(400, "validation_error", "Each contact must be an object")
                }
                var contact = try newContact(BodyFields(object: object, invalidStatus: 400), state)
                guard state.store.contact(phone: contact.phone ?? "") == nil else {
                    throw VendorError(409, "duplicate", "Contact already exists")
                }
                contact.createdAt = now
                contact.updatedAt = now
                let stored = state.insertNew(contact)
                created.append(["id": .string(stored.id), "phone": JSON(stored.phone), "status": "created"])
            } catch {
                errors.append([
                    "index": .int(index), "phone": JSON(phoneText), "error": .string(error.message),
                ])
            }
        }
        return success(
            200,
            [
                "imported": .int(created.count), "skipped": .int(errors.count), "errors": .array(errors),
                "contacts": .array(created),
            ])
    }

    static func patch(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        let existing = try find(request, state)
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 400)
        let known = ["name", "email", "country_code", "tags", "params", "is_blocked", "source", "opted_in"]
        guard fields.object.memberNames.contains(where: known.contains) else {
            throw VendorError(400, "validation_error", "No valid fields to update")
        }
        var contact = existing
        if let name = try fields.string("name") { contact.name = name }
        if let email = try fields.string("email") { contact.email = email }
        if let country = try fields.string("country_code") { contact.country = country?.uppercased() }
        if let tags = try fields.stringArray("tags") { contact.tags = tags }
        if let params = try fields.stringMap("params", allowNull: false) {
            contact.attributes = params.compactMapValues { $0 }
        }
        if let blocked = try fields.bool("is_blocked") { contact.blocked = blocked }
        if let source = try fields.string("source") { contact.source = source }
        if let optedIn = try fields.bool("opted_in") { contact.optIn = optedIn ? .optedIn : .optedOut }
        let changed = contact
        let updated = state.store.update(key: existing.key, at: state.now()) { $0 = changed }
        return success(200, renderPatched(updated ?? changed))
    }

    // MARK: - Helpers

    /// Accepts the `contact_` id or the 24-hex vendor id.
    private static func find(_ request: VendorRequest, _ state: SimState) throws(VendorError) -> SimContact {
        let id = request.parameter("id")
        guard let contact = state.store.contact(id: id) ?? state.store.contact(vendorID: id) else {
            throw VendorError(404, "not_found", "Contact not found")
        }
        return contact
    }

    /// A create body: `userNumber` required; starts opted out (a create cannot set opt-in).
    private static func newContact(_ fields: BodyFields, _ state: SimState) throws(VendorError) -> SimContact
    {
        guard let raw = try fields.string("userNumber") ?? nil, !raw.isEmpty else {
            throw VendorError(400, "validation_error", "Phone number (userNumber) is required")
        }
        guard let phone = PhoneNumber(e164: raw) else {
            throw VendorError(
                400, "invalid_phone", "Invalid phone number: use E.164 format, e.g. +971501234567")
        }
        var contact = state.blankContact()
        contact.phone = phone.e164
        contact.name = try fields.string("userName") ?? nil
        contact.email = try fields.string("email") ?? nil
        contact.country = (try fields.string("countryCode") ?? nil)?.uppercased()
        contact.tags = try fields.stringArray("tags") ?? []
        contact.attributes = (try fields.stringMap("params", allowNull: false) ?? [:]).compactMapValues { $0 }
        contact.source = "api"
        contact.optIn = .optedOut
        return contact
    }
}
