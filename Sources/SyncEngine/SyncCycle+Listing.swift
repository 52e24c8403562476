import Configuration
import ContactModel
import Foundation
import LocalStore
import RemoteAPI

/// Reading the vendor's side into the state file, page by page.
extension SyncCycle {
    /// Streams the listing into the snapshot table as pages arrive, so memory holds a few
    /// pages at most. A listing that shows a contact twice is not trusted.
    func listRemote() async throws(SyncError) {
        var newest: Timestamp?
        var oldest: Timestamp?
        do {
            for try await page in remote.listAll() {
                // Hashing and serializing happen here, page by page, as pages arrive.
                let rows = page.contacts.map {
                    snapshotRow($0, partial: listsPartially)
                }
                try state.storeSnapshot(rows)
                report.pulled += rows.count
                for unusable in page.unusable {
                    report.skip("\(vendor) contact without a usable phone")
                    report.notes.append("\(vendor) contact \(unusable.id) skipped: \(unusable.reason)")
                }
                for stamp in page.contacts.compactMap(\.updatedAt) {
                    newest = max(newest ?? stamp, stamp)
                    oldest = min(oldest ?? stamp, stamp)
                }
            }
            let distinct = try state.snapshotCount()
            if distinct < report.pulled {
                throw SyncError(
                    .listing,
                    "the \(vendor) listing showed \(report.pulled - distinct) contact(s) twice; it changed while being read, so this cycle applies nothing (the next one lists again)"
                )
            }
        } catch let error as SyncError {
            throw error
        } catch let error as RemoteError {
            throw SyncEngine.remoteError(error)
        } catch {
            throw SyncEngine.storageError(error)
        }
        if case .recentWindow(let size) = capabilities.listing {
            try noteFeedOverflow(window: size, newest: newest, oldest: oldest)
        }
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
        var missing: [String] = []
        try SyncEngine.storage {
            try state.forEachLinkMissingFromSnapshot { if let id = $0.remoteID { missing.append(id) } }
        }
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
        if let failure { throw SyncEngine.remoteError(failure) }
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
                        localKey: localKey, remoteID: found.remoteID, phone: entry.phone, base: nil,
                        remoteHash: nil, remoteUpdatedAt: nil), at: now())
                report.notes.append(
                    "recovered an interrupted create of \(entry.phone): linked to \(vendor) contact \(found.remoteID)"
                )
            }
        }
    }
}
