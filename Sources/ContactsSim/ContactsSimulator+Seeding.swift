import ContactModel
public import JSON

extension ContactsSimulator {
    /// Seeds `count` generated contacts when the store is empty (a restarted emulator with a
    /// state file keeps what it had); returns how many were added.
    @discardableResult
    public func seedIfEmpty(count: Int, seed: UInt64? = nil) -> Int {
        withState { state in
            guard state.store.count == 0 else { return 0 }
            let added = state.seed(count: count, seed: seed)
            try? state.save()
            return added
        }
    }
}

extension ContactsSimulator {
    /// Realistic people in syncd's contact fields (phone, name, email, country, tags,
    /// attributes, opt_in), the same ones for the same seed: for demo CRM databases and
    /// benchmarks that need a local book to go with a seeded remote one.
    public static func samplePeople(count: Int, seed: UInt64) -> [JSON] {
        var generator = SeedGenerator(seed: seed)
        var phones = Set<String>()
        var people: [JSON] = []
        let now = SystemClock().now()
        while people.count < count {
            let contact = generator.contact(at: now, attributeKeys: nil)
            guard let phone = contact.phone, phones.insert(phone).inserted else { continue }
            var person: JSONObject = [
                "phone": .string(phone), "name": JSON(contact.name), "email": JSON(contact.email),
                "country": JSON(contact.country),
            ]
            person["tags"] = JSON(contact.tags)
            person["attributes"] = JSON(contact.attributes)
            person["opt_in"] = contact.optIn == .unknown ? .null : .string(contact.optIn.rawValue)
            people.append(.object(person))
        }
        return people
    }
}
