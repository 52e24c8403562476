import Configuration
import ContactModel
import Foundation
import JSON
import LocalStore
import RemoteAPI

/// Deciding every changed contact, into the plan table.
extension SyncCycle {
    struct PlannedDeletes {
        var local = 0
        var remote = 0
    }

    /// Walks remote changes, then linked contacts the vendor no longer has, then the CRM's
    /// changes; each contact is decided once. Pure of I/O with the vendor: everything it
    /// needs was read before.
    func plan() throws(SyncError) -> PlannedDeletes {
        var tally = PlanTally()
        do {
            tally.identity = try state.transaction { try resolveIdentities() }
            try state.transaction {
                try planRemoteChanges(&tally)
                try planGoneFromVendor(&tally)
                try planLocalChanges(&tally)
            }
        } catch {
            throw SyncEngine.storageError(error)
        }
        return tally.deletes
    }

    /// What planning has seen so far in this cycle.
    struct PlanTally {
        var deletes = PlannedDeletes()
        var identity = IdentityMap()
        var handledKeys = Set<String>()
        var handledLinks = Set<Int64>()
        var createPhones = Set<String>()
        /// Phones a vendor contact moved onto while a CRM row holds them: what clashed.
        var clashes: [String: String] = [:]

        /// Marks a link decided, and the row it follows (unless it follows none now).
        mutating func handle(_ link: Link) {
            handledLinks.insert(link.id)
            if !identity.isReleased(link), let key = link.localKey { handledKeys.insert(key) }
        }
    }

    // MARK: - Remote changes

    private func planRemoteChanges(_ tally: inout PlanTally) throws {
        try state.forEachRemoteChange { snapshot, stored in
            if let stored {
                guard stored.state != .detached else { return }
                let link = tally.identity.following(stored)
                tally.handle(link)
                if let blocked = try blockedRemoteChange(link, listed: snapshot, &tally) {
                    try emit(blocked, &tally, releasing: link)
                    return
                }
                // A list item without the fields only a read has: those stay as last synced.
                let listed =
                    snapshot.partial
                    ? snapshot.contact.keeping(
                        capabilities.listedFields, otherwise: link.base ?? snapshot.contact)
                    : snapshot.contact
                var item = try decideLinked(
                    link, local: try localState(for: link, tally),
                    remote: .present(listed, updatedAt: snapshot.updatedAt))
                item.remoteHash = snapshot.hash
                item.listedItem = snapshot.listedItem
                try emit(item, &tally, releasing: link)
                return
            }
            let phone = snapshot.contact.phone.e164
            let keys = try state.unlinkedLocalKeys(phone: phone).filter { key in
                try !tally.handledKeys.contains(key)
                    && tally.identity.isUnclaimed(key, linkAtKey: state.link(localKey: key))
            }
            if let key = keys.first, let row = try currentLocal(key), case .success(let local) = row.contact {
                tally.handledKeys.insert(key)
                var item = decision.decideNewPair(
                    localKey: key, local: local, localTime: row.updatedAt, remoteID: snapshot.remoteID,
                    remote: snapshot.contact, remoteTime: snapshot.updatedAt)
                item.remoteHash = snapshot.hash
                item.listedItem = snapshot.listedItem
                if keys.count > 1 {
                    item.reasons.append(
                        "CRM rows \(keys.joined(separator: ", ")) share this phone; row \(key) was linked")
                    report.notes.append(
                        "CRM rows \(keys.joined(separator: ", ")) share the phone \(phone); only row \(key) is synced"
                    )
                }
                try emit(item, &tally)
            } else if keys.isEmpty, let holder = try state.localKeysHolding(phone: phone).first {
                try emit(heldElsewhere(snapshot, by: holder, &tally), &tally)
            } else {
                var item = PlanItem(phone: phone)
                item.remoteID = snapshot.remoteID
                item.remote = snapshot.contact
                item.merged = snapshot.contact
                item.remoteTime = snapshot.updatedAt
                item.remoteHash = snapshot.hash
                item.listedItem = snapshot.listedItem
                item.crmWrite = .insert(snapshot.contact.projected(onto: localFields))
                item.reasons.append("new on \(vendor)")
                try emit(item, &tally)
            }
        }
    }

    /// A linked contact's vendor change that must wait: its CRM row cannot be read this
    /// cycle (nothing is written over a row syncd cannot read), or the vendor moved it onto a
    /// phone another CRM row holds (two people, one number: neither becomes the other).
    private func blockedRemoteChange(_ link: Link, listed: SnapshotRow, _ tally: inout PlanTally) throws
        -> PlanItem?
    {
        var item = PlanItem(phone: link.phone)
        item.linkID = link.id
        item.localKey = link.localKey
        item.remoteID = link.remoteID
        if let problem = try unreadableRow(of: link, tally) {
            item.skipped = .unreadableRow(problem)
            return item
        }
        let phone = listed.contact.phone.e164
        guard phone != link.phone, !tally.identity.isReleased(link),
            let holder = try state.localKeysHolding(phone: phone).first(where: {
                try $0.key != link.localKey && !(leavesPhone($0.key, phone))
            })
        else { return nil }
        let what =
            "\(vendor) contact \(listed.remoteID) (CRM row \(link.localKey ?? "?"), \(link.phone)) now has the phone \(phone), which CRM row \(holder.key) holds; both stay as they are until one of them changes"
        tally.clashes[phone] = what
        item.skipped = .phoneClash(what)
        return item
    }

    /// Whether the CRM row under `key` is linked to a vendor contact this listing shows under
    /// another phone than `phone`: it is leaving that phone too (a swap, or a chain of moves).
    private func leavesPhone(_ key: String, _ phone: String) throws -> Bool {
        guard let id = try state.link(localKey: key)?.remoteID, let listed = try state.snapshot(remoteID: id)
        else {
            return false
        }
        return listed.contact.phone.e164 != phone
    }

    /// A vendor contact no link holds, whose phone a CRM row holds that cannot be matched to
    /// it: a row syncd cannot read, or one linked to another vendor contact. It is not pulled
    /// in beside that row as a second person.
    private func heldElsewhere(
        _ snapshot: SnapshotRow, by holder: (key: String, problem: String?), _ tally: inout PlanTally
    ) throws -> PlanItem {
        let phone = snapshot.contact.phone.e164
        if holder.problem == nil, var link = try state.link(localKey: holder.key), link.remoteID == nil,
            link.phone == phone
        {
            // The row's vendor contact was deleted (and the CRM kept the row); this one is the
            // same person back on the vendor: linked again, compared with what was agreed.
            link.remoteID = snapshot.remoteID
            link.state = .linked
            tally.handle(link)
            var item = try decideLinked(
                link, local: try localState(for: link, tally),
                remote: .present(snapshot.contact, updatedAt: snapshot.updatedAt))
            item.remoteHash = snapshot.hash
            item.listedItem = snapshot.listedItem
            item.reasons.append("back on \(vendor): linked again to CRM row \(holder.key)")
            return item
        }
        var item = PlanItem(phone: phone)
        item.remoteID = snapshot.remoteID
        item.localKey = holder.key
        if let problem = holder.problem {
            item.skipped = .heldByUnreadableRow(key: holder.key, reason: problem)
        } else {
            let linked = try state.link(localKey: holder.key)?.remoteID.map {
                ", linked to \(vendor) contact \($0)"
            }
            item.skipped = .phoneClash(
                "\(vendor) contact \(snapshot.remoteID) has the phone \(phone), which CRM row \(holder.key) holds\(linked ?? ""); it is not pulled in as a second row"
            )
        }
        return item
    }

    /// Decides a linked contact. A CRM row that did not change is taken to hold the last-
    /// synced copy, but a row that leaves opt-in unknown agrees with any known one (a vendor's
    /// default, say): before a CRM write is planned from that copy, the row itself is read and
    /// the write starts from it, so it never puts into the CRM a value only the vendor had.
    private func decideLinked(_ link: Link, local: Decision.LocalState, remote: Decision.RemoteState) throws
        -> PlanItem
    {
        let item = decision.decide(link: link, local: local, remote: remote)
        guard case .unchanged = local, item.crmWrite != nil, link.base?.optIn != nil,
            localFields.contains(.optIn),
            let key = link.localKey, let row = try currentLocal(key),
            case .success(let contact) = row.contact,
            contact.optIn == nil
        else { return item }
        return decision.decide(link: link, local: .present(contact, changedAt: row.updatedAt), remote: remote)
    }

    /// Why the CRM row `link` follows cannot be read this cycle, if it cannot.
    private func unreadableRow(of link: Link, _ tally: PlanTally) throws -> LocalRowProblem? {
        guard let key = link.localKey, !tally.identity.isReleased(link) else { return nil }
        if let change = try state.localChange(key: key) { return change.deleted ? nil : change.problem }
        return try state.indexedProblem(localKey: key).map { LocalRowProblem(.unreadable, $0, rawPhone: nil) }
    }

    // MARK: - Missing from the listing

    /// Linked contacts the vendor said, when read directly, it no longer has.
    private func planGoneFromVendor(_ tally: inout PlanTally) throws {
        var gone: [Link] = []
        try state.forEachLinkGoneFromVendor { gone.append(tally.identity.following($0)) }
        for link in gone {
            tally.handle(link)
            if let problem = try unreadableRow(of: link, tally) {
                var item = PlanItem(phone: link.phone)
                item.linkID = link.id
                item.localKey = link.localKey
                item.skipped = .unreadableRow(problem)
                try emit(item, &tally)
                continue
            }
            var item = try decideLinked(link, local: try localState(for: link, tally), remote: .deleted)
            item.remoteHash = nil
            try emit(item, &tally, releasing: link)
        }
    }

    // MARK: - CRM changes

    private func planLocalChanges(_ tally: inout PlanTally) throws {
        var pending: [(LocalChange, Link?)] = []
        try state.forEachLocalChange { change, joined in
            let leftThisRow =
                joined.map {
                    (tally.identity.isReleased($0) || tally.identity.hasMoved($0))
                        && !tally.handledLinks.contains($0.id)
                } ?? false
            if leftThisRow || !tally.handledKeys.contains(change.key) { pending.append((change, joined)) }
        }
        for (change, joined) in pending {
            if let joined, tally.identity.isReleased(joined), !tally.handledLinks.contains(joined.id) {
                // The person left the CRM; the row under their old key, if any, is decided below.
                tally.handle(joined)
                var item = decision.decide(
                    link: joined, local: .deleted(at: change.changedAt), remote: .unchanged)
                item.remoteHash = joined.remoteHash
                try emit(item, &tally, releasing: joined)
            }
            if let joined, tally.identity.hasMoved(joined), !tally.handledLinks.contains(joined.id) {
                // The person lives on in another row, which need not have changed itself.
                let link = tally.identity.following(joined)
                tally.handle(link)
                var item = decision.decide(
                    link: link, local: try localState(for: link, tally), remote: .unchanged)
                item.remoteHash = link.remoteHash
                try emit(item, &tally)
            }
            if let joined, change.deleted, tally.identity.hasMoved(joined),
                !tally.handledKeys.contains(change.key)
            {
                // The row is gone and its person lives on in another row: forget the old key.
                var item = PlanItem(phone: joined.phone)
                item.localKey = change.key
                item.reasons.append(
                    "deleted in the CRM; the contact now follows row \(tally.identity.following(joined).localKey ?? "?")"
                )
                tally.handledKeys.insert(change.key)
                try emit(item, &tally)
                continue
            }
            guard !tally.handledKeys.contains(change.key) else { continue }
            tally.handledKeys.insert(change.key)
            let link = try tally.identity.owner(ofKey: change.key, joined: joined, state: state)
            if let link { tally.handledLinks.insert(link.id) }
            if let problem = change.problem {
                var item = PlanItem(phone: change.rawPhone ?? "?")
                item.localKey = change.key
                item.skipped = .unreadableRow(problem)
                try emit(item, &tally)
                continue
            }
            if var link {
                if link.remoteID == nil, link.state == .remoteDeleted, change.deleted {
                    link.localKey = change.key
                }
                var item = decision.decide(link: link, local: localState(change), remote: .unchanged)
                item.remoteHash = link.remoteHash
                try emit(item, &tally)
                continue
            }
            if change.deleted {
                var item = PlanItem(phone: change.rawPhone ?? "?")
                item.localKey = change.key
                item.reasons.append("deleted in the CRM before it was ever synced")
                try emit(item, &tally)
                continue
            }
            guard let contact = change.contact else { continue }
            try planNewLocal(change, contact, &tally)
        }
    }

    /// A CRM row no link holds: relinked to a contact whose row was deleted earlier, or
    /// created remotely — unless another row already claims its phone.
    private func planNewLocal(_ change: LocalChange, _ contact: Contact, _ tally: inout PlanTally) throws {
        let phone = contact.phone.e164
        if var tombstone = try state.links(phone: phone).first(where: {
            $0.localKey == nil && $0.remoteID != nil
        }) {
            tombstone.localKey = change.key
            tombstone.state = .linked
            let listed = try tombstone.remoteID.flatMap { try state.snapshot(remoteID: $0) }
            var item = decision.decide(
                link: tombstone, local: .present(contact, changedAt: change.changedAt),
                remote: listed.map { .present($0.contact, updatedAt: $0.updatedAt) } ?? .unchanged)
            item.localKey = change.key
            item.remoteHash = listed?.hash ?? tombstone.remoteHash
            item.reasons.append(
                "back in the CRM: linked again to \(vendor) contact \(tombstone.remoteID ?? "")")
            try emit(item, &tally)
            return
        }
        let claimed = try state.links(phone: phone).contains {
            $0.localKey != nil && $0.localKey != change.key && !tally.identity.isReleased($0)
        }
        let skip: PlanItem.SkipReason? =
            if let clash = tally.clashes[phone] {
                .phoneClash(clash)
            } else if claimed || tally.createPhones.contains(phone) {
                .duplicatePhone(phone)
            } else {
                nil
            }
        if let skip {
            var item = PlanItem(phone: phone)
            item.localKey = change.key
            item.local = contact
            item.skipped = skip
            try emit(item, &tally)
            return
        }
        tally.createPhones.insert(phone)
        var item = PlanItem(phone: phone)
        item.localKey = change.key
        item.local = contact
        item.merged = contact
        item.localTime = change.changedAt
        item.remoteWrite = .create(contact)
        item.reasons.append("new in the CRM")
        try emit(item, &tally)
    }

    // MARK: - Helpers

    /// A linked row's state: its captured change if it has one; otherwise unchanged, except
    /// that a link with no history (recovered) or one that moved to another row reads the row
    /// itself. A released link's person left the CRM.
    private func localState(for link: Link, _ tally: PlanTally) throws -> Decision.LocalState {
        guard let key = link.localKey else { return .unchanged }
        if tally.identity.isReleased(link) {
            return .deleted(at: try state.localChange(key: key)?.changedAt ?? now())
        }
        if let change = try state.localChange(key: key) { return localState(change) }
        if tally.identity.hasMoved(link) {
            guard let row = try currentLocal(key), case .success(let contact) = row.contact else {
                return .deleted(at: now())
            }
            return .present(contact, changedAt: row.updatedAt)
        }
        guard link.base == nil else { return .unchanged }
        guard let row = try currentLocal(key) else { return .deleted(at: now()) }
        if case .success(let contact) = row.contact { return .present(contact, changedAt: row.updatedAt) }
        return .unchanged
    }

    private func localState(_ change: LocalChange) -> Decision.LocalState {
        if change.deleted { return .deleted(at: change.changedAt) }
        if let contact = change.contact { return .present(contact, changedAt: change.changedAt) }
        return .unchanged
    }

    /// The row as it is now: from this cycle's changes, or read from the CRM.
    private func currentLocal(_ key: String) throws -> LocalRow? {
        if let change = try state.localChange(key: key), let contact = change.contact {
            return LocalRow(key: key, contact: .success(contact), updatedAt: change.changedAt)
        }
        return try crm.rows(keys: [key])[key]
    }

    /// Stores an item. A released link's item no longer speaks for the row under its old
    /// key (somebody else may live there now), so nothing it records touches that row.
    private func emit(_ item: PlanItem, _ tally: inout PlanTally, releasing link: Link) throws {
        var item = item
        if tally.identity.isReleased(link) { item.localKey = nil }
        try emit(item, &tally)
    }

    private func emit(_ item: PlanItem, _ tally: inout PlanTally) throws {
        if item.localAction == .delete { tally.deletes.local += 1 }
        if item.remoteAction == .delete { tally.deletes.remote += 1 }
        try state.storePlan(phone: item.phone, item: item.json)
        if options.dryRun,
            let line = PlanDescription.line(
                item, vendor: vendor, localFields: localFields, remoteFields: capabilities.writableFields)
        {
            report.planLines.append(line)
        }
        if options.dryRun { tallyDryRun(item) }
    }

    /// A dry run reports what it would do in the same counters a real run fills.
    private func tallyDryRun(_ item: PlanItem) {
        if let skipped = item.skipped {
            report.skip(skipped.category)
            return
        }
        report.tally(item)
    }

    // MARK: - The delete guard

    /// Stops a cycle that would delete more than `sync.max_delete_share` of either side
    /// (and more than 5 contacts), unless forced. Nothing has been changed at this point.
    func checkDeleteGuard(_ deletes: PlannedDeletes) throws(SyncError) {
        // Five deletes or fewer never trip it: no need to count either side (a scan of each).
        guard deletes.local > 5 || deletes.remote > 5 else { return }
        let share = configuration.sync.maxDeleteShare
        let localTotal = (try? crm.count()) ?? 0
        let remoteTotal = max(report.pulled, (try? state.linkCount()) ?? 0)
        func excessive(_ count: Int, _ total: Int) -> Bool {
            count > 5 && Double(count) > share * Double(max(total, 1))
        }
        guard excessive(deletes.local, localTotal) || excessive(deletes.remote, remoteTotal) else { return }
        let percent = Int((share * 100).rounded())
        let message =
            "this cycle would delete \(deletes.local) of \(localTotal) CRM rows and \(deletes.remote) of \(remoteTotal) \(vendor) contacts, more than sync.max_delete_share (\(percent)%). Nothing was changed. Check what happened on each side, then run 'syncd --once --force --config \(configuration.path)' to go ahead."
        if options.dryRun {
            report.notes.append(message)
        } else if !options.force {
            throw SyncError(.deleteGuard, message)
        }
    }
}
