import ContactModel
import Foundation
import HTTPServer
import JSON

/// Qlara's two-step imports: upload a file and see its columns, then map the columns and
/// import in create-or-update mode, matched by phone.
extension QlaraAPI {
    static let uploadLifetimeMilliseconds: Int64 = 3600 * 1000
    static let previewRows = 5

    static func uploadCSV(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        let rows: [[String]]
        do {
            rows = try CSV.parse(try uploadedFile(request))
        } catch {
            throw VendorError(error.status, "Bad Request", error.message)
        }
        guard let header = rows.first, !header.isEmpty else {
            throw VendorError(400, "Bad Request", "the CSV file is empty")
        }
        return store(
            SimUpload(
                id: state.uuid(), kind: .csv, columns: header, rows: Array(rows.dropFirst()),
                createdAt: state.now()), &state)
    }

    static func uploadVCard(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        let cards: [VCard.Card]
        do {
            cards = try VCard.parse(try uploadedFile(request))
        } catch {
            throw VendorError(error.status, "Bad Request", error.message)
        }
        let rows = cards.map { [$0.fullName ?? "", $0.phone ?? "", $0.email ?? ""] }
        return store(
            SimUpload(
                id: state.uuid(), kind: .vcard, columns: ["fullName", "phoneNumber", "email"], rows: rows,
                createdAt: state.now()), &state)
    }

    static func importCSV(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        try runImport(request, kind: .csv, &state)
    }

    /// vCard fields come mapped already; a mapping may still be given.
    static func importVCard(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        try runImport(request, kind: .vcard, &state)
    }

    // MARK: - Steps

    private static func uploadedFile(_ request: VendorRequest) throws(SimError) -> [UInt8] {
        let parts = try Multipart.parse(request.http.body, contentType: request.http.headers["Content-Type"])
        guard let file = parts.first(where: { $0.name == "file" }) else {
            throw SimError.badRequest("the multipart body has no 'file' part")
        }
        return file.body
    }

    private static func store(_ upload: SimUpload, _ state: inout SimState) -> HTTPResponse {
        let now = state.now()
        state.uploads = state.uploads.filter {
            now.millisecondsSinceEpoch - $0.value.createdAt.millisecondsSinceEpoch
                < uploadLifetimeMilliseconds
        }
        state.uploads[upload.id] = upload
        let preview = upload.rows.prefix(previewRows).map { row in
            JSON.object(JSONObject(zip(upload.columns, row.map(JSON.string)).map { ($0, $1) }))
        }
        return .json(
            201, ["uploadId": .string(upload.id), "columns": JSON(upload.columns), "rows": .array(preview)])
    }

    private static func runImport(_ request: VendorRequest, kind: SimUpload.Kind, _ state: inout SimState)
        throws(VendorError) -> HTTPResponse
    {
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 400)
        guard let uploadID = try fields.string("uploadId") ?? nil, let upload = state.uploads[uploadID],
            upload.kind == kind
        else {
            throw VendorError(404, "Not Found", "upload not found or expired")
        }
        var mapping = try fields.stringMap("mapping", allowNull: false)?.compactMapValues { $0 } ?? [:]
        if mapping.isEmpty && kind == .vcard {
            mapping = ["fullName": "fullName", "phoneNumber": "phoneNumber", "email": "email"]
        }
        guard !mapping.isEmpty else { throw VendorError(400, "Bad Request", "mapping is required") }
        for (column, target) in mapping {
            guard upload.columns.contains(column) else {
                throw VendorError(400, "Bad Request", "column '\(column)' is not in the upload")
            }
            guard
                ["fullName", "phoneNumber", "email"].contains(target)
                    || (target.hasPrefix("customFields.") && target.count > 13)
            else {
                throw VendorError(400, "Bad Request", "cannot map '\(column)' to '\(target)'")
            }
        }
        var listID: Int?
        if let value = fields.object["listId"], !value.isNull {
            guard let id = value.int, state.store.lists[id] != nil else {
                throw VendorError(404, "Not Found", "list not found")
            }
            listID = id
        }
        var created = 0
        var updated = 0
        var errors: [JSON] = []
        for (offset, row) in upload.rows.enumerated() {
            do throws(VendorError) {
                let isNew = try importRow(
                    row, columns: upload.columns, mapping: mapping, listID: listID, &state)
                if isNew { created += 1 } else { updated += 1 }
            } catch {
                errors.append(["row": .int(offset + 1), "message": .string(error.message)])
            }
        }
        return .json(
            200,
            [
                "created": .int(created), "updated": .int(updated), "failed": .int(errors.count),
                "errors": .array(errors),
            ])
    }

    /// One imported row: only mapped fields are written; custom fields merge.
    private static func importRow(
        _ row: [String], columns: [String], mapping: [String: String], listID: Int?, _ state: inout SimState
    ) throws(VendorError) -> Bool {
        var name: String?
        var phone: String?
        var email: String?
        var custom: [String: String] = [:]
        for (column, target) in mapping {
            guard let index = columns.firstIndex(of: column), index < row.count else { continue }
            let value = row[index].trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { continue }
            switch target {
            case "fullName": name = value
            case "phoneNumber":
                do {
                    phone = try PhoneNumber.normalize(value).e164
                } catch {
                    throw VendorError(400, "Bad Request", "invalid phone number '\(value)': \(error)")
                }
            case "email":
                guard value.looksLikeEmail else {
                    throw VendorError(400, "Bad Request", "invalid email '\(value)'")
                }
                email = value
            default: custom[String(target.dropFirst("customFields.".count))] = value
            }
        }
        guard phone != nil || email != nil else {
            throw VendorError(400, "Bad Request", "row has neither a phone number nor an email")
        }
        func apply(_ contact: inout SimContact) {
            if let name { contact.name = name }
            if let email { contact.email = email }
            contact.attributes.merge(custom)
            if let listID, !contact.listIDs.contains(listID) { contact.listIDs.append(listID) }
        }
        if let phone, let existing = state.store.contact(phone: phone) {
            state.store.update(key: existing.key, at: state.now(), apply)
            return false
        }
        var contact = state.blankContact()
        contact.phone = phone
        apply(&contact)
        state.insertNew(contact)
        return true
    }
}
