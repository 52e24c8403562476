import ContactModel
import Foundation
import JSON
import Synchronization
import Vendors

/// Agile Telecom's Qlara (`/api/partner-gateway/v1`): integer ids, 0-based pages of up to
/// 1,000, a create that answers only `{"id"}`, a PUT that replaces every mutable field, deletes
/// in batches, no tags but contact lists (a tag is the list of the same name), a two-step
/// CSV import for many creates at once, and a rate limit announced on every answer.
struct QlaraClient: RemoteContactsAPI {
    let provider = Vendor.qlara
    let capabilities: RemoteCapabilities = {
        var capabilities = RemoteCapabilities(
            fields: [.name, .email, .tags, .attributes], writableFields: [.name, .email, .tags, .attributes],
            canDelete: true, canChangePhone: true, canReadOne: true, batchCreateLimit: QlaraClient.importLimit
        )
        capabilities.updatesInBatches = true
        capabilities.batchCreateOverwrites = true
        capabilities.listPageSize = QlaraClient.pageSize
        capabilities.deleteBatchLimit = QlaraClient.batchLimit
        return capabilities
    }()
    static let pageSize = Vendor.qlara.listPageSize
    /// Ids per delete, and contacts per membership request.
    static let batchLimit = 1000
    /// Rows per CSV import.
    static let importLimit = 10_000

    let baseURL: URL
    let executor: RequestExecutor
    let concurrency: Int
    let lists = QlaraLists()
    /// Each contact's `gender` as last read: Qlara's own field, which a PUT must send back
    /// unchanged (a PUT clears whatever it omits).
    let genders = GenderBook()

    var statistics: RequestExecutor.Statistics { executor.stats }

    // MARK: - Requests

    private func request(
        _ method: String, _ path: String, id: String? = nil, query: [(String, String)] = [], body: JSON? = nil
    ) -> RemoteRequest {
        let url = VendorURL.make(baseURL, path, id: id, query: query)
        var headers = ["Accept": "application/json"]
        if body != nil { headers["Content-Type"] = "application/json" }
        return RemoteRequest(method: method, url: url, headers: headers, body: body?.serialized)
    }

    private func send(_ request: RemoteRequest, _ what: String, repeatable: RequestExecutor.Repeatable = .yes)
        async throws(RemoteError) -> JSON
    {
        let response = try await executor.send(request, repeatable: repeatable)
        try VendorResponses.check(response, what)
        return try JSONBody.decode(response, what)
    }

    // MARK: - Decoding

    /// A contact; its list ids become tags (`nil` tags when a list is unknown: the lists are
    /// read again).
    private func decode(_ json: JSON) -> Result<RemoteContact, UnusableRemoteContact>? {
        let listIDs = json["listIds"]?.array?.compactMap(\.int) ?? []
        guard let tags = lists.tags(for: listIDs) else { return nil }
        let result = ContactFieldsReading.remoteContact(
            json, frame: .init(phone: "phoneNumber", updatedAt: "updatedAt")
        ) {
            phone in
            Contact(
                phone: phone, name: ContactFieldsReading.text(json["fullName"]),
                email: ContactFieldsReading.text(json["email"]), tags: tags,
                attributes: ContactFieldsReading.attributes(json["customFields"]))
        }
        if case .success(let contact) = result { genders.set(contact.id, json["gender"]?.string) }
        return result
    }

    /// Decodes items, reading the lists again (once) when one names a list syncd has not seen.
    private func decodeAll(_ items: [JSON]) async throws(RemoteError) -> RemotePage {
        var page = RemotePage(contacts: [])
        var reloaded = false
        for item in items {
            var decoded = decode(item)
            if decoded == nil && !reloaded {
                try await readLists()
                reloaded = true
                decoded = decode(item)
            }
            switch decoded {
            case .success(let contact)?: page.contacts.append(contact)
            case .failure(let unusable)?: page.unusable.append(unusable)
            case nil:
                page.unusable.append(
                    UnusableRemoteContact(
                        id: item["id"]?.int.map(String.init) ?? "?",
                        reason: "it is in a list Qlara does not list"))
            }
        }
        return page
    }

    private func decodeOne(_ json: JSON, _ what: String) async throws(RemoteError) -> RemoteContact {
        let page = try await decodeAll([json])
        guard let contact = page.contacts.first else {
            throw .malformed(
                "\(what) answered a contact syncd cannot read: \(page.unusable.first?.reason ?? "?")")
        }
        return contact
    }

    // MARK: - Lists

    func beginCycle() async throws(RemoteError) { try await readLists() }

    private func readLists() async throws(RemoteError) {
        try await lists.load {
            (page: Int) async throws(RemoteError) -> (lists: [(id: Int, name: String)], totalPages: Int) in
            let what = "GET /contacts/list page \(page)"
            let body = try await send(
                request(
                    "GET", "contacts/list", query: [("page", String(page)), ("limit", String(Self.pageSize))]),
                what)
            guard let content = body["content"]?.array else { throw .malformed("\(what) has no content") }
            let found = content.compactMap { item -> (id: Int, name: String)? in
                guard let id = item["id"]?.int, let name = item["name"]?.string else { return nil }
                return (id, name)
            }
            return (found, body["totalPages"]?.int ?? 1)
        }
    }

    /// The list for a tag, created if Qlara has none of that name.
    private func listID(for tag: String) async throws(RemoteError) -> Int {
        try await lists.ensure(
            tag, reload: { () async throws(RemoteError) in try await readLists() },
            create: { (name: String) async throws(RemoteError) -> Int in try await createList(name) })
    }

    /// `POST /contacts/list`, never sent twice blindly: a lost answer leaves the next
    /// `ensure` to find the list by its name.
    private func createList(_ name: String) async throws(RemoteError) -> Int {
        let what = "POST /contacts/list"
        let body = try await send(
            request("POST", "contacts/list", body: ["name": .string(name), "description": "syncd tag"]), what,
            repeatable: .no)
        guard let id = body["id"]?.int else { throw .malformed("\(what) answered no id") }
        return id
    }

    /// Adds contacts to (or removes them from) the list of each tag: one request per list and
    /// direction for up to 1,000 contacts.
    private func changeMemberships(_ changes: [String: (add: [Int], remove: [Int])]) async throws(RemoteError)
    {
        for (tag, change) in changes.sorted(by: { $0.key < $1.key }) {
            if !change.add.isEmpty {
                let list = try await listID(for: tag)
                for start in stride(from: 0, to: change.add.count, by: Self.batchLimit) {
                    let ids = change.add[start..<min(change.add.count, start + Self.batchLimit)]
                    let body: JSON = ["contactIds": .array(ids.map(JSON.int)), "listIds": [.int(list)]]
                    _ = try await send(
                        request("POST", "contacts/list/contacts", body: body), "POST /contacts/list/contacts")
                }
            }
            let twins = lists.ids(named: tag)
            if !change.remove.isEmpty, !twins.isEmpty {
                for start in stride(from: 0, to: change.remove.count, by: Self.batchLimit) {
                    let ids = change.remove[start..<min(change.remove.count, start + Self.batchLimit)]
                    let body: JSON = [
                        "contactIds": .array(ids.map(JSON.int)), "listIds": .array(twins.map(JSON.int)),
                    ]
                    _ = try await send(
                        request("DELETE", "contacts/list/contacts", body: body),
                        "DELETE /contacts/list/contacts")
                }
            }
        }
    }

    // MARK: - Listing

    /// In id order, 1,000 a page, the pages after the first fetched concurrently.
    func listAll(from start: Int) -> RemotePages {
        Pager(firstPage: 0, pageSize: Self.pageSize, concurrency: concurrency).pages(from: start) { number in
            try await page(number)
        }
    }

    private func page(_ number: Int, descending: Bool = false) async throws(RemoteError) -> Pager.Answer {
        let what = "GET /contacts page \(number)"
        let query = [
            ("page", String(number)), ("limit", String(Self.pageSize)), ("sortBy", "id"),
            ("sortOrder", descending ? "desc" : "asc"),
        ]
        let body = try await send(request("GET", "contacts", query: query), what)
        guard let items = body["content"]?.array else { throw .malformed("\(what) has no content") }
        return Pager.Answer(
            page: try await decodeAll(items), count: items.count, total: body["totalElements"]?.int)
    }

    // MARK: - One contact

    func fetch(id: String) async throws(RemoteError) -> RemoteContact? {
        let what = "GET /contacts/\(id)"
        let response = try await executor.send(request("GET", "contacts", id: id), repeatable: .yes)
        if response.status == 404 { return nil }
        try VendorResponses.check(response, what)
        return try await decodeOne(try JSONBody.decode(response, what), what)
    }

    func find(phone: PhoneNumber) async throws(RemoteError) -> RemoteContact? {
        let body = try await send(
            request("GET", "contacts", query: [("phoneNumber", phone.e164), ("limit", "10")]),
            "GET /contacts?phoneNumber")
        let page = try await decodeAll(body["content"]?.array ?? [])
        return page.contacts.first { $0.contact.phone == phone }
    }

    // MARK: - Writes

    /// The five mutable fields, all of them (a PUT clears what it omits); `gender` as read.
    private func body(_ contact: Contact, gender: String?) -> JSON {
        [
            "fullName": JSON(contact.name), "phoneNumber": .string(contact.phone.e164),
            "email": JSON(contact.email),
            "gender": JSON(gender), "customFields": JSON(contact.attributeTexts),
        ]
    }

    /// A create answers only `{"id"}`: the tags become memberships, then the contact is read
    /// for Qlara's own copy. A duplicate phone (409) or a lost answer is resolved by looking
    /// the phone up, never by posting blindly again.
    func create(_ contact: Contact, key: String) async throws(RemoteError) -> CreateOutcome {
        let what = "POST /contacts"
        return try await CreateByPhone.run(
            what, phone: contact.phone,
            send: { () async throws(RemoteError) in
                try await executor.send(
                    request("POST", "contacts", body: body(contact, gender: nil)), repeatable: .no)
            },
            find: find(phone:),
            created: { response async throws(RemoteError) in
                try VendorResponses.check(response, what)
                guard let id = try JSONBody.decode(response, what)["id"]?.int else {
                    throw .malformed("\(what) answered no id")
                }
                if !contact.tags.isEmpty {
                    try await changeMemberships(
                        Dictionary(uniqueKeysWithValues: contact.tags.map { ($0, ([id], [])) }))
                }
                guard let created = try await fetch(id: String(id)) else {
                    throw .malformed("\(what) created contact \(id), which then could not be read")
                }
                return created
            })
    }

    /// Many creates as one CSV import (create-or-update by phone, so replaying a lost import
    /// is safe), then the new ids learned from the newest contacts, then the tags as list
    /// memberships, one request per list.
    func createBatch(_ contacts: [Contact], key: String) async throws(RemoteError) -> [Result<
        CreateOutcome, RemoteError
    >] {
        let keys = Array(Set(contacts.flatMap { $0.attributeTexts.keys })).sorted()
        var csv = "fullName,phoneNumber,email" + keys.map { ",cf_" + $0 }.joined() + "\n"
        for contact in contacts {
            let fields =
                [contact.name ?? "", contact.phone.e164, contact.email ?? ""]
                + keys.map { contact.attributeTexts[$0] ?? "" }
            csv += fields.map(CSVField.quoted).joined(separator: ",") + "\n"
        }
        let uploadID = try await upload(csv)
        var mapping: JSONObject = ["fullName": "fullName", "phoneNumber": "phoneNumber", "email": "email"]
        for key in keys { mapping["cf_" + key] = .string("customFields." + key) }
        let what = "POST /contacts/mapped/file"
        let imported = try await send(
            request(
                "POST", "contacts/mapped/file",
                body: ["uploadId": .string(uploadID), "mapping": .object(mapping)]), what)
        var outcomes: [Result<CreateOutcome, RemoteError>] = contacts.map { _ in
            .failure(.malformed("\(what) did not import this row"))
        }
        var refused = Set<Int>()
        for error in imported["errors"]?.array ?? [] {
            guard let row = error["row"]?.int, contacts.indices.contains(row - 1) else { continue }
            refused.insert(row - 1)
            outcomes[row - 1] = .failure(
                .rejected(status: 400, code: nil, message: error["message"]?.string ?? "refused"))
        }
        // New contacts have the highest ids: read from the newest down until every phone is
        // found, then look up the few that updated older contacts.
        var wanted: [String: Int] = [:]
        for (index, contact) in contacts.enumerated() where !refused.contains(index) {
            wanted[contact.phone.e164] = index
        }
        var found: [Int: RemoteContact] = [:]
        let created = imported["created"]?.int ?? wanted.count
        var number = 0
        while !wanted.isEmpty && number * Self.pageSize < created + Self.pageSize {
            let answer = try await page(number, descending: true)
            for contact in answer.page.contacts {
                if let index = wanted.removeValue(forKey: contact.contact.phone.e164) {
                    found[index] = contact
                }
            }
            if answer.count < Self.pageSize { break }
            number += 1
        }
        var existing = Set<Int>()
        for (_, index) in wanted {
            if let contact = try await find(phone: contacts[index].phone) {
                found[index] = contact
                existing.insert(index)
            }
        }
        var memberships: [String: (add: [Int], remove: [Int])] = [:]
        for (index, contact) in found {
            guard let id = Int(contact.id) else { continue }
            for tag in contacts[index].tags where !contact.contact.tags.contains(tag) {
                memberships[tag, default: ([], [])].add.append(id)
            }
        }
        try await changeMemberships(memberships)
        for (index, listed) in found {
            var contact = listed
            contact.contact.tags = Contact.normalizedTags(listed.contact.tags + contacts[index].tags)
            outcomes[index] = .success(existing.contains(index) ? .existing(contact) : .created(contact))
        }
        return outcomes
    }

    /// The first step of an import: the file, as multipart form data.
    private func upload(_ csv: String) async throws(RemoteError) -> String {
        let boundary = "syncd-" + UUID().uuidString
        var body = Array(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"contacts.csv\"\r\n"
                .utf8)
        body +=
            Array("Content-Type: text/csv\r\n\r\n".utf8) + Array(csv.utf8)
            + Array("\r\n--\(boundary)--\r\n".utf8)
        let request = RemoteRequest(
            method: "POST", url: VendorURL.make(baseURL, "contacts/upload"),
            headers: [
                "Accept": "application/json", "Content-Type": "multipart/form-data; boundary=\(boundary)",
            ], body: body)
        let answer = try JSONBody.decode(
            try await checked(request, "POST /contacts/upload"), "POST /contacts/upload")
        guard let id = answer["uploadId"]?.string else {
            throw .malformed("POST /contacts/upload answered no uploadId")
        }
        return id
    }

    private func checked(_ request: RemoteRequest, _ what: String) async throws(RemoteError) -> RemoteResponse
    {
        let response = try await executor.send(request, repeatable: .yes)
        try VendorResponses.check(response, what)
        return response
    }

    func update(id: String, from old: Contact, to new: Contact, key: String) async throws(RemoteError)
        -> UpdateOutcome
    {
        switch try await updateBatch([RemoteUpdate(id: id, from: old, to: new, key: key)]).first {
        case .success(let outcome)?: return outcome
        case .failure(let error)?: throw error
        case nil: return .unchanged
        }
    }

    /// A PUT for each contact whose fields changed (the whole contact, `gender` as read), then
    /// the tag changes of all of them as memberships: one request per list and direction.
    func updateBatch(_ updates: [RemoteUpdate]) async throws(RemoteError) -> [Result<
        UpdateOutcome, RemoteError
    >] {
        var results: [Result<UpdateOutcome, RemoteError>] = updates.map { _ in .success(.unchanged) }
        let fields: FieldSet = [.name, .email, .attributes]
        var answers: [Int: RemoteContact] = [:]
        for (index, update) in updates.enumerated()
        where update.to.projected(onto: fields) != update.from.projected(onto: fields) {
            do throws(RemoteError) {
                answers[index] = try await replace(update.id, with: update.to)
            } catch {
                if case .credentialRefused = error { throw error }
                results[index] = .failure(error)
            }
        }
        var memberships: [String: (add: [Int], remove: [Int])] = [:]
        var moving: [Int] = []
        for (index, update) in updates.enumerated() {
            guard case .success = results[index], let id = Int(update.id), update.to.tags != update.from.tags
            else { continue }
            moving.append(index)
            for tag in Set(update.to.tags).subtracting(update.from.tags) {
                memberships[tag, default: ([], [])].add.append(id)
            }
            for tag in Set(update.from.tags).subtracting(update.to.tags) {
                memberships[tag, default: ([], [])].remove.append(id)
            }
        }
        var membershipError: RemoteError?
        do throws(RemoteError) {
            try await changeMemberships(memberships)
        } catch {
            if case .credentialRefused = error { throw error }
            membershipError = error
        }
        for (index, update) in updates.enumerated() {
            guard case .success = results[index] else { continue }
            let answered = answers[index]
            if let membershipError, moving.contains(index) {
                results[index] =
                    answered.map { .success(.partly($0, refused: membershipError)) }
                    ?? .failure(membershipError)
                continue
            }
            if var contact = answered {
                contact.contact.tags = update.to.tags
                results[index] = .success(.applied(contact))
            } else if moving.contains(index) {
                // Memberships only: Qlara answers with counts, so the next listing tells the time.
                results[index] = .success(
                    .applied(RemoteContact(id: update.id, contact: update.to, updatedAt: nil)))
            }
        }
        return results
    }

    /// One PUT of the whole contact.
    private func replace(_ id: String, with contact: Contact) async throws(RemoteError) -> RemoteContact {
        var gender = genders.get(id)
        if gender == nil, let read = try await fetch(id: id) { gender = genders.get(read.id) }
        let what = "PUT /contacts/\(id)"
        return try await decodeOne(
            try await send(
                request("PUT", "contacts", id: id, body: body(contact, gender: gender ?? nil)), what), what)
    }

    func delete(id: String) async throws(RemoteError) {
        _ = try await deleteBatch([id])
    }

    /// Up to 1,000 ids in one `DELETE /contacts`; an id already gone counts as deleted.
    func deleteBatch(_ ids: [String]) async throws(RemoteError) -> [Result<Void, RemoteError>] {
        let numbers = ids.compactMap(Int.init)
        guard !numbers.isEmpty else { return ids.map { _ in .success(()) } }
        _ = try await send(
            request("DELETE", "contacts", body: ["ids": .array(numbers.map(JSON.int))]), "DELETE /contacts")
        return ids.map { _ in .success(()) }
    }
}

/// Each contact's `gender` as Qlara last showed it.
final class GenderBook: Sendable {
    /// `.some(nil)`: read, and no gender.
    private let genders = Mutex<[String: String?]>([:])

    func set(_ id: String, _ gender: String?) { genders.withLock { $0[id] = .some(gender) } }
    /// `nil` when never read; `.some(nil)` when read without a gender.
    func get(_ id: String) -> String?? { genders.withLock { $0[id] } }
}

/// One CSV field, quoted where it must be (RFC 4180).
enum CSVField {
    static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
