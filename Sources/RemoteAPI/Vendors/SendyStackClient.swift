import Configuration
import ContactModel
import Foundation
import JSON
import Vendors

/// SendyStack (`/internal/contacts`): a list of the 500 most recently updated contacts (no
/// paging, no single read), upsert on phone with an Idempotency-Key, bulk upsert of up to
/// 1,000 rows, PATCH for name/attributes/tags, no delete. Opt-in is read-only.
struct SendyStackClient: RemoteContactsAPI {
    let provider = RemoteSettings.Provider.sendystack
    let capabilities = RemoteCapabilities(
        fields: [.name, .country, .tags, .attributes, .optIn],
        writableFields: [.name, .country, .tags, .attributes],
        canDelete: false, canChangePhone: false, listing: .recentWindow(size: listCap), canReadOne: false,
        batchCreateLimit: 1000)
    static let listCap = Vendor.sendystack.listPageSize

    let baseURL: URL
    let executor: RequestExecutor

    var statistics: RequestExecutor.Statistics { executor.stats }

    private func request(
        _ method: String, _ path: String, id: String? = nil, body: JSON? = nil, idempotencyKey: String? = nil
    ) -> RemoteRequest {
        var headers = ["Accept": "application/json"]
        if body != nil { headers["Content-Type"] = "application/json" }
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        return RemoteRequest(
            method: method, url: VendorURL.make(baseURL, path, id: id), headers: headers,
            body: body?.serialized)
    }

    static func decode(_ json: JSON) -> Result<RemoteContact, UnusableRemoteContact> {
        ContactFieldsReading.remoteContact(json) { phone in
            Contact(
                phone: phone, name: ContactFieldsReading.text(json["name"]),
                country: ContactFieldsReading.text(json["country"])?.uppercased(),
                tags: ContactFieldsReading.strings(json["tags"]),
                attributes: ContactFieldsReading.attributes(json["attributes"]),
                optIn: json["opt_in_status"]?.string.flatMap(OptIn.init(rawValue:)))
        }
    }

    private func decodeOne(_ json: JSON?, _ what: String) throws(RemoteError) -> RemoteContact {
        try ContactFieldsReading.answeredContact(json, what, decode: Self.decode)
    }

    /// The fields a create or upsert sends.
    private static func body(_ contact: Contact) -> JSONObject {
        var body: JSONObject = ["phone": .string(contact.phone.e164)]
        if let name = contact.name { body["name"] = .string(name) }
        if let country = contact.country { body["country"] = .string(country) }
        if !contact.attributes.isEmpty { body["attributes"] = JSON(contact.attributeTexts) }
        body["tags"] = JSON(contact.tags)
        return body
    }

    // MARK: - Listing

    func listAll(from start: Int) -> RemotePages {
        RemotePages(ahead: 1) { yield in
            let response = try await executor.send(request("GET", "internal/contacts"), repeatable: .yes)
            try VendorResponses.check(response, "GET /internal/contacts")
            guard let items = try JSONBody.decode(response, "GET /internal/contacts")["contacts"]?.array
            else {
                throw RemoteError.malformed("GET /internal/contacts has no contacts array")
            }
            await yield(RemotePage(decoding: items, with: Self.decode))
        }
    }

    func fetch(id: String) async throws(RemoteError) -> RemoteContact? {
        throw .unsupported("SendyStack has no read of a single contact")
    }

    /// There is no search: the listing is all there is, so a contact outside the 500 most
    /// recent cannot be found.
    func find(phone: PhoneNumber) async throws(RemoteError) -> RemoteContact? {
        do {
            for try await page in listAll() {
                if let match = page.contacts.first(where: { $0.contact.phone == phone }) { return match }
            }
        } catch let error as RemoteError {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
        return nil
    }

    // MARK: - Writes

    /// An upsert on phone: with the Idempotency-Key, sending it again after a lost answer
    /// replays the first answer instead of writing twice.
    func create(_ contact: Contact, key: String) async throws(RemoteError) -> CreateOutcome {
        let response = try await executor.send(
            request("POST", "internal/contacts", body: .object(Self.body(contact)), idempotencyKey: key),
            repeatable: .yes)
        try VendorResponses.check(response, "POST /internal/contacts")
        let body = try JSONBody.decode(response, "POST /internal/contacts")
        let remote = try decodeOne(body["contact"], "POST /internal/contacts")
        return body["created"]?.bool == false ? .existing(remote) : .created(remote)
    }

    func createBatch(_ contacts: [Contact], key: String) async throws(RemoteError) -> [Result<
        CreateOutcome, RemoteError
    >] {
        let rows = JSON.array(contacts.map { .object(Self.body($0)) })
        let response = try await executor.send(
            request("POST", "internal/contacts/bulk", body: ["contacts": rows], idempotencyKey: key),
            repeatable: .yes)
        try VendorResponses.check(response, "POST /internal/contacts/bulk")
        let body = try JSONBody.decode(response, "POST /internal/contacts/bulk")
        guard let results = body["results"]?.array else {
            throw .malformed("POST /internal/contacts/bulk has no results")
        }
        var outcomes: [Result<CreateOutcome, RemoteError>] = contacts.map { _ in
            .failure(.malformed("POST /internal/contacts/bulk gave no result for this row"))
        }
        for result in results {
            guard let index = result["index"]?.int, contacts.indices.contains(index) else { continue }
            if result["status"]?.string == "failed" {
                let error = result["error"]
                outcomes[index] = .failure(
                    .rejected(
                        status: 400, code: error?["code"]?.string,
                        message: error?["message"]?.string ?? "rejected"))
            } else if let id = result["id"]?.string {
                if let problem = VendorURL.problem(withID: id) {
                    outcomes[index] = .failure(.malformed("POST /internal/contacts/bulk answered \(problem)"))
                    continue
                }
                let contact = RemoteContact(id: id, contact: contacts[index], updatedAt: nil)
                outcomes[index] = .success(
                    result["status"]?.string == "updated" ? .existing(contact) : .created(contact))
            }
        }
        return outcomes
    }

    /// PATCH for name, attributes and tags; a new country goes through the upsert, which is
    /// the only call that sets it.
    func update(id: String, from old: Contact, to new: Contact, key: String) async throws(RemoteError)
        -> UpdateOutcome
    {
        var latest: RemoteContact?
        var patch = JSONObject()
        if new.name != old.name { patch["name"] = JSON(new.name) }
        if new.tags != old.tags { patch["tags"] = JSON(new.tags) }
        if let changes = ContactFieldsReading.attributeChanges(from: old.attributes, to: new.attributes) {
            patch["attributes"] = .object(changes)
        }
        if !patch.isEmpty {
            let response = try await executor.send(
                request("PATCH", "internal/contacts", id: id, body: .object(patch)), repeatable: .yes)
            try VendorResponses.check(response, "PATCH /internal/contacts/\(id)")
            latest = try decodeOne(
                try JSONBody.decode(response, "PATCH /internal/contacts/\(id)"),
                "PATCH /internal/contacts/\(id)")
        }
        if new.country != old.country, let country = new.country {
            let body: JSON = ["phone": .string(new.phone.e164), "country": .string(country)]
            do {
                let response = try await executor.send(
                    request("POST", "internal/contacts", body: body, idempotencyKey: key + "-country"),
                    repeatable: .yes)
                try VendorResponses.check(response, "POST /internal/contacts")
                latest = try decodeOne(
                    try JSONBody.decode(response, "POST /internal/contacts")["contact"],
                    "POST /internal/contacts")
            } catch {
                // The PATCH went through; only the country did not.
                guard let latest else { throw error }
                return .partly(latest, refused: error)
            }
        }
        return latest.map(UpdateOutcome.applied) ?? .unchanged
    }

    func delete(id: String) async throws(RemoteError) {
        throw .unsupported("SendyStack has no delete")
    }
}
