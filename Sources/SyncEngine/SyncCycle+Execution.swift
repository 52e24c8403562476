import Configuration
import ContactModel
import Foundation
import JSON
import LocalStore
import RemoteAPI

/// Applying the plan: in batches, remote writes first (journaled, sent a few at a time or in
/// bulk), then the CRM's writes in one transaction, then the state — so a crash at any point
/// leaves something the next cycle resolves without duplicates or lost edits.
extension SyncCycle {
    /// What became of an item's remote write.
    enum RemoteResult: Sendable {
        /// No remote write was needed.
        case none
        /// A write was needed but never sent (the run is stopping): the item is left as it
        /// was, for the next cycle.
        case notSent
        case done(RemoteContact?)
        /// An update that took several requests went part of the way: what the vendor holds
        /// now, and the refusal that stopped the rest.
        case partly(RemoteContact, RemoteError)
        /// A create found the phone already on the vendor: link to that contact.
        case existing(RemoteContact)
        case rejected(RemoteError)
    }

    func execute() async throws(SyncError) {
        let size = capabilities.batchCreateLimit ?? 200
        var failure: SyncError?
        do {
            try await state.forEachPlanBatch(size: size) { jsons in
                let items = jsons.compactMap(PlanItem.init(json:))
                if let error = try await executeBatch(items) {
                    failure = error
                    throw error
                }
            }
        } catch {
            throw failure ?? SyncEngine.storageError(error)
        }
    }

    /// Runs one batch; returns the error that must end the run after what succeeded is saved.
    private func executeBatch(_ planned: [PlanItem]) async throws(SyncError) -> SyncError? {
        var items = planned
        let journals = try journalCreates(items)
        var (results, fatal) = await sendRemoteWrites(items, journals: journals)
        try await settleExisting(&items, &results)
        if let stop = await setOptInAfterCreates(&items, &results) { fatal = fatal ?? stop }
        keepVendorDefaults(&items, results)
        let localResults = try applyLocalWrites(items, results)
        try record(items, results, localResults, journals)
        return fatal
    }

    // MARK: - Remote

    private func needsRemoteWrite(_ item: PlanItem) -> Bool {
        item.skipped == nil && item.remoteWrite != nil
    }

    private func journalCreates(_ items: [PlanItem]) throws(SyncError) -> [Int: Int64] {
        var journals: [Int: Int64] = [:]
        try SyncEngine.storage {
            try state.transaction {
                for (index, item) in items.enumerated()
                where needsRemoteWrite(item) {
                    guard let created = item.remoteWrite?.created else { continue }
                    journals[index] = try state.journal(
                        kind: .create, phone: created.phone.e164, localKey: item.localKey, remoteID: nil,
                        contact: created, at: now())
                }
            }
        }
        return journals
    }

    /// The Idempotency-Key of an item's remote write. A create is named by its journal entry
    /// (never reused); any other write by what it does: the contact, the vendor's version it
    /// starts from and what it sends. Retried, or planned again after a restart, the same
    /// write gets the same key; a later write, even of the same values, starts from a newer
    /// version and so gets another.
    private func idempotencyKey(_ item: PlanItem, journal: Int64?) -> String {
        if let journal { return "syncd-\(crm.consumer)-\(journal)" }
        let write = [
            item.remoteAction.rawValue, item.remoteID ?? "",
            String(item.remoteTime?.millisecondsSinceEpoch ?? 0),
            String(item.remoteHash ?? 0), item.merged?.json.text ?? "",
        ]
        return
            "syncd-\(crm.consumer)-w\(UInt64(bitPattern: StableHash.of(write.joined(separator: "\u{1F}"))))"
    }

    /// Sends the batch's remote writes: creates in bulk where the vendor has it and there are
    /// more than a few, everything else `remote.concurrency` at a time.
    private func sendRemoteWrites(_ items: [PlanItem], journals: [Int: Int64]) async -> (
        [RemoteResult], SyncError?
    ) {
        var results = items.map { needsRemoteWrite($0) ? RemoteResult.notSent : RemoteResult.none }
        var fatal: SyncError?
        let creates = journals.keys.sorted()
        var bulkDone = Set<Int>()
        if let limit = capabilities.batchCreateLimit, creates.count > 3,
            readsWholeListing || !capabilities.batchCreateOverwrites
        {
            for start in stride(from: 0, to: creates.count, by: limit) {
                let chunk = Array(creates[start..<min(creates.count, start + limit)])
                do {
                    let outcomes = try await remote.createBatch(
                        chunk.compactMap { items[$0].remoteWrite?.created },
                        key: idempotencyKey(items[chunk[0]], journal: journals[chunk[0]]))
                    for (index, outcome) in zip(chunk, outcomes) {
                        switch outcome {
                        case .success(.created(let contact)): results[index] = .done(contact)
                        case .success(.existing(let contact)): results[index] = .existing(contact)
                        case .failure(let error): results[index] = .rejected(error)
                        }
                        bulkDone.insert(index)
                    }
                } catch .outcomeUnknown {
                    // The vendor may have made some or all of them: each phone is looked up, and
                    // what is found was made by this create; the rest go one at a time below.
                    do throws(RemoteError) {
                        for index in chunk {
                            guard let sent = items[index].remoteWrite?.created,
                                let found = try await remote.find(phone: sent.phone)
                            else { continue }
                            // Only what was sent is this create's; anything else was there
                            // before, and is matched as a first match is (its opt-in included).
                            let fields = capabilities.writableFields.subtracting([.optIn])
                            results[index] =
                                found.contact.projected(onto: fields) == sent.projected(onto: fields)
                                ? .done(found) : .existing(found)
                            bulkDone.insert(index)
                        }
                    } catch {
                        if let stop = Self.fatal(error) { return (results, stop) }
                    }
                } catch {
                    if let stop = Self.fatal(error) {
                        fatal = stop
                        return (results, fatal)
                    }
                    // The whole batch was refused: fall back to one at a time to find the bad rows.
                }
            }
        }
        if let stop = await sendBatchedUpdatesAndDeletes(items, &results, done: &bulkDone) {
            return (results, stop)
        }
        let singles = items.indices.filter { needsRemoteWrite(items[$0]) && !bulkDone.contains($0) }
        let remote = self.remote
        let keys = Dictionary(
            uniqueKeysWithValues: singles.map { ($0, idempotencyKey(items[$0], journal: journals[$0])) })
        let limit = max(1, configuration.remote.concurrency)
        await withTaskGroup(of: (Int, RemoteResult).self) { group in
            var next = 0
            func launch() {
                guard next < singles.count, fatal == nil else { return }
                let index = singles[next]
                let item = items[index]
                let key = keys[index] ?? ""
                next += 1
                group.addTask { (index, await Self.send(item, key: key, to: remote)) }
            }
            for _ in 0..<limit { launch() }
            while let (index, result) = await group.next() {
                if case .rejected(let error) = result, let stop = Self.fatal(error) {
                    fatal = fatal ?? stop
                } else {
                    results[index] = result
                }
                launch()
            }
        }
        return (results, fatal)
    }

    /// Updates and deletes that the vendor takes together: updates in one `updateBatch`
    /// (Qlara: a PUT each, memberships one request per list), deletes `deleteBatchLimit` ids
    /// a request. Returns the error that must end the run.
    private func sendBatchedUpdatesAndDeletes(
        _ items: [PlanItem], _ results: inout [RemoteResult], done: inout Set<Int>
    )
        async -> SyncError?
    {
        let pending = items.indices.filter { needsRemoteWrite(items[$0]) && !done.contains($0) }
        if capabilities.updatesInBatches {
            var indices: [Int] = []
            var updates: [RemoteUpdate] = []
            for index in pending {
                guard case .update(let id, let from, let to)? = items[index].remoteWrite else { continue }
                indices.append(index)
                updates.append(
                    RemoteUpdate(id: id, from: from, to: to, key: idempotencyKey(items[index], journal: nil)))
            }
            if !updates.isEmpty {
                do {
                    let outcomes = try await remote.updateBatch(updates)
                    for (index, outcome) in zip(indices, outcomes) {
                        done.insert(index)
                        switch outcome {
                        case .success(.unchanged): results[index] = .done(nil)
                        case .success(.applied(let contact)): results[index] = .done(contact)
                        case .success(.partly(let contact, let error)):
                            results[index] = .partly(contact, error)
                        case .failure(let error):
                            if let stop = Self.fatal(error) { return stop }
                            results[index] = .rejected(error)
                        }
                    }
                } catch {
                    if let stop = Self.fatal(error) { return stop }
                    for index in indices { results[index] = .rejected(error) }
                    done.formUnion(indices)
                }
            }
        }
        if let limit = capabilities.deleteBatchLimit {
            var indices: [Int] = []
            var ids: [String] = []
            for index in pending {
                guard case .delete(let id)? = items[index].remoteWrite else { continue }
                indices.append(index)
                ids.append(id)
            }
            for start in stride(from: 0, to: ids.count, by: limit) {
                let range = start..<min(ids.count, start + limit)
                do {
                    let outcomes = try await remote.deleteBatch(Array(ids[range]))
                    for (index, outcome) in zip(indices[range], outcomes) {
                        done.insert(index)
                        switch outcome {
                        case .success: results[index] = .done(nil)
                        case .failure(let error): results[index] = .rejected(error)
                        }
                    }
                } catch {
                    if let stop = Self.fatal(error) { return stop }
                    for index in indices[range] { results[index] = .rejected(error) }
                    done.formUnion(indices[range])
                }
            }
        }
        return nil
    }

    /// One remote write.
    private static func send(_ item: PlanItem, key: String, to remote: any RemoteContactsAPI) async
        -> RemoteResult
    {
        do {
            switch item.remoteWrite {
            case .create(let contact)?, .recreate(let contact, _, _)?:
                switch try await remote.create(contact, key: key) {
                case .created(let contact): return .done(contact)
                case .existing(let contact): return .existing(contact)
                }
            case .update(let id, let from, let to)?:
                switch try await remote.update(id: id, from: from, to: to, key: key) {
                case .unchanged: return .done(nil)
                case .applied(let contact): return .done(contact)
                case .partly(let contact, let error): return .partly(contact, error)
                }
            case .delete(let id)?:
                try await remote.delete(id: id)
                return .done(nil)
            case nil:
                return .none
            }
        } catch {
            return .rejected(error)
        }
    }

    /// Errors that end the run rather than reject one contact.
    static func fatal(_ error: RemoteError) -> SyncError? {
        switch error {
        case .credentialRefused, .unavailable, .outcomeUnknown, .unsupported, .deferred:
            return SyncEngine.remoteError(error)
        case .rejected, .malformed: return nil
        }
    }

    /// A create that found the phone already on the vendor (a duplicate answer) links to that
    /// contact and merges with it as a first match, instead of failing.
    private func settleExisting(_ items: inout [PlanItem], _ results: inout [RemoteResult])
        async throws(SyncError)
    {
        for index in items.indices {
            guard case .existing(let existing) = results[index] else { continue }
            let old = items[index]
            guard let key = old.localKey, let local = old.local ?? old.remoteWrite?.created else { continue }
            if let holder = try SyncEngine.storage({ try state.link(remoteID: existing.id) }),
                holder.id != old.linkID, holder.speaksForSomebody
            {
                // The vendor gave the phone to a contact another row is linked to: two people.
                var clash = old
                clash.skipped = .phoneClash(
                    "\(vendor) answered the create of CRM row \(key) (\(local.phone)) with its contact \(existing.id), which is linked to CRM row \(holder.localKey ?? "?"); both stay as they are until one of them changes"
                )
                items[index] = clash
                results[index] = .none
                continue
            }
            var item = decision.decideNewPair(
                localKey: key, local: local, localTime: old.localTime,
                remoteID: existing.id, remote: existing.contact, remoteTime: existing.updatedAt)
            item.linkID = old.linkID
            item.base = old.base
            item.remoteHash = existing.contact.contentHash
            item.reasons.append("the phone was already on \(vendor): linked to contact \(existing.id)")
            var result = RemoteResult.done(existing)
            if case .update = item.remoteWrite {
                result = await Self.send(item, key: idempotencyKey(item, journal: nil), to: remote)
                if case .done(nil) = result { result = .done(existing) }
            }
            items[index] = item
            results[index] = result
        }
    }

    /// A vendor whose create cannot set opt-in (SuperWaba starts every contact opted out)
    /// gets the CRM's opt-in in an update right after the create. If that update is refused,
    /// the link records the vendor's value, so the next cycle sends the opt-in again.
    private func setOptInAfterCreates(_ items: inout [PlanItem], _ results: inout [RemoteResult]) async
        -> SyncError?
    {
        guard !capabilities.createSetsOptIn, capabilities.writableFields.contains(.optIn) else { return nil }
        var fatal: SyncError?
        for index in items.indices {
            guard let created = items[index].remoteWrite?.created, created.optIn == .optedIn,
                case .done(let made?) = results[index], made.contact.optIn != .optedIn
            else { continue }
            guard fatal == nil else {
                // Not sent (the run is stopping): the link records the vendor's value, so the
                // next cycle sends the opt-in.
                items[index].merged?.optIn = made.contact.optIn
                continue
            }
            var target = made.contact
            target.optIn = .optedIn
            var update = items[index]
            update.remoteWrite = .update(id: made.id, from: made.contact, to: target)
            switch await Self.send(update, key: idempotencyKey(update, journal: nil), to: remote) {
            case .done(let patched?): results[index] = .done(patched)
            case .rejected(let error), .partly(_, let error):
                items[index].merged?.optIn = made.contact.optIn
                fatal = Self.fatal(error)
                report.notes.append(
                    "\(vendor) created \(created.phone) but refused its opt-in (\(error)); it is sent again next cycle"
                )
            default: break
            }
        }
        return fatal
    }

    /// A create of a row whose opt-in the CRM leaves unknown answers with the vendor's own
    /// default (SuperWaba: not opted in). That default is no answer of the person's, so the
    /// CRM keeps its unknown; the link records the default as agreed, so that neither side
    /// reads as changed until one of them really does.
    private func keepVendorDefaults(_ items: inout [PlanItem], _ results: [RemoteResult]) {
        guard !capabilities.createSetsOptIn else { return }
        for index in items.indices {
            guard items[index].remoteWrite?.created != nil, case .done(let made?) = results[index],
                items[index].merged?.optIn == nil
            else { continue }
            items[index].merged?.optIn = made.contact.optIn
        }
    }

    // MARK: - CRM

    private func applyLocalWrites(_ items: [PlanItem], _ results: [RemoteResult]) throws(SyncError) -> [Int:
        LocalWriteResult]
    {
        var writes: [(Int, LocalWrite)] = []
        for (index, item) in items.enumerated() where item.skipped == nil {
            switch results[index] {
            case .rejected, .partly, .notSent: continue
            default: break
            }
            if let write = item.crmWrite { writes.append((index, write)) }
        }
        guard !writes.isEmpty else { return [:] }
        let outcomes = try SyncEngine.storage { try crm.apply(writes.map(\.1), now: now()) }
        return Dictionary(uniqueKeysWithValues: zip(writes.map(\.0), outcomes))
    }

    // MARK: - State

    /// `--list-changes`: a line for what was done, written once it is done (a dry run
    /// lists its plan as it is made).
    private func listChange(_ item: PlanItem) {
        guard
            let line = PlanDescription.line(
                item, vendor: vendor, localFields: localFields, remoteFields: capabilities.writableFields)
        else { return }
        listChange(line)
    }

    private func listChange(_ line: String) {
        if options.listChanges && !options.dryRun { report.planLines.append(line) }
    }

    /// For an item whose CRM write did not happen (refused, or the row changed meanwhile):
    /// without a remote write there is nothing to record, and the next cycle decides the
    /// contact afresh against the same base (false). After one, the link must remember the
    /// vendor contact, with the CRM's fields as read as the agreed ones: the vendor's values
    /// are offered to the CRM again, and an edit the CRM made meanwhile reads as the CRM's
    /// change against what was sent, never as a conflict with syncd's own write.
    private func agreeOnTheRowAsRead(_ item: inout PlanItem, _ remoteContact: RemoteContact?) -> Bool {
        guard item.remoteAction != .none, remoteContact != nil || item.remoteAction == .delete,
            let merged = item.merged
        else { return false }
        item.merged = (item.local ?? merged).keeping(localFields, otherwise: merged)
        item.crmWrite = nil
        return true
    }

    private func record(
        _ items: [PlanItem], _ results: [RemoteResult], _ localResults: [Int: LocalWriteResult],
        _ journals: [Int: Int64]
    ) throws(SyncError) {
        try SyncEngine.storage {
            try state.transaction {
                for (index, item) in items.enumerated() {
                    if let journal = journals[index] { try state.clearJournal(id: journal) }
                    try record(item, results[index], localResults[index])
                }
            }
        }
    }

    private func record(_ planned: PlanItem, _ result: RemoteResult, _ localResult: LocalWriteResult?) throws
    {
        var item = planned
        let stamp = now()
        if let skipped = item.skipped {
            report.skip(skipped.category)
            if skipped.isWorthANote { report.notes.append("\(item.phone) skipped: \(skipped)") }
            listChange(item)
            guard let key = item.localKey else { return }
            try state.reject(
                side: skipped.isClash ? "clash" : "crm", ref: key, phone: item.phone,
                reason: skipped.description,
                at: stamp)
            switch skipped {
            case .duplicatePhone, .phoneClash:
                // Indexed by its phone, the row can take the link over if the row that holds
                // it is deleted, and holds its phone against vendor contacts meanwhile.
                if let local = item.local {
                    try state.index(
                        localKey: key, phone: local.phone.e164, hash: local.contentHash, problem: nil)
                }
            case .unreadableRow(let problem):
                // Indexed by the phone it still holds, the row keeps the vendor's copy of that
                // phone from being pulled in beside it, and its link's changes wait for it.
                try state.index(
                    localKey: key, phone: problem.phone, hash: Self.problemHash(problem.reason),
                    problem: problem.reason)
            case .heldByUnreadableRow: break
            }
            return
        }
        var remoteContact: RemoteContact?
        switch result {
        case .notSent:
            return
        case .rejected(let error), .partly(_, let error):
            // A write that went part of the way is recorded as refused: the next cycle reads
            // what the vendor holds now and sends only what is still missing.
            let applied = if case .partly = result { " (part of the update was applied)" } else { "" }
            report.rejected += 1
            let ref = item.localKey ?? item.remoteID ?? item.phone
            try state.reject(
                side: "remote", ref: ref, phone: item.merged?.phone.e164 ?? item.phone,
                reason: "\(error)\(applied)",
                at: stamp)
            report.notes.append(
                "\(vendor) refused \(item.merged?.phone.e164 ?? item.phone)\(applied): \(error)")
            listChange("\(item.phone): \(vendor) refused it\(applied) — \(error)")
            return
        case .done(let contact): remoteContact = contact
        case .existing(let contact): remoteContact = contact
        case .none: break
        }
        // The vendor's copy differs from the agreed one: the next listing compares it again.
        var recompare = false
        if localResult == .skippedChanged {
            report.notes.append("\(item.phone): the CRM row changed while syncing; it is taken up next cycle")
            listChange("\(item.phone): not written — the CRM row changed while syncing; next cycle")
            // The edit made meanwhile is the CRM's change against what was really sent.
            guard agreeOnTheRowAsRead(&item, remoteContact) else { return }
            recompare = true
        }
        if case .refused(let reason) = localResult {
            let phone = item.merged?.phone.e164 ?? item.phone
            report.refusedByCRM += 1
            report.notes.append(
                "the CRM refused \(phone)\(item.localKey.map { " (row \($0))" } ?? ""): \(reason)")
            try state.reject(
                side: "crm", ref: item.localKey ?? item.remoteID ?? phone, phone: phone,
                reason: "the CRM refused the write: \(reason)", at: stamp)
            listChange("\(phone): the CRM refused it — \(reason)")
            guard agreeOnTheRowAsRead(&item, remoteContact) else { return }
            recompare = true
        }
        var localKey = item.localKey
        if case .inserted(let key) = localResult { localKey = key }

        // An update that turned out to need no request did nothing.
        if case .update = item.remoteWrite, remoteContact == nil { item.remoteWrite = nil }
        report.tally(item)
        listChange(item)
        for conflict in item.conflicts {
            try state.logConflict(
                conflict, phone: item.merged?.phone.e164 ?? item.phone, runID: runID, at: stamp)
        }
        if let key = item.localKey {
            try state.clearRejection(side: "remote", ref: key)
            try state.clearRejection(side: "clash", ref: key)
            if localResult.map({ if case .refused = $0 { return false } else { return true } }) ?? true {
                try state.clearRejection(side: "crm", ref: key)
            }
        }

        if item.dropLink {
            if let id = item.linkID { try state.deleteLink(id: id) }
            if let key = localKey, item.local == nil || item.localAction == .delete {
                try state.unindex(localKey: key)
            }
            return
        }
        if item.linkID == nil && item.remoteID == nil && item.remoteAction == .none
            && item.localAction == .none
        {
            // An unlinked row deleted before it was synced.
            if let key = localKey { try state.unindex(localKey: key) }
            return
        }
        var remoteID = item.remoteID
        var remoteHash = item.remoteHash
        var remoteUpdatedAt = item.remoteTime
        if let remoteContact {
            if case .recreate(_, let old, _) = item.remoteWrite {
                report.notes.append(
                    "\(vendor) cannot change a phone: \(item.merged?.phone.e164 ?? "") is now contact \(remoteContact.id); the old contact \(old) is no longer synced"
                )
            }
            remoteID = remoteContact.id
            remoteHash =
                remoteContact.updatedAt == nil || recompare
                ? nil : remoteContact.contact.projected(onto: capabilities.listedFields).contentHash
            remoteUpdatedAt = remoteContact.updatedAt
        }
        let base = item.merged ?? item.base
        let phone = base?.phone.e164 ?? item.phone
        let link = Link(
            id: item.linkID ?? 0,
            localKey: item.linkState == .localDeleted ? nil : localKey,
            remoteID: item.linkState == .remoteDeleted ? nil : remoteID, phone: phone, base: base,
            remoteHash: remoteHash, remoteUpdatedAt: remoteUpdatedAt, state: item.linkState,
            listedItem: remoteContact == nil ? item.listedItem : nil)
        if let remoteID = link.remoteID, let holder = try state.link(remoteID: remoteID),
            holder.id != link.id,
            !holder.speaksForSomebody
        {
            // A contact left behind (a phone that could not change) or a tombstone: the row
            // that holds its phone again takes it over.
            try state.deleteLink(id: holder.id)
        } else if let remoteID = link.remoteID, let holder = try state.link(remoteID: remoteID),
            holder.id != link.id
        {
            // Two links for one vendor contact would be two people in one: reported, per contact.
            let what =
                "\(vendor) contact \(remoteID) is linked to CRM row \(holder.localKey ?? "?") already; CRM row \(link.localKey ?? "?") is not linked to it"
            report.skip("phone clash")
            report.notes.append("\(phone) skipped: phone clash: \(what)")
            if let key = link.localKey {
                try state.reject(
                    side: "clash", ref: key, phone: phone, reason: "phone clash: \(what)", at: stamp)
            }
            return
        }
        try state.save(link, at: stamp)
        if case .recreate(_, let old, let oldContact) = item.remoteWrite, remoteContact != nil {
            try state.save(
                Link(
                    localKey: nil, remoteID: old, phone: oldContact.phone.e164, base: oldContact,
                    remoteHash: item.remoteHash, remoteUpdatedAt: nil, state: .detached), at: stamp)
        }
        if let key = link.localKey, let base {
            // What the row holds now: as read, unless syncd wrote it.
            let local = ((item.crmWrite == nil ? item.local : nil) ?? base).projected(onto: localFields)
            try state.index(localKey: key, phone: local.phone.e164, hash: local.contentHash, problem: nil)
        } else if let key = item.localKey, link.localKey == nil {
            try state.unindex(localKey: key)
        }
    }
}
