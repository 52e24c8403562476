import ContactModel

/// A Qlara contact list. Names are not unique, as on the real service.
struct SimList: Sendable, Equatable {
    var id: Int
    var name: String
    var description: String?
    var createdAt: Timestamp
}
