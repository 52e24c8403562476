import ContactModel
import JSON
import Testing

@Suite struct ThreeWayMergeTests {
    let phone = PhoneNumber(e164: "+254700000001")!
    let earlier = Timestamp(millisecondsSinceEpoch: 1_000_000)
    let later = Timestamp(millisecondsSinceEpoch: 2_000_000)

    private func contact(
        name: String? = "Ann", email: String? = "ann@example.com", tags: [String] = ["a"],
        attributes: [String: JSON] = ["tier": "gold"], optIn: OptIn? = .optedIn
    ) -> Contact {
        Contact(phone: phone, name: name, email: email, tags: tags, attributes: attributes, optIn: optIn)
    }

    private func merge(
        _ base: Contact?, _ local: Contact, _ remote: Contact, localTime: Timestamp? = nil,
        remoteTime: Timestamp? = nil, policy: ConflictPolicy = .newest
    ) -> ThreeWayMerge.Result {
        ThreeWayMerge.merge(
            base: base, local: MergeSide(local, updatedAt: localTime ?? earlier),
            remote: MergeSide(remote, updatedAt: remoteTime ?? later), policy: policy)
    }

    @Test func aFieldChangedOnOneSideTakesThatSide() {
        let base = contact()
        let result = merge(base, contact(name: "Ann Local"), contact(email: "new@example.com"))
        #expect(result.merged.name == "Ann Local")
        #expect(result.merged.email == "new@example.com")
        #expect(result.conflicts.isEmpty)
    }

    @Test func theSameFieldChangedOnBothSidesGoesToTheNewer() {
        let base = contact()
        let remoteNewer = merge(
            base, contact(name: "Local"), contact(name: "Remote"), localTime: earlier, remoteTime: later)
        #expect(remoteNewer.merged.name == "Remote")
        #expect(remoteNewer.conflicts.count == 1)
        let conflict = remoteNewer.conflicts[0]
        #expect(conflict.field == .name)
        #expect(conflict.base == "Ann")
        #expect(conflict.local == "Local", "the loser is kept for the log")
        #expect(conflict.winner == .remote)
        let localNewer = merge(
            base, contact(name: "Local"), contact(name: "Remote"), localTime: later, remoteTime: earlier)
        #expect(localNewer.merged.name == "Local")
    }

    @Test func thePolicyCanForceASide() {
        let base = contact()
        #expect(
            merge(
                base, contact(name: "L"), contact(name: "R"), localTime: earlier, remoteTime: later,
                policy: .local
            ).merged.name == "L")
        #expect(
            merge(
                base, contact(name: "L"), contact(name: "R"), localTime: later, remoteTime: earlier,
                policy: .remote
            ).merged.name == "R")
    }

    @Test func equalValuesAreNeverAConflict() {
        let result = merge(contact(), contact(name: "Same"), contact(name: "Same"))
        #expect(result.merged.name == "Same")
        #expect(result.conflicts.isEmpty)
    }

    @Test func attributesMergeKeyByKey() {
        let base = contact(attributes: ["tier": "gold", "city": "Nairobi", "gone": "x"])
        let local = contact(attributes: ["tier": "silver", "city": "Nairobi", "gone": "x"])
        let remote = contact(attributes: ["tier": "gold", "city": "Mombasa", "new": "1"])
        let result = merge(base, local, remote)
        #expect(result.merged.attributes == ["tier": "silver", "city": "Mombasa", "new": "1"])
        #expect(result.conflicts.isEmpty)
    }

    @Test func tagsMergeElementByElement() {
        let result = merge(
            contact(tags: ["a", "b"]), contact(tags: ["a", "b", "local"]), contact(tags: ["a", "remote"]))
        #expect(result.merged.tags == ["a", "local", "remote"])
        #expect(result.conflicts.isEmpty)
    }

    @Test func withoutABaseEmptyValuesTakeTheOtherSide() {
        let result = merge(
            nil, contact(name: nil, email: "l@example.com"),
            contact(name: "Remote Name", email: nil, tags: ["x"]))
        #expect(result.merged.name == "Remote Name")
        #expect(result.merged.email == "l@example.com")
        #expect(result.merged.tags == ["a", "x"])
        #expect(result.conflicts.isEmpty)
        let differing = merge(
            nil, contact(name: "L"), contact(name: "R"), localTime: later, remoteTime: earlier)
        #expect(differing.merged.name == "L")
        #expect(differing.conflicts.map(\.field) == [.name])
    }

    @Test func anOptOutIsSticky() {
        let base = contact(optIn: .optedIn)
        // The local opt-in edit is newer, and the policy even says local: the opt-out still wins.
        for policy in ConflictPolicy.allCases {
            let result = merge(
                contact(optIn: nil), contact(name: "L", optIn: .optedIn), contact(optIn: .optedOut),
                localTime: later, remoteTime: earlier, policy: policy)
            #expect(result.merged.optIn == .optedOut, "\(policy)")
        }
        // A one-sided opt-out is simply taken; a one-sided opt-in after an opt-out too.
        #expect(merge(base, contact(optIn: .optedOut), base).merged.optIn == .optedOut)
        #expect(
            merge(contact(optIn: .optedOut), contact(optIn: .optedIn), contact(optIn: .optedOut)).merged.optIn
                == .optedIn)
    }

    @Test func ties() {
        let result = merge(
            contact(), contact(name: "L"), contact(name: "R"), localTime: earlier, remoteTime: earlier)
        #expect(result.merged.name == "L", "the local side wins a tie")
    }
}

@Suite struct ContactStorageTests {
    @Test func roundTripsThroughJSONWithAStableHash() throws {
        let contact = Contact(
            phone: PhoneNumber(e164: "+254700000001")!, name: "Ann \"A\"", email: nil, country: "KE",
            tags: ["b", "a", "a", " "], attributes: ["z": "1", "a": "2"], optIn: .optedOut)
        #expect(contact.tags == ["a", "b"])
        let again = try #require(Contact(json: try JSON.parse(contact.json.serialized)))
        #expect(again == contact)
        #expect(again.contentHash == contact.contentHash)
        var changed = contact
        changed.attributes["z"] = "2"
        #expect(changed.contentHash != contact.contentHash)
    }
}

@Suite struct TagNormalizingTests {
    @Test(arguments: [
        (["vip"], ["vip"]),
        (["a", "b", "c"], ["a", "b", "c"]),
        (["b", "a"], ["a", "b"]),
        (["a", "a"], ["a"]),
        ([" vip ", "lead"], ["lead", "vip"]),
        (["", "  ", "x"], ["x"]),
        (["Zoë", "zoe"], ["Zoë", "zoe"]),
        ([], []),
    ])
    func tagsAreTrimmedDeduplicatedAndSorted(_ tags: [String], _ expected: [String]) {
        #expect(Contact.normalizedTags(tags) == expected)
    }
}
