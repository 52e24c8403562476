import Configuration
import ContactModel
import Foundation
import LocalStore
import RemoteAPI

/// Reading the vendor's side into the state file, page by page.
extension SyncCycle {
    /// Reads the listing page by page as pages arrive, comparing each contact with what was
    /// last synced: a listed item byte for byte the one its link was synced from is not even
    /// decoded; one that decodes to what was synced costs a hash comparison (and its item is
    /// remembered for next time); only what changed (or is new) goes to the snapshot table.
    /// A listing the request budget cuts short is kept — its place, what it found, the ids it
    /// saw — and the next cycle goes on from there. A listing that shows a contact twice is
    /// not trusted; one that goes on promising pages (its `total`, its `hasNext`) while a whole
    /// page holds nothing it has not already shown is stopped there, however much it promises.
    func listRemote() async throws(SyncError) {
        var newest: Timestamp?
        var oldest: Timestamp?
        let key = "\(vendor):\(configuration.remote.baseURL)"
        var start = 0
        var startedAt = now()
        var duplicates = 0
        var seen: [String: Int] = [:]
        do {
            let earliest = Timestamp(
                millisecondsSinceEpoch: now().millisecondsSinceEpoch - Self.listingLifetime)
            if let resumed = try state.resumeListing(key: key, startedAfter: earliest) {
                (start, startedAt, seen) = (resumed.nextPage, resumed.startedAt, resumed.seen)
                report.notes.append(
                    "went on with the \(vendor) listing from page \(start + 1), where an earlier cycle stopped"
                )
            }
        } catch {
            throw SyncEngine.storageError(error)
        }
        // The first pages are on their way while the linked contacts load.
        let pages = remote.listAll(from: start)
        do {
            try state.forEachLinkedRemote { id, linkID, hash, updatedAt, listedItem in
                linkedRemote.add(
                    id: id, linkID: linkID, hash: hash, updatedAt: updatedAt, listedItem: listedItem)
            }
            guard linkedRemote.seal() else {
                throw SyncError(.listing, "two linked \(vendor) ids share a fingerprint; nothing is applied")
            }
            for (id, page) in seen { _ = markListed(id, page: page) }
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncEngine.storageError(error)
        }
        var done = Set<Int>()
        var contiguous = start
        var unusableSeen = Set<String>()
        do {
            for try await page in pages {
                let number = page.number ?? 0
                let repeatsBefore = duplicates
                let (contacts, unusable) = try decodeChanged(page, number: number, duplicates: &duplicates)
                var rows: [SnapshotRow] = []
                var matches: [ListedItemMatch] = []
                for (contact, listedItem) in contacts {
                    let (firstTime, known) = markListed(contact.id, page: number)
                    if !firstTime { duplicates += 1 }
                    var row = snapshotRow(contact, partial: listsPartially)
                    if let known, isUnchanged(row, known) {
                        if let listedItem, listedItem != known.listedItem {
                            matches.append(
                                ListedItemMatch(
                                    linkID: known.linkID, fingerprint: listedItem, hash: known.hash,
                                    updatedAt: known.updatedAt))
                        }
                        continue
                    }
                    row.page = page.number
                    row.listedItem = listedItem
                    rows.append(row)
                }
                let unusableRepeats = unusable.filter { $0.id != "?" && !unusableSeen.insert($0.id).inserted }
                    .count
                let items = page.contacts.count + (page.listed?.count ?? 0) + page.unusable.count
                if items > 0 && duplicates - repeatsBefore + unusableRepeats >= items {
                    throw SyncError(
                        .listing,
                        "the \(vendor) listing repeats itself (page \(number + 1) shows only contacts it had already shown, and it promises more): it cannot be trusted, so this cycle applies nothing"
                    )
                }
                try state.storeSnapshot(rows)
                if !options.dryRun { try state.recordListedItems(matches) }
                report.pulled += contacts.count
                if let number = page.number {
                    done.insert(number)
                    while done.contains(contiguous) { contiguous += 1 }
                }
                listedPages = page.pageCount ?? listedPages
                for unusable in unusable {
                    report.skip("\(vendor) contact without a usable \(unusable.flaw == .id ? "id" : "phone")")
                    report.notes.append("\(vendor) contact \(unusable.id) skipped: \(unusable.reason)")
                }
                // (Vendors that list a recent window decode every item, so no stamp is missed.)
                for stamp in contacts.compactMap(\.contact.updatedAt) {
                    newest = max(newest ?? stamp, stamp)
                    oldest = min(oldest ?? stamp, stamp)
                }
            }
            // A stopped cycle's listing just ends: it is not a whole listing.
            if Task.isCancelled { throw SyncError(.interrupted, "the cycle was stopped while listing") }
            if duplicates > 0 {
                throw SyncError(
                    .listing,
                    "the \(vendor) listing showed \(duplicates) contact(s) twice; it changed while being read, so this cycle applies nothing (the next one lists again)"
                )
            }
            if !options.dryRun { try state.clearListing() }
            listedInFull = (key, contiguous, startedAt)
        } catch let error as SyncError {
            if !options.dryRun { try? state.clearListing() }
            throw error
        } catch let error as RemoteError {
            if case .deferred = error, !options.dryRun, contiguous > 0 {
                // Cut short by the budget: the next cycle goes on from the first page not read.
                try? state.saveListing(
                    key: key, fromPage: start, nextPage: contiguous,
                    seen: try listed(pages: start..<contiguous),
                    startedAt: startedAt)
                listingStopped = (contiguous, listedPages)
            }
            throw SyncEngine.remoteError(error)
        } catch {
            throw SyncEngine.storageError(error)
        }
        if case .recentWindow(let size) = capabilities.listing {
            try noteFeedOverflow(window: size, newest: newest, oldest: oldest)
        }
    }

    /// The page's contacts to compare with their links, each with the fingerprint of the
    /// item it was decoded from, and the items syncd cannot use. A listed item byte for byte
    /// the one its link was last synced from is only noted as listed (the id finds the
    /// candidate; the fingerprint settles it).
    private func decodeChanged(_ page: RemotePage, number: Int, duplicates: inout Int) throws(RemoteError)
        -> (
            contacts: [(contact: RemoteContact, listedItem: Int64?)], unusable: [UnusableRemoteContact]
        )
    {
        var contacts = page.contacts.map { (contact: $0, listedItem: Int64?.none) }
        var unusable = page.unusable
        guard let listed = page.listed else { return (contacts, unusable) }
        let keys = (0..<listed.count).map { item in listed.withID(item) { $0.map(KnownRemotes.key) } }
        for (item, known) in linkedRemote.indices(of: keys).enumerated() {
            if let known, let fingerprint = linkedRemote[known].listedItem,
                fingerprint == listed.fingerprint(item)
            {
                if !markListed(at: known, page: number) { duplicates += 1 }
                report.pulled += 1
                continue
            }
            switch try listed.decode(item) {
            case .success(let contact): contacts.append((contact, listed.fingerprint(item)))
            case .failure(let reason): unusable.append(reason)
            }
        }
        return (contacts, unusable)
    }

    /// Notes that the listing showed `id` on `page`: whether this is the first time, and
    /// what syncd last synced for it when it is linked.
    private func markListed(_ id: String, page: Int) -> (firstTime: Bool, known: KnownRemote?) {
        if let index = linkedRemote.index(of: id) {
            return (markListed(at: index, page: page), linkedRemote[index])
        }
        return (listedUnlinked.updateValue(page, forKey: id) == nil, nil)
    }

    /// Notes that the listing showed the linked contact at `index`; whether for the first time.
    private func markListed(at index: Int, page: Int) -> Bool {
        let firstTime = linkedRemote[index].listedOnPage == nil
        linkedRemote[index].listedOnPage = page
        return firstTime
    }

    /// The ids the listing showed on `pages`, with their page (to keep a listing cut short).
    private func listed(pages: Range<Int>) throws -> [String: Int] {
        var ids = listedUnlinked.filter { pages.contains($0.value) }
        let links = linkedRemote.listed(pages: pages)
        for (linkID, id) in try state.remoteIDs(linkIDs: Array(links.keys)) { ids[id] = links[linkID] }
        return ids
    }

    /// How long a listing cut short stays worth going on with (older: list again).
    static let listingLifetime: Int64 = 24 * 3600 * 1000

    /// Whether a listed contact is what syncd last synced: its hash (over the listed fields)
    /// and, where list items lack fields a read has, its `updatedAt` too.
    private func isUnchanged(_ row: SnapshotRow, _ known: KnownRemote) -> Bool {
        guard known.hash == row.hash else { return false }
        guard row.partial && needsDetails else { return true }
        if let updated = known.updatedAt { return updated == row.updatedAt?.millisecondsSinceEpoch }
        return row.unchangedSinceCreated
    }

    /// A vendor that lists only the `window` most recently updated contacts (SendyStack's
    /// 500): every change since the last look is there unless more than `window` changed,
    /// which shows when even the oldest listed contact is newer than the newest seen last
    /// time. That cannot be caught up.
    private func noteFeedOverflow(window: Int, newest: Timestamp?, oldest: Timestamp?) throws(SyncError) {
        let key = "remote_newest_seen"
        if let previous = state.meta(key).flatMap(Timestamp.init(iso8601:)), let oldest,
            report.pulled >= window,
            oldest > previous
        {
            report.notes.append(
                "more than \(window) contacts changed on \(vendor) since the last cycle; \(vendor) lists only the \(window) most recent, so some remote edits were not seen. Run syncd more often (sync.interval_seconds)."
            )
        }
        if let newest, !options.dryRun {
            try SyncEngine.storage { try state.setMeta(key, newest.iso8601(fractionalSeconds: true)) }
        }
    }

    /// A linked contact the listing did not show is read directly: only a "not found" from
    /// the vendor counts as a deletion (listings shift while contacts change). What the reads
    /// find joins the snapshot; what they do not is marked gone, for planning.
    func readMissingFromListing() async throws(SyncError) {
        // Linked contacts the listing did not show (the snapshot holds only what changed).
        let missing = try SyncEngine.storage { try state.remoteIDs(linkIDs: linkedRemote.unlisted()) }.values
            .sorted()
        for id in missing {
            let fetched: RemoteContact?
            do {
                fetched = try await remote.fetch(id: id)
            } catch {
                throw SyncEngine.remoteError(error)
            }
            try SyncEngine.storage {
                if let fetched {
                    try state.storeSnapshot([snapshotRow(fetched)])
                } else {
                    try state.markGone(remoteID: id)
                }
            }
        }
    }

    /// List items that lack fields the CRM maps (SuperWaba's params) are completed by a read
    /// of the contact — only for contacts new to syncd or changed since it last synced them,
    /// so a quiet cycle costs its list pages alone.
    func readDetails() async throws(SyncError) {
        guard listsPartially && needsDetails else { return }
        let ids = try SyncEngine.storage { try state.partialSnapshotsToRead() }
        let remote = self.remote
        let limit = max(1, configuration.remote.concurrency)
        var failure: RemoteError?
        await withTaskGroup(of: Result<RemoteContact?, RemoteError>.self) { group in
            var next = 0
            func launch() {
                guard next < ids.count, failure == nil else { return }
                let id = ids[next]
                next += 1
                group.addTask {
                    do throws(RemoteError) { return .success(try await remote.fetch(id: id)) } catch {
                        return .failure(error)
                    }
                }
            }
            for _ in 0..<limit { launch() }
            while let result = await group.next() {
                switch result {
                case .success(let contact?):
                    if (try? state.storeReadInFull([snapshotRow(contact)])) == nil {
                        failure = .unavailable("storing \(contact.id)")
                    }
                case .success(nil): break  // gone since it was listed: the next cycle confirms it
                case .failure(let error): failure = failure ?? error
                }
                launch()
            }
        }
        if let failure {
            if case .deferred = failure { try keepListingForDetails() }
            throw SyncEngine.remoteError(failure)
        }
    }

    /// Keeps a whole listing and the details read so far (their rows are marked read in
    /// full), so the next stretch only reads the details still missing.
    private func keepListingForDetails() throws(SyncError) {
        guard let listed = listedInFull, !options.dryRun else { return }
        try SyncEngine.storage {
            try state.saveListing(
                key: listed.key, fromPage: 0, nextPage: listed.pages,
                seen: try self.listed(pages: 0..<listed.pages),
                startedAt: listed.startedAt)
        }
        listingStopped = (listed.pages, listedPages)
    }

    /// For a push cycle: the current remote copy of each linked contact the CRM changed, read
    /// one by one. A contact the vendor no longer has is left for the next full cycle, which
    /// confirms deletions.
    func readTouchedRemoteContacts() async throws(SyncError) {
        var touched: [String] = []
        try SyncEngine.storage {
            try state.forEachLocalChange { _, link in
                if let id = link?.remoteID, link?.state == .linked { touched.append(id) }
            }
        }
        for id in touched {
            let contact: RemoteContact?
            do {
                contact = try await remote.fetch(id: id)
            } catch {
                throw SyncEngine.remoteError(error)
            }
            guard let contact else { continue }
            try SyncEngine.storage {
                try state.storeSnapshot([
                    snapshotRow(contact)
                ])
            }
        }
    }

    /// What a recovered create agreed on: the contact as syncd meant to create it. Where the
    /// vendor's create cannot set opt-in, a contact untouched since its create holds the
    /// vendor's default, not the person's answer: that default is taken as agreed, so the
    /// CRM's opt-in goes out as a change. One changed since (a STOP, perhaps) keeps the opt-in
    /// syncd meant, so the vendor's value reads as the vendor's change, and an opt-out wins.
    private func recoveredBase(_ intended: Contact?, found: SnapshotRow) -> Contact? {
        guard var base = intended else { return nil }
        if !capabilities.createSetsOptIn && found.unchangedSinceCreated { base.optIn = found.contact.optIn }
        return base
    }

    /// Remote creates a crashed run sent but never recorded: linked now by phone if the
    /// vendor has the contact, otherwise forgotten (the row is planned afresh).
    func recoverJournal() throws(SyncError) {
        try SyncEngine.storage {
            for entry in try state.pendingJournal() {
                defer { try? state.clearJournal(id: entry.id) }
                guard entry.kind == .create, let localKey = entry.localKey,
                    try state.link(localKey: localKey) == nil
                else { continue }
                let candidates = try state.snapshots(phone: entry.phone).filter {
                    (try? state.link(remoteID: $0.remoteID)) == nil
                }
                guard let found = candidates.first else { continue }
                try state.save(
                    Link(
                        localKey: localKey, remoteID: found.remoteID, phone: entry.phone,
                        base: recoveredBase(entry.contact, found: found), remoteHash: nil,
                        remoteUpdatedAt: nil),
                    at: now())
                report.notes.append(
                    "recovered an interrupted create of \(entry.phone): linked to \(vendor) contact \(found.remoteID)"
                )
            }
        }
    }
}
