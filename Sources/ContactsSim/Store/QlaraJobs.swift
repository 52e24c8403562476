import ContactModel

/// A parsed Qlara upload waiting for its column mapping.
struct SimUpload: Sendable {
    enum Kind: Sendable { case csv, vcard }

    let id: String
    let kind: Kind
    let columns: [String]
    let rows: [[String]]
    let createdAt: Timestamp
}

/// A Qlara export: a CSV snapshot taken when requested, downloadable once READY until its
/// link expires.
struct SimExport: Sendable {
    let id: String
    let csv: [UInt8]
    let readyAt: Timestamp
    var downloadToken: String
    var expiresAt: Timestamp?
}
