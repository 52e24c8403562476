import ContactModel
import HTTPServer
import JSON

/// Qlara's asynchronous export: request it, poll until READY, download the CSV from a link
/// that expires (and can be regenerated).
extension QlaraAPI {
    static func startExport(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        let fields = BodyFields(object: try request.jsonObject(), invalidStatus: 400)
        let listIDs = try fields.intArray("listIds")
        let contactIDs = try fields.intArray("contactIds")
        var keys = state.store.keys(sortedBy: .numericID, ascending: true)
        if let listIDs {
            keys = keys.filter {
                state.store.contact(key: $0)?.listIDs.contains(where: listIDs.contains) ?? false
            }
        }
        if let contactIDs {
            let wanted = Set(contactIDs.map(String.init))
            keys = keys.filter { wanted.contains(state.store.contact(key: $0)?.id ?? "") }
        }
        let contacts = keys.compactMap { state.store.contact(key: $0) }
        let customKeys = Set(contacts.flatMap(\.attributes.keys)).sorted()
        var rows = [
            [
                "id", "fullName", "phoneNumber", "email", "gender", "isValid", "communicationSupported",
                "listIds", "createdAt", "updatedAt",
            ] + customKeys.map { "customFields.\($0)" }
        ]
        for contact in contacts {
            rows.append(
                [
                    contact.id, contact.name ?? "", contact.phone ?? "", contact.email ?? "",
                    contact.gender ?? "",
                    String(isValid(contact)), channels(contact).joined(separator: "|"),
                    contact.listIDs.map(String.init).joined(separator: "|"),
                    contact.createdAt.iso8601(fractionalSeconds: true),
                    contact.updatedAt.iso8601(fractionalSeconds: true),
                ] + customKeys.map { contact.attributes[$0] ?? "" })
        }
        let export = SimExport(
            id: state.uuid(), csv: CSV.write(rows),
            readyAt: state.now().adding(
                milliseconds: Int64(state.configuration.exportReadyAfterMilliseconds)),
            downloadToken: state.random.hex(32), expiresAt: nil)
        state.exports[export.id] = export
        return .json(202, ["id": .string(export.id), "status": "PENDING"])
    }

    static func exportStatus(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        .json(200, try describeExport(request, &state, regenerate: false))
    }

    static func regenerateExport(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        .json(200, try describeExport(request, &state, regenerate: true))
    }

    static func download(_ request: VendorRequest, _ state: inout SimState) throws(VendorError)
        -> HTTPResponse
    {
        guard let export = state.exports[request.parameter("id")], let expiry = export.expiresAt,
            request.http.query["token"] == export.downloadToken
        else { throw VendorError(403, "Forbidden", "invalid download link") }
        guard state.now() < expiry else {
            throw VendorError(
                410, "Gone", "this download link has expired; regenerate it with POST /exports/{id}")
        }
        return HTTPResponse(
            status: 200,
            headers: [
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": #"attachment; filename="contacts.csv""#,
            ],
            body: export.csv)
    }

    /// The export's state; once READY it has a link (a new one when regenerating or when the
    /// first is handed out).
    private static func describeExport(_ request: VendorRequest, _ state: inout SimState, regenerate: Bool)
        throws(VendorError) -> JSON
    {
        guard var export = state.exports[request.parameter("id")] else {
            throw VendorError(404, "Not Found", "export \(request.parameter("id")) not found")
        }
        let now = state.now()
        guard now >= export.readyAt else { return ["id": .string(export.id), "status": "PENDING"] }
        if export.expiresAt == nil || regenerate {
            if regenerate { export.downloadToken = state.random.hex(32) }
            export.expiresAt = now.adding(
                milliseconds: Int64(state.configuration.exportURLLifetimeSeconds) * 1000)
            state.exports[export.id] = export
        }
        let url =
            "\(request.origin)\(Dialect.qlara.basePath)/exports/\(export.id)/download?token=\(export.downloadToken)"
        return [
            "id": .string(export.id), "status": "READY", "downloadUrl": .string(url),
            "expiresAt": .string(export.expiresAt!.iso8601(fractionalSeconds: true)),
        ]
    }
}
