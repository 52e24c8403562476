import Configuration
import ContactModel
import Foundation
import JSON
import Vendors

/// Waply (`/v1`): paged listing with a total, partial PUT (tags replace, custom fields merge,
/// `null` removes a key), real deletes, 409 or 422 for a duplicate phone.
struct WaplyClient: RemoteContactsAPI {
    let provider = RemoteSettings.Provider.waply
    let capabilities: RemoteCapabilities = {
        var capabilities = RemoteCapabilities(
            fields: [.name, .email, .tags, .attributes], writableFields: [.name, .email, .tags, .attributes],
            canDelete: true, canChangePhone: true, canReadOne: true)
        capabilities.listPageSize = WaplyClient.pageSize
        return capabilities
    }()
    static let pageSize = Vendor.waply.listPageSize

    let baseURL: URL
    let executor: RequestExecutor
    let concurrency: Int

    var statistics: RequestExecutor.Statistics { executor.stats }

    // MARK: - Requests

    private func request(
        _ method: String, _ path: String, id: String? = nil, query: [(String, String)] = [], body: JSON? = nil
    ) -> RemoteRequest {
        var headers = ["Accept": "application/json"]
        if body != nil { headers["Content-Type"] = "application/json" }
        return RemoteRequest(
            method: method, url: VendorURL.make(baseURL, path, id: id, query: query), headers: headers,
            body: body?.serialized)
    }

    // MARK: - Decoding

    static func decode(_ json: JSON) -> Result<RemoteContact, UnusableRemoteContact> {
        ContactFieldsReading.remoteContact(json) { phone in
            Contact(
                phone: phone, name: ContactFieldsReading.text(json["name"]),
                email: ContactFieldsReading.text(json["email"]),
                tags: ContactFieldsReading.strings(json["tags"]),
                attributes: ContactFieldsReading.attributes(json["custom_fields"]))
        }
    }

    private func decodeOne(_ response: RemoteResponse, _ what: String) throws(RemoteError) -> RemoteContact {
        try ContactFieldsReading.answeredContact(
            try JSONBody.decode(response, what), what, decode: Self.decode)
    }

    // MARK: - Listing

    func listAll(from start: Int) -> RemotePages {
        let pager = Pager(firstPage: 1, pageSize: Self.pageSize, concurrency: concurrency)
        return pager.pages(from: start) { number in try await page(number) }
    }

    private func page(_ number: Int) async throws(RemoteError) -> Pager.Answer {
        let response = try await executor.send(
            request("GET", "contacts", query: [("page", String(number)), ("limit", String(Self.pageSize))]),
            repeatable: .yes)
        try VendorResponses.check(response, "GET /contacts page \(number)")
        let what = "GET /contacts page \(number)"
        let body = try JSONBody.decode(response, what, deferringArrayAt: ["data"])
        guard body.document["data"]?.array != nil, let total = body.document["total"]?.int else {
            throw .malformed("\(what) has no data array or total")
        }
        let items = ListedItems(body, what: what, decoder: Self.decode)
        return Pager.Answer(page: RemotePage(listed: items), count: items.count, total: total)
    }

    // MARK: - One contact

    func fetch(id: String) async throws(RemoteError) -> RemoteContact? {
        let response = try await executor.send(request("GET", "contacts", id: id), repeatable: .yes)
        if response.status == 404 { return nil }
        try VendorResponses.check(response, "GET /contacts/\(id)")
        return try decodeOne(response, "GET /contacts/\(id)")
    }

    /// The contact with exactly this phone, via the partial-match search.
    func find(phone: PhoneNumber) async throws(RemoteError) -> RemoteContact? {
        let response = try await executor.send(
            request("GET", "contacts", query: [("search", phone.e164), ("limit", "100")]), repeatable: .yes)
        try VendorResponses.check(response, "GET /contacts?search")
        let body = try JSONBody.decode(response, "GET /contacts?search")
        for item in body["data"]?.array ?? [] {
            if case .success(let contact) = Self.decode(item), contact.contact.phone == phone {
                return contact
            }
        }
        return nil
    }

    func create(_ contact: Contact, key: String) async throws(RemoteError) -> CreateOutcome {
        var body: JSONObject = ["phone": .string(contact.phone.e164)]
        if let name = contact.name { body["name"] = .string(name) }
        if let email = contact.email { body["email"] = .string(email) }
        if !contact.tags.isEmpty { body["tags"] = JSON(contact.tags) }
        if !contact.attributes.isEmpty { body["custom_fields"] = JSON(contact.attributeTexts) }
        // A duplicate phone is 409, or 422 on some accounts.
        return try await CreateByPhone.run(
            "POST /contacts", phone: contact.phone, duplicateStatuses: [409, 422],
            send: { () async throws(RemoteError) in
                try await executor.send(request("POST", "contacts", body: .object(body)), repeatable: .no)
            },
            find: find(phone:),
            created: { response throws(RemoteError) in
                try VendorResponses.check(response, "POST /contacts")
                return try decodeOne(response, "POST /contacts")
            })
    }

    func update(id: String, from old: Contact, to new: Contact, key: String) async throws(RemoteError)
        -> UpdateOutcome
    {
        var body = JSONObject()
        if new.phone != old.phone { body["phone"] = .string(new.phone.e164) }
        if new.name != old.name { body["name"] = JSON(new.name) }
        if new.email != old.email { body["email"] = JSON(new.email) }
        if new.tags != old.tags { body["tags"] = JSON(new.tags) }
        if let changes = ContactFieldsReading.attributeChanges(from: old.attributes, to: new.attributes) {
            body["custom_fields"] = .object(changes)
        }
        guard !body.isEmpty else { return .unchanged }
        let response = try await executor.send(
            request("PUT", "contacts", id: id, body: .object(body)), repeatable: .yes)
        try VendorResponses.check(response, "PUT /contacts/\(id)")
        return .applied(try decodeOne(response, "PUT /contacts/\(id)"))
    }

    func delete(id: String) async throws(RemoteError) {
        let response = try await executor.send(request("DELETE", "contacts", id: id), repeatable: .yes)
        if response.status == 404 { return }  // already gone: the goal is met
        try VendorResponses.check(response, "DELETE /contacts/\(id)")
    }
}
