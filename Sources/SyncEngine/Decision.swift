import Configuration
import ContactModel
import LocalStore
import RemoteAPI

/// The pure part of planning: given what each side holds now and what they last agreed on,
/// what happens to one contact. No I/O, so `syncd explain` and the tests use it directly.
struct Decision {
    /// What the remote side shows for a linked contact this cycle.
    enum RemoteState {
        case present(Contact, updatedAt: Timestamp?)
        /// A direct read said it is gone.
        case deleted
        /// Not in the listing, and the listing cannot tell (SendyStack): taken as unchanged.
        case unchanged
    }

    /// What the CRM shows for a linked row this cycle.
    enum LocalState {
        case present(Contact, changedAt: Timestamp?)
        case deleted(at: Timestamp?)
        case unchanged
    }

    let localFields: FieldSet
    let capabilities: RemoteCapabilities
    let policy: ConflictPolicy
    let deletes: SyncSettings.Deletes
    let vendor: String

    /// Decides a linked (or tombstoned) contact.
    func decide(link: Link, local: LocalState, remote: RemoteState) -> PlanItem {
        var item = PlanItem(phone: link.phone)
        item.linkID = link.id
        item.localKey = link.localKey
        item.remoteID = link.remoteID
        item.base = link.base
        let base = link.base

        let localContact: Contact?
        switch local {
        case .present(let contact, let at):
            localContact = crmView(contact, base: base)
            item.local = contact
            item.localTime = at
        case .deleted(let at):
            localContact = nil
            item.localTime = at
        case .unchanged:
            localContact = link.localKey == nil ? nil : base.map { $0.projected(onto: localFields) }
        }
        let remoteContact: Contact?
        switch remote {
        case .present(let contact, let at):
            remoteContact = vendorView(contact, known: base ?? localContact)
            item.remoteTime = at
        case .deleted:
            remoteContact = nil
        case .unchanged:
            remoteContact = link.remoteID == nil ? nil : base.map { $0.projected(onto: capabilities.fields) }
        }
        if item.local == nil { item.local = localContact }
        item.remote = remoteContact
        let localChanged =
            localContact.map { changed($0, from: base, fields: localFields) } ?? (link.localKey != nil)
        let remoteChanged =
            remoteContact.map { changed($0, from: base, fields: capabilities.fields) }
            ?? (link.remoteID != nil)

        switch (localContact, remoteContact) {
        case (nil, nil):
            item.dropLink = true
            item.reasons.append("gone on both sides")
        case (nil, let remote?):
            if link.localKey == nil && !remoteChanged {
                item.linkState = .localDeleted  // a tombstone stays quiet
            } else if remoteChanged {
                let restored = fill(remote, fields: capabilities.fields, from: base)
                item.merged = restored
                item.crmWrite = .insert(restored.projected(onto: localFields))
                item.localKey = nil
                item.reasons.append(
                    link.localKey == nil
                        ? "edited on \(vendor) after it was deleted in the CRM: an edit beats a delete, so the row is restored"
                        : "edited on \(vendor) while deleted in the CRM: an edit beats a delete, so the row is restored"
                )
            } else if deletes.toRemote && capabilities.canDelete, let id = link.remoteID {
                item.remoteWrite = .delete(id: id)
                item.dropLink = true
                item.reasons.append("deleted in the CRM; sync.deletes sends deletes to \(vendor)")
            } else {
                item.linkState = .localDeleted
                item.localKey = nil
                item.reasons.append(
                    capabilities.canDelete
                        ? "deleted in the CRM; sync.deletes is \(deletes.rawValue), so \(vendor) keeps it"
                        : "deleted in the CRM; \(vendor) has no delete, so it keeps the contact")
            }
        case (let local?, nil):
            if link.remoteID == nil && !localChanged {
                item.linkState = .remoteDeleted
            } else if localChanged {
                let recreated = fill(local, fields: localFields, from: base)
                item.merged = recreated
                item.remoteWrite = .create(recreated)
                item.remoteID = nil
                item.reasons.append(
                    "edited in the CRM while deleted on \(vendor): an edit beats a delete, so it is created again"
                )
            } else if deletes.toLocal, let key = link.localKey {
                item.crmWrite = .delete(key: key, expected: item.local ?? local)
                item.dropLink = true
                item.reasons.append(
                    "deleted on \(vendor) (confirmed by reading it); sync.deletes applies deletes to the CRM")
            } else {
                item.linkState = .remoteDeleted
                item.remoteID = nil
                item.reasons.append(
                    "deleted on \(vendor); sync.deletes is \(deletes.rawValue), so the CRM keeps it")
            }
        case (let local?, let remote?):
            merge(&item, base: base, local: local, remote: remote)
        }
        return item
    }

    /// Decides two contacts matched by phone with no history (a first sync).
    func decideNewPair(
        localKey: String, local: Contact, localTime: Timestamp?, remoteID: String, remote: Contact,
        remoteTime: Timestamp?
    ) -> PlanItem {
        var item = PlanItem(phone: local.phone.e164)
        item.localKey = localKey
        item.remoteID = remoteID
        item.local = local
        item.remote = remote
        item.localTime = localTime
        item.remoteTime = remoteTime
        item.reasons.append("matched by phone")
        merge(&item, base: nil, local: local, remote: vendorView(remote, known: local))
        return item
    }

    /// What the CRM's row says, read against the last-synced copy: an opt-in the CRM leaves
    /// unknown (NULL) is no news, as the vendor's unknown is none.
    private func crmView(_ local: Contact, base: Contact?) -> Contact {
        guard local.optIn == nil, let known = base?.optIn else { return local }
        var view = local
        view.optIn = known
        return view
    }

    /// What the vendor's copy says, read against what syncd already knows (the last-synced
    /// copy, or the CRM's on a first match): an opt-in the vendor reports as unknown is no
    /// news (it never overwrites a known one), and custom fields the vendor echoes back as
    /// text keep the type the CRM gave them.
    private func vendorView(_ remote: Contact, known: Contact?) -> Contact {
        var view = remote.retypingAttributes(like: known)
        if view.optIn == nil { view.optIn = known?.optIn }
        return view
    }

    /// Three-way merge of two present sides, and the writes that bring each side to it.
    private func merge(_ item: inout PlanItem, base: Contact?, local: Contact, remote: Contact) {
        // A side that cannot hold a field is taken to agree with the other on it.
        let localFull = local.keeping(
            localFields, otherwise: base ?? remote.keeping(capabilities.fields, otherwise: local))
        let remoteFull = remote.keeping(capabilities.fields, otherwise: base ?? localFull)
        let result = ThreeWayMerge.merge(
            base: base, local: MergeSide(localFull, updatedAt: item.localTime),
            remote: MergeSide(remoteFull, updatedAt: item.remoteTime), policy: policy)
        item.merged = result.merged
        item.conflicts = result.conflicts
        let merged = result.merged
        if merged.projected(onto: localFields) != local.projected(onto: localFields), let key = item.localKey
        {
            // The write starts from the row as read; an opt-in it leaves unknown stays unknown
            // unless the merge changed it.
            let row = item.local ?? local
            var target = merged.projected(onto: localFields)
            if row.optIn == nil && target.optIn == local.optIn { target.optIn = nil }
            if target != row { item.crmWrite = .update(key: key, expected: row, new: target) }
        }
        let writable = capabilities.writableFields
        let remoteNeedsPhone = merged.phone != remote.phone
        guard let id = item.remoteID else {
            item.remoteWrite = .create(merged)
            return
        }
        if remoteNeedsPhone && !capabilities.canChangePhone {
            item.remoteWrite = .recreate(merged, replacing: id, old: remote)
            item.reasons.append(
                "the phone changed to \(result.merged.phone); \(vendor) cannot change a phone, so a new contact is created and the old one (\(remote.phone)) is unlinked"
            )
        } else if remoteNeedsPhone || merged.projected(onto: writable) != remote.projected(onto: writable) {
            item.remoteWrite = .update(id: id, from: remote, to: merged)
        }
        if result.merged.optIn != remote.optIn && capabilities.fields.contains(.optIn)
            && !writable.contains(.optIn)
        {
            item.reasons.append("\(vendor) does not let clients change opt-in; its value stays as it is")
        }
    }

    /// Whether `contact` differs from what was agreed, on the fields its side holds.
    private func changed(_ contact: Contact, from base: Contact?, fields: FieldSet) -> Bool {
        guard let base else { return true }
        return contact.projected(onto: fields) != base.projected(onto: fields)
    }

    /// A side's contact completed with the agreed values of fields it does not hold.
    private func fill(_ contact: Contact, fields: FieldSet, from base: Contact?) -> Contact {
        contact.keeping(fields, otherwise: base ?? contact)
    }
}
