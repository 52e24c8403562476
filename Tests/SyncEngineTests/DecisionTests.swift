import Configuration
import ContactModel
import LocalStore
import Testing

@testable import RemoteAPI
@testable import SyncEngine

/// The decision for one contact is a pure function of the three copies: every three-way case
/// in a table, no database, no vendor.
@Suite struct DecisionTests {
    static let phone = PhoneNumber(e164: "+254700000001")!
    static let earlier = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)
    static let later = Timestamp(millisecondsSinceEpoch: 1_700_000_060_000)

    static func contact(
        _ name: String = "Ann", email: String? = "ann@example.com", optIn: OptIn? = .optedIn,
        phone: String = "+254700000001"
    ) -> Contact {
        Contact(phone: PhoneNumber(e164: phone)!, name: name, email: email, optIn: optIn)
    }

    /// A vendor that holds and writes everything, deletes, and changes phones.
    static let everything = RemoteCapabilities(
        fields: [.name, .email, .optIn], writableFields: [.name, .email, .optIn], canDelete: true,
        canChangePhone: true, canReadOne: true)

    static func decision(
        policy: ConflictPolicy = .newest, deletes: SyncSettings.Deletes = .both,
        capabilities: RemoteCapabilities = everything
    ) -> Decision {
        Decision(
            localFields: [.name, .email, .optIn], capabilities: capabilities, policy: policy,
            deletes: deletes, vendor: "vendor")
    }

    static let link = Link(
        id: 7, localKey: "1", remoteID: "r1", phone: "+254700000001", base: contact(), remoteHash: 1,
        remoteUpdatedAt: nil)

    /// What a case must come to: the two writes (by kind), the link's fate, the merged name.
    struct Expected: Sendable, CustomStringConvertible {
        var crm: PlanItem.LocalAction = .none
        var vendor: PlanItem.RemoteAction = .none
        var linkState: Link.State = .linked
        var dropLink = false
        var name: String?
        var conflicts = 0
        var description: String {
            "crm \(crm), vendor \(vendor), link \(linkState)\(dropLink ? " dropped" : "")"
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let local: Decision.LocalState
        let remote: Decision.RemoteState
        var deletes: SyncSettings.Deletes = .both
        var policy: ConflictPolicy = .newest
        let expected: Expected
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(
            label: "neither side changed", local: .unchanged, remote: .unchanged,
            expected: Expected(name: "Ann")),
        Case(
            label: "changed in the CRM only", local: .present(contact("Ann CRM"), changedAt: later),
            remote: .present(contact(), updatedAt: earlier),
            expected: Expected(vendor: .update, name: "Ann CRM")),
        Case(
            label: "changed on the vendor only", local: .present(contact(), changedAt: earlier),
            remote: .present(contact("Ann Vendor"), updatedAt: later),
            expected: Expected(crm: .update, name: "Ann Vendor")),
        Case(
            label: "different fields on each side",
            local: .present(contact(email: "new@example.com"), changedAt: earlier),
            remote: .present(contact("Ann Vendor"), updatedAt: later),
            expected: Expected(crm: .update, vendor: .update, name: "Ann Vendor")),
        Case(
            label: "same field on both, the CRM newer", local: .present(contact("Ann CRM"), changedAt: later),
            remote: .present(contact("Ann Vendor"), updatedAt: earlier),
            expected: Expected(crm: .none, vendor: .update, name: "Ann CRM", conflicts: 1)),
        Case(
            label: "same field on both, the vendor newer",
            local: .present(contact("Ann CRM"), changedAt: earlier),
            remote: .present(contact("Ann Vendor"), updatedAt: later),
            expected: Expected(crm: .update, name: "Ann Vendor", conflicts: 1)),
        Case(
            label: "same field on both, policy local",
            local: .present(contact("Ann CRM"), changedAt: earlier),
            remote: .present(contact("Ann Vendor"), updatedAt: later), policy: .local,
            expected: Expected(vendor: .update, name: "Ann CRM", conflicts: 1)),
        Case(
            label: "same field on both, policy remote", local: .present(contact("Ann CRM"), changedAt: later),
            remote: .present(contact("Ann Vendor"), updatedAt: earlier), policy: .remote,
            expected: Expected(crm: .update, name: "Ann Vendor", conflicts: 1)),
        Case(
            label: "equal edits on both sides are no conflict",
            local: .present(contact("Same"), changedAt: earlier),
            remote: .present(contact("Same"), updatedAt: later), expected: Expected(name: "Same")),
        Case(
            label: "an older opt-in never beats a newer opt-out",
            local: .present(contact(optIn: .optedOut), changedAt: earlier),
            remote: .present(contact(optIn: .optedIn, phone: "+254700000001"), updatedAt: later),
            expected: Expected(vendor: .update, name: "Ann")),
        Case(
            label: "the vendor's unknown opt-in is no change", local: .unchanged,
            remote: .present(contact(optIn: nil), updatedAt: later),
            expected: Expected(name: "Ann")),
        Case(
            label: "deleted in the CRM, deletes go to the vendor", local: .deleted(at: later),
            remote: .unchanged,
            expected: Expected(vendor: .delete, dropLink: true)),
        Case(
            label: "deleted in the CRM, deletes stay local", local: .deleted(at: later), remote: .unchanged,
            deletes: .none,
            expected: Expected(linkState: .localDeleted)),
        Case(
            label: "deleted in the CRM, edited on the vendor: the edit wins", local: .deleted(at: earlier),
            remote: .present(contact("Ann Vendor"), updatedAt: later),
            expected: Expected(crm: .insert, name: "Ann Vendor")),
        Case(
            label: "deleted on the vendor, deletes come to the CRM", local: .unchanged, remote: .deleted,
            expected: Expected(crm: .delete, dropLink: true)),
        Case(
            label: "deleted on the vendor, deletes stay there", local: .unchanged, remote: .deleted,
            deletes: .localToRemote,
            expected: Expected(linkState: .remoteDeleted)),
        Case(
            label: "deleted on the vendor, edited in the CRM: the edit wins",
            local: .present(contact("Ann CRM"), changedAt: later),
            remote: .deleted, expected: Expected(vendor: .create, name: "Ann CRM")),
        Case(
            label: "gone on both sides", local: .deleted(at: later), remote: .deleted,
            expected: Expected(dropLink: true)),
    ]

    @Test(arguments: cases)
    func decides(_ testCase: Case) {
        let item = Self.decision(policy: testCase.policy, deletes: testCase.deletes).decide(
            link: Self.link, local: testCase.local, remote: testCase.remote)
        let expected = testCase.expected
        #expect(item.localAction == expected.crm)
        #expect(item.remoteAction == expected.vendor)
        #expect(item.linkState == expected.linkState)
        #expect(item.dropLink == expected.dropLink)
        if let name = expected.name { #expect(item.merged?.name == name) }
        #expect(item.conflicts.count == expected.conflicts)
        // The writes carry what they send: an update's target is the merged copy.
        if case .update(let id, _, let to)? = item.remoteWrite {
            #expect(id == "r1")
            #expect(to == item.merged)
        }
        if case .update(let key, _, let new)? = item.crmWrite {
            #expect(key == "1")
            #expect(new == item.merged?.projected(onto: [.name, .email, .optIn]))
        }
    }

    @Test func anOptOutIsStickyWhicheverSideIsNewer() {
        let item = Self.decision().decide(
            link: Self.link, local: .present(Self.contact(optIn: .optedOut), changedAt: Self.earlier),
            remote: .present(Self.contact("Ann Vendor", optIn: .optedIn), updatedAt: Self.later))
        #expect(item.merged?.optIn == .optedOut)
        #expect(item.merged?.name == "Ann Vendor")
    }

    @Test func aNewPhoneOnAVendorThatCannotChangeOneIsANewContact() {
        var capabilities = Self.everything
        capabilities.canChangePhone = false
        let item = Self.decision(capabilities: capabilities).decide(
            link: Self.link, local: .present(Self.contact(phone: "+254711111111"), changedAt: Self.later),
            remote: .unchanged)
        guard case .recreate(let contact, let replacing, let old)? = item.remoteWrite else {
            Issue.record("expected a recreate, got \(String(describing: item.remoteWrite))")
            return
        }
        #expect(contact.phone.e164 == "+254711111111")
        #expect(replacing == "r1")
        #expect(old.phone.e164 == "+254700000001")
    }

    @Test func aStoredPlanItemReadsBackTheSame() {
        var item = Self.decision().decide(
            link: Self.link,
            local: .present(Self.contact("Ann CRM", email: "x@example.com"), changedAt: Self.later),
            remote: .present(Self.contact("Ann Vendor"), updatedAt: Self.later))
        item.skipped = .duplicatePhone("+254700000001")
        #expect(PlanItem(json: item.json) == item)
        item.skipped = .unreadableRow(LocalRowProblem(.invalidPhone, "invalid phone 'x'", rawPhone: "x"))
        #expect(PlanItem(json: item.json) == item)
        #expect(item.skipped?.category == "invalid phone")
    }
}
