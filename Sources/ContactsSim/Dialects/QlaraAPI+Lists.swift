import ContactModel
import Foundation
import HTTPServer
import JSON

/// Qlara's contact lists: the only way to group contacts there (syncd maps tags onto them).
extension QlaraAPI {
    static func renderList(_ list: SimList, _ state: SimState) -> JSON {
        [
            "id": .int(list.id), "name": .string(list.name), "description": JSON(list.description),
            "contactCount": .int(state.store.memberCount(ofList: list.id)),
            "createdAt": .string(list.createdAt.iso8601(fractionalSeconds: true)),
        ]
    }

    static func lists(_ request: VendorRequest, _ state: inout SimState) throws(VendorError) -> HTTPResponse {
        let paging = try Paging(
            request.http.query, firstPage: 0, defaultLimit: 10, maximum: 1000, invalidStatus: 400)
        let ids = state.store.lists.keys.sorted()
        let shown = paging.slice(ids, firstPage: 0).compactMap { state.store.lists[$0] }.map {
            renderList($0, state)
        }
        return .json(
            200,
            [
                "content": .array(shown), "page": .int(paging.page), "limit": .int(paging.limit),
                "totalElements": .int(ids.count),
                "totalPages": .int((ids.count + paging.limit - 1) / paging.limit),
            ])
    }

    /// Names need not be unique: creating one that exists makes a second list.
    static func createList(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 400)
        guard let name = try fields.string("name") ?? nil, !name.trimmingCharacters(in: .whitespaces).isEmpty
        else {
            throw VendorError(400, "Bad Request", "name is required")
        }
        let list = state.store.addList(
            name: name, description: try fields.string("description") ?? nil, at: state.now())
        return .json(201, renderList(list, state))
    }

    static func addToLists(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        let (contacts, lists) = try membership(request, state)
        var added = 0
        for contact in contacts {
            let missing = lists.filter { !contact.listIDs.contains($0) }
            guard !missing.isEmpty else { continue }
            added += missing.count
            state.store.update(key: contact.key, at: state.now()) { $0.listIDs += missing }
        }
        return .json(200, ["added": .int(added)])
    }

    static func removeFromLists(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        let (contacts, lists) = try membership(request, state)
        var removed = 0
        for contact in contacts {
            let present = contact.listIDs.filter(lists.contains)
            guard !present.isEmpty else { continue }
            removed += present.count
            state.store.update(key: contact.key, at: state.now()) {
                $0.listIDs.removeAll(where: lists.contains)
            }
        }
        return .json(200, ["removed": .int(removed)])
    }

    static func listMembers(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        guard let id = Int(request.parameter("listId")), state.store.lists[id] != nil else {
            throw VendorError(404, "Not Found", "List \(request.parameter("listId")) not found")
        }
        return try page(request, &state, members: id)
    }

    /// The contacts and lists a membership change names; every one must exist.
    private static func membership(_ request: VendorRequest, _ state: SimState) throws(VendorError) -> (
        [SimContact], [Int]
    ) {
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 400)
        guard let contactIDs = try fields.intArray("contactIds"), !contactIDs.isEmpty,
            let listIDs = try fields.intArray("listIds"), !listIDs.isEmpty
        else {
            throw VendorError(400, "Bad Request", "contactIds and listIds must be non-empty arrays of ids")
        }
        if let missing = listIDs.first(where: { state.store.lists[$0] == nil }) {
            throw VendorError(404, "Not Found", "List \(missing) not found")
        }
        var contacts: [SimContact] = []
        for id in Set(contactIDs).sorted() {
            guard let contact = state.store.contact(id: String(id)) else {
                throw VendorError(404, "Not Found", "Contact \(id) not found")
            }
            contacts.append(contact)
        }
        return (contacts, Array(Set(listIDs)).sorted())
    }
}
