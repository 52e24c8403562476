import ContactModel
import Foundation
import JSON
import Vendors

/// SuperWaba (`/api/whatsapp/contacts`): an organisation header on every request, camelCase
/// reads and snake_case PATCH (bodies and answers), list items without `params` (only a
/// contact's detail has them), 409 for a duplicate phone, bulk creates that skip duplicates,
/// opt-in settable only after a create, and no delete.
struct SuperWabaClient: RemoteContactsAPI {
    let provider = Vendor.superwaba
    let capabilities: RemoteCapabilities = {
        var capabilities = RemoteCapabilities(
            fields: [.name, .email, .country, .tags, .attributes, .optIn],
            writableFields: [.name, .email, .country, .tags, .attributes, .optIn],
            listedFields: [.name, .email, .country, .tags, .optIn], canDelete: false, canChangePhone: false,
            canReadOne: true, batchCreateLimit: SuperWabaClient.bulkLimit)
        capabilities.createSetsOptIn = false
        capabilities.listPageSize = SuperWabaClient.pageSize
        return capabilities
    }()
    static let pageSize = Vendor.superwaba.listPageSize
    static let bulkLimit = 1000

    let baseURL: URL
    let organizationID: String
    let executor: RequestExecutor
    let concurrency: Int

    var statistics: RequestExecutor.Statistics { executor.stats }

    // MARK: - Requests

    private func request(
        _ method: String, _ path: String = "", id: String? = nil, query: [(String, String)] = [],
        body: JSON? = nil
    ) -> RemoteRequest {
        let url = VendorURL.make(
            baseURL, "api/whatsapp/contacts" + (path.isEmpty ? "" : "/" + path), id: id, query: query)
        var headers = ["Accept": "application/json", "x-org-id": organizationID]
        if body != nil { headers["Content-Type"] = "application/json" }
        return RemoteRequest(method: method, url: url, headers: headers, body: body?.serialized)
    }

    /// The `data` member of a successful answer.
    private func data(_ response: RemoteResponse, _ what: String) throws(RemoteError) -> JSON {
        try VendorResponses.check(response, what)
        guard let data = try JSONBody.decode(response, what)["data"] else {
            throw .malformed("\(what) has no data")
        }
        return data
    }

    // MARK: - Decoding

    /// A list item or a detail (camelCase); a detail also has `params`.
    static func decode(_ json: JSON) -> Result<RemoteContact, UnusableRemoteContact> {
        let pristine =
            json["createdAt"]?.string != nil && json["createdAt"]?.string == json["updatedAt"]?.string
        return readContact(json).map { contact in
            var contact = contact
            contact.unchangedSinceCreated = pristine
            return contact
        }
    }

    private static func readContact(_ json: JSON) -> Result<RemoteContact, UnusableRemoteContact> {
        ContactFieldsReading.remoteContact(json, frame: .init(updatedAt: "updatedAt")) { phone in
            Contact(
                phone: phone, name: ContactFieldsReading.text(json["name"]),
                email: ContactFieldsReading.text(json["email"]),
                country: ContactFieldsReading.text(json["countryCode"])?.uppercased(),
                tags: ContactFieldsReading.strings(json["tags"]),
                attributes: ContactFieldsReading.attributes(json["params"]),
                optIn: json["optedIn"]?.bool.map { $0 ? .optedIn : .optedOut })
        }
    }

    /// A PATCH answer (snake_case).
    static func decodePatched(_ json: JSON) -> Result<RemoteContact, UnusableRemoteContact> {
        ContactFieldsReading.remoteContact(json, frame: .snakeCase) { phone in
            Contact(
                phone: phone, name: ContactFieldsReading.text(json["name"]),
                email: ContactFieldsReading.text(json["email"]),
                country: ContactFieldsReading.text(json["country_code"])?.uppercased(),
                tags: ContactFieldsReading.strings(json["tags"]),
                attributes: ContactFieldsReading.attributes(json["params"]),
                optIn: json["opted_in"]?.bool.map { $0 ? .optedIn : .optedOut })
        }
    }

    /// The body of a create (and of a bulk row): SuperWaba's own names for them.
    private static func createBody(_ contact: Contact) -> JSON {
        var body: JSONObject = ["userNumber": .string(contact.phone.e164)]
        if let name = contact.name { body["userName"] = .string(name) }
        if let email = contact.email { body["email"] = .string(email) }
        if let country = contact.country { body["countryCode"] = .string(country) }
        if !contact.tags.isEmpty { body["tags"] = JSON(contact.tags) }
        if !contact.attributes.isEmpty { body["params"] = JSON(contact.attributeTexts) }
        return .object(body)
    }

    /// What a create leaves on SuperWaba: the contact as sent, opted out (a create cannot
    /// set opt-in).
    private static func asCreated(_ contact: Contact) -> Contact {
        var created = contact
        created.optIn = .optedOut
        return created
    }

    // MARK: - Listing

    /// Oldest first (`created_at asc`), so contacts created while listing land on later pages.
    func listAll(from start: Int) -> RemotePages {
        Pager(firstPage: 1, pageSize: Self.pageSize, concurrency: concurrency).pages(from: start) { number in
            try await page(number)
        }
    }

    private func page(_ number: Int) async throws(RemoteError) -> Pager.Answer {
        let what = "GET /api/whatsapp/contacts page \(number)"
        let query = [
            ("page", String(number)), ("limit", String(Self.pageSize)), ("sortBy", "created_at"),
            ("sortOrder", "asc"),
        ]
        let response = try await executor.send(request("GET", "", query: query), repeatable: .yes)
        try VendorResponses.check(response, what)
        let body = try JSONBody.decode(response, what, deferringArrayAt: ["data", "contacts"])
        guard let data = body.document["data"] else { throw .malformed("\(what) has no data") }
        guard data["contacts"]?.array != nil else { throw .malformed("\(what) has no contacts array") }
        let items = ListedItems(body, what: what, decoder: Self.decode)
        return Pager.Answer(
            page: RemotePage(listed: items), count: items.count, total: data["total"]?.int,
            hasNext: data["hasNext"]?.bool)
    }

    // MARK: - One contact

    func fetch(id: String) async throws(RemoteError) -> RemoteContact? {
        let what = "GET /api/whatsapp/contacts/\(id)"
        let response = try await executor.send(request("GET", id: id), repeatable: .yes)
        if response.status == 404 { return nil }
        return try ContactFieldsReading.answeredContact(try data(response, what), what, decode: Self.decode)
    }

    /// The contact with exactly this phone: `search` matches part of a phone, so the answer
    /// is checked for an exact match.
    func find(phone: PhoneNumber) async throws(RemoteError) -> RemoteContact? {
        let what = "GET /api/whatsapp/contacts?search"
        let response = try await executor.send(
            request("GET", "", query: [("search", phone.e164), ("limit", "100")]), repeatable: .yes)
        for item in try data(response, what)["contacts"]?.array ?? [] {
            if case .success(let listed) = Self.decode(item), listed.contact.phone == phone {
                // The list item has no params: the detail has the whole contact.
                return try await fetch(id: listed.id) ?? listed
            }
        }
        return nil
    }

    // MARK: - Writes

    /// A duplicate phone (409) is found by its phone and linked; a lost answer is resolved by
    /// looking the phone up before anything is sent again.
    func create(_ contact: Contact, key: String) async throws(RemoteError) -> CreateOutcome {
        let what = "POST /api/whatsapp/contacts"
        return try await CreateByPhone.run(
            what, phone: contact.phone,
            send: { () async throws(RemoteError) in
                try await executor.send(request("POST", "", body: Self.createBody(contact)), repeatable: .no)
            },
            find: find(phone:),
            created: { response throws(RemoteError) in
                try ContactFieldsReading.answeredContact(try data(response, what), what, decode: Self.decode)
            })
    }

    /// Up to 1,000 rows; a row SuperWaba skips as a duplicate is found by its phone and
    /// linked. The answer carries ids but no timestamps.
    func createBatch(_ contacts: [Contact], key: String) async throws(RemoteError) -> [Result<
        CreateOutcome, RemoteError
    >] {
        let what = "POST /api/whatsapp/contacts/bulk"
        let body: JSON = ["contacts": .array(contacts.map(Self.createBody))]
        let data = try data(
            try await executor.send(request("POST", "bulk", body: body), repeatable: .no), what)
        var outcomes: [Result<CreateOutcome, RemoteError>] = contacts.map { _ in
            .failure(.malformed("\(what) gave no result for this row"))
        }
        var byPhone: [String: Int] = [:]
        for (index, contact) in contacts.enumerated() { byPhone[contact.phone.e164] = index }
        for created in data["contacts"]?.array ?? [] {
            guard let phone = created["phone"]?.string, let index = byPhone[phone],
                let id = created["id"]?.string
            else {
                continue
            }
            if let problem = VendorURL.problem(withID: id) {
                outcomes[index] = .failure(.malformed("\(what) answered \(problem)"))
                continue
            }
            outcomes[index] = .success(
                .created(RemoteContact(id: id, contact: Self.asCreated(contacts[index]), updatedAt: nil)))
        }
        for error in data["errors"]?.array ?? [] {
            guard let index = error["index"]?.int, contacts.indices.contains(index) else { continue }
            let message = error["error"]?.string ?? "refused"
            if message.lowercased().contains("exists"),
                let existing = try await find(phone: contacts[index].phone)
            {
                outcomes[index] = .success(.existing(existing))
            } else {
                outcomes[index] = .failure(.rejected(status: 400, code: nil, message: message))
            }
        }
        return outcomes
    }

    /// One PATCH in snake_case; `tags` and `params` replace the whole value, so the merged
    /// whole is sent.
    func update(id: String, from old: Contact, to new: Contact, key: String) async throws(RemoteError)
        -> UpdateOutcome
    {
        var body = JSONObject()
        if new.name != old.name { body["name"] = JSON(new.name) }
        if new.email != old.email { body["email"] = JSON(new.email) }
        if new.country != old.country, let country = new.country { body["country_code"] = .string(country) }
        if new.tags != old.tags { body["tags"] = JSON(new.tags) }
        if new.attributeTexts != old.attributeTexts { body["params"] = JSON(new.attributeTexts) }
        if new.optIn != old.optIn, let optIn = new.optIn { body["opted_in"] = .bool(optIn == .optedIn) }
        guard !body.isEmpty else { return .unchanged }
        let what = "PATCH /api/whatsapp/contacts/\(id)"
        let response = try await executor.send(
            request("PATCH", id: id, body: .object(body)), repeatable: .yes)
        return .applied(
            try ContactFieldsReading.answeredContact(
                try data(response, what), what, decode: Self.decodePatched))
    }

    func delete(id: String) async throws(RemoteError) {
        throw .unsupported("SuperWaba has no delete")
    }
}
