import ContactModel
import Foundation
import HTTPServer
import JSON

/// Agile Telecom Qlara (`/api/partner-gateway/v1`): `X-Api-Key` or Basic auth, 0-based
/// pages, full-replace PUT, batch delete, contact lists, two-step imports, async exports,
/// and `X-RateLimit-*` headers on every response.
struct QlaraAPI: VendorAPI {
    let dialect = Dialect.qlara
    static let deleteLimit = 1000

    var routes: [VendorRoute] {
        [
            VendorRoute(
                method: "GET", pattern: RoutePattern("/contacts"), isListPage: true, handler: Self.list),
            VendorRoute(method: "POST", pattern: RoutePattern("/contacts"), handler: Self.create),
            VendorRoute(method: "DELETE", pattern: RoutePattern("/contacts"), handler: Self.delete),
            VendorRoute(method: "GET", pattern: RoutePattern("/contacts/list"), handler: Self.lists),
            VendorRoute(method: "POST", pattern: RoutePattern("/contacts/list"), handler: Self.createList),
            VendorRoute(
                method: "POST", pattern: RoutePattern("/contacts/list/contacts"), handler: Self.addToLists),
            VendorRoute(
                method: "DELETE", pattern: RoutePattern("/contacts/list/contacts"),
                handler: Self.removeFromLists),
            VendorRoute(
                method: "GET", pattern: RoutePattern("/contacts/list/{listId}/contacts"), isListPage: true,
                handler: Self.listMembers),
            VendorRoute(method: "POST", pattern: RoutePattern("/contacts/upload"), handler: Self.uploadCSV),
            VendorRoute(
                method: "POST", pattern: RoutePattern("/contacts/upload/vcard"), handler: Self.uploadVCard),
            VendorRoute(
                method: "POST", pattern: RoutePattern("/contacts/mapped/file"), handler: Self.importCSV),
            VendorRoute(
                method: "POST", pattern: RoutePattern("/contacts/mapped/vcard"), handler: Self.importVCard),
            VendorRoute(method: "GET", pattern: RoutePattern("/contacts/{id}"), handler: Self.read),
            VendorRoute(method: "PUT", pattern: RoutePattern("/contacts/{id}"), handler: Self.replace),
            VendorRoute(
                method: "POST", pattern: RoutePattern("/exports/contacts"), handler: Self.startExport),
            VendorRoute(method: "GET", pattern: RoutePattern("/exports/{id}"), handler: Self.exportStatus),
            VendorRoute(
                method: "POST", pattern: RoutePattern("/exports/{id}"), handler: Self.regenerateExport),
            VendorRoute(
                method: "GET", pattern: RoutePattern("/exports/{id}/download"), requiresAuth: false,
                rateLimited: false, handler: Self.download),
        ]
    }

    func authenticate(_ request: HTTPRequest, state: inout SimState) -> Result<Caller, VendorError> {
        var presented = request.headers["X-Api-Key"]
        if presented == nil, let authorization = request.headers["Authorization"],
            authorization.lowercased().hasPrefix("basic ")
        {
            let encoded = String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)
            if let data = Data(base64Encoded: encoded), let pair = String(data: data, encoding: .utf8) {
                let parts = pair.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(
                    String.init)
                presented = parts.first { state.tokens.roles[$0] != nil }
            }
        }
        guard let key = presented, let role = state.tokens.roles[key] else {
            return .failure(
                VendorError(401, "Unauthorized", "Full authentication is required to access this resource"))
        }
        return .success(Caller(bucket: key, role: role))
    }

    func render(_ error: VendorError, state: inout SimState) -> HTTPResponse {
        var response = HTTPResponse.json(
            error.status,
            [
                "status": .int(error.status), "error": .string(HTTPResponse.reasonPhrase(for: error.status)),
                "message": .string(error.message),
            ])
        if error.status == 401 {
            // Basic auth is accepted, so a 401 carries the challenge (clients must cope with it).
            response.headers.set(name: "WWW-Authenticate", value: #"Basic realm="Qlara Partner Gateway""#)
        }
        return response
    }

    /// No Retry-After header: the wait is only in the body's `retryAfter`.
    func rateLimited(retryAfter: Int, state: inout SimState) -> HTTPResponse {
        .json(
            429,
            [
                "status": 429, "error": "Too Many Requests",
                "message": "Rate limit exceeded for this API key", "retryAfter": .int(retryAfter),
            ])
    }

    func finish(_ response: inout HTTPResponse, caller: Caller?, state: inout SimState) {
        let limit = state.limiter.limit?.perMinute ?? 1_000_000
        let remaining =
            state.limiter.limit == nil
            ? limit : state.limiter.remaining(caller?.bucket ?? "anonymous", at: state.now())
        response.headers.set(name: "X-RateLimit-Limit", value: String(limit))
        response.headers.set(name: "X-RateLimit-Remaining", value: String(remaining))
    }

    // MARK: - Rendering

    static func render(_ contact: SimContact) -> JSON {
        [
            "id": .int(Int(contact.id) ?? 0), "fullName": JSON(contact.name),
            "phoneNumber": JSON(contact.phone),
            "email": JSON(contact.email), "gender": JSON(contact.gender), "isValid": .bool(isValid(contact)),
            "communicationSupported": JSON(channels(contact)), "customFields": JSON(contact.attributes),
            "listIds": .array(contact.listIDs.map(JSON.int)),
            "createdAt": .string(contact.createdAt.iso8601(fractionalSeconds: true)),
            "updatedAt": .string(contact.updatedAt.iso8601(fractionalSeconds: true)),
        ]
    }

    /// Computed by the server: a valid phone, or an email when there is no phone.
    static func isValid(_ contact: SimContact) -> Bool {
        if let phone = contact.phone { return PhoneNumber(e164: phone) != nil }
        return contact.email?.looksLikeEmail ?? false
    }

    /// Computed by the server, deterministically from the number.
    static func channels(_ contact: SimContact) -> [String] {
        guard let phone = contact.phone else { return [] }
        let digitSum = phone.unicodeScalars.reduce(0) { $0 + Int($1.value) }
        var channels = ["SMS"]
        if digitSum % 2 == 0 { channels.append("RCS") }
        if digitSum % 3 != 0 { channels.append("WHATSAPP") }
        return channels
    }

    /// `{"content":[…],"page","limit","totalElements","totalPages"}` for a sorted, filtered
    /// set of contacts.
    static func page(_ request: VendorRequest, _ state: inout SimState, members list: Int? = nil)
        throws(VendorError) -> HTTPResponse
    {
        let query = request.http.query
        let paging = try Paging(query, firstPage: 0, defaultLimit: 10, maximum: 1000, invalidStatus: 400)
        let sortKeys: [String: ContactStore.SortKey] = [
            "fullName": .name, "phoneNumber": .phone, "email": .email, "createdAt": .created,
            "updatedAt": .updated, "id": .numericID,
        ]
        guard let sortKey = sortKeys[query["sortBy"] ?? "fullName"] else {
            throw VendorError(
                400, "Bad Request",
                "sortBy must be one of fullName, phoneNumber, email, createdAt, updatedAt, id")
        }
        let order = query["sortOrder"]?.lowercased() ?? "asc"
        guard order == "asc" || order == "desc" else {
            throw VendorError(400, "Bad Request", "sortOrder must be asc or desc")
        }
        let filter = try ContactFilter(query)
        var keys = state.store.keys(sortedBy: sortKey, ascending: order == "asc")
        if list != nil || !filter.isEmpty {
            let store = state.store
            keys = keys.filter { key in
                guard let contact = store.contact(key: key) else { return false }
                if let list, !contact.listIDs.contains(list) { return false }
                return filter.matches(contact)
            }
        }
        let totalPages = (keys.count + paging.limit - 1) / paging.limit
        var body = Array(#"{"content":"#.utf8)
        body += state.renderedArray(paging.slice(keys, firstPage: 0), render: render)
        body += Array(
            #","page":\#(paging.page),"limit":\#(paging.limit),"totalElements":\#(keys.count),"totalPages":\#(totalPages)}"#
                .utf8)
        return .json(200, body)
    }

    // MARK: - Contacts

    static func list(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        try page(request, &state)
    }

    static func read(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        .json(200, render(try find(request.parameter("id"), state)))
    }

    static func create(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse
    {
        var contact = state.blankContact()
        try applyMutable(
            BodyFields(object: try request.jsonObject(), invalidStatus: 400), to: &contact, except: nil, state
        )
        return .json(201, ["id": .int(Int(state.insertNew(contact).id) ?? 0)])
    }

    /// PUT replaces every mutable field: what the body omits is cleared.
    static func replace(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse
    {
        let existing = try find(request.parameter("id"), state)
        var contact = existing
        try applyMutable(
            BodyFields(object: try request.jsonObject(), invalidStatus: 400), to: &contact,
            except: existing.key, state)
        let changed = contact
        let updated = state.store.update(key: existing.key, at: state.now()) { $0 = changed }
        return .json(200, render(updated ?? changed))
    }

    static func delete(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse
    {
        guard let ids = try BodyFields(object: try request.jsonObject(), invalidStatus: 400).intArray("ids"),
            !ids.isEmpty
        else {
            throw VendorError(400, "Bad Request", "ids must be a non-empty array of contact ids")
        }
        guard ids.count <= deleteLimit else {
            throw VendorError(400, "Bad Request", "at most \(deleteLimit) ids per request")
        }
        var deleted = 0
        for id in Set(ids) {
            if let contact = state.store.contact(id: String(id)) {
                state.store.remove(key: contact.key)
                deleted += 1
            }
        }
        return .json(200, ["deleted": .int(deleted)])
    }

    // MARK: - Helpers

    static func find(_ id: String, _ state: SimState) throws(VendorError) -> SimContact {
        guard Int(id) != nil else { throw VendorError(400, "Bad Request", "contact id must be an integer") }
        guard let contact = state.store.contact(id: id) else {
            throw VendorError(404, "Not Found", "Contact \(id) not found")
        }
        return contact
    }

    /// Sets all five mutable fields from the body (absent means cleared).
    private static func applyMutable(
        _ fields: BodyFields, to contact: inout SimContact, except key: Int?, _ state: SimState
    ) throws(VendorError) {
        let phone = try fields.e164("phoneNumber") ?? nil
        let email = try fields.string("email") ?? nil
        guard phone != nil || email != nil else {
            throw VendorError(400, "Bad Request", "phoneNumber or email is required")
        }
        if let email, !email.looksLikeEmail {
            throw VendorError(400, "Bad Request", "email is not a valid address")
        }
        let gender = try fields.string("gender") ?? nil
        if let gender, !["MALE", "FEMALE", "OTHER"].contains(gender) {
            throw VendorError(400, "Bad Request", "gender must be MALE, FEMALE, OTHER or null")
        }
        if let phone, let other = state.store.contact(phone: phone), other.key != key {
            throw VendorError(409, "Conflict", "A contact with phone number \(phone) already exists")
        }
        contact.phone = phone
        contact.email = email
        contact.gender = gender
        contact.name = try fields.string("fullName") ?? nil
        contact.attributes = (try fields.stringMap("customFields", allowNull: false) ?? [:]).compactMapValues
        { $0 }
    }
}

/// The filters of Qlara's listings.
struct ContactFilter {
    var search: String?
    var phone: String?
    var email: String?
    var gender: String?
    var isValid: Bool?
    var channel: String?
    var listIDs: [Int]?

    init(_ query: QueryItems) throws(VendorError) {
        search = query["search"]?.lowercased()
        phone = query["phoneNumber"]
        email = query["email"]?.lowercased()
        gender = query["gender"]?.uppercased()
        channel = query["communicationSupported"]?.uppercased()
        if let valid = query["isValid"] {
            guard valid == "true" || valid == "false" else {
                throw VendorError(400, "Bad Request", "isValid must be true or false")
            }
            isValid = valid == "true"
        }
        if let lists = query["listIds"] {
            let ids = lists.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !ids.isEmpty, ids.allSatisfy({ $0 != nil }) else {
                throw VendorError(400, "Bad Request", "listIds must be a comma-separated list of integers")
            }
            listIDs = ids.compactMap { $0 }
        }
    }

    var isEmpty: Bool {
        search == nil && phone == nil && email == nil && gender == nil && isValid == nil && channel == nil
            && listIDs == nil
    }

    func matches(_ contact: SimContact) -> Bool {
        if let search,
            ![contact.name, contact.phone, contact.email].contains(where: {
                $0?.lowercased().contains(search) ?? false
            })
        {
            return false
        }
        if let phone, contact.phone != phone { return false }
        if let email, contact.email?.lowercased() != email { return false }
        if let gender, contact.gender != gender { return false }
        if let isValid, QlaraAPI.isValid(contact) != isValid { return false }
        if let channel, !QlaraAPI.channels(contact).contains(channel) { return false }
        if let listIDs, !contact.listIDs.contains(where: listIDs.contains) { return false }
        return true
    }
}
