/// Walks a listing paged by number, for every vendor that pages that way.
///
/// Page numbers start at 0 (Qlara) or 1 (Waply, SuperWaba). The first page tells the total
/// where the vendor reports one; the remaining pages are then fetched `concurrency` at a time,
/// and pages past the first total are read one by one until an empty page (contacts added
/// while listing). Without a total, pages are read one by one while the vendor says there is
/// a next one.
struct Pager: Sendable {
    /// One page as the vendor answered it.
    struct Answer: Sendable {
        var page: RemotePage
        /// Items on the page, usable or not.
        var count: Int
        /// Contacts in the whole listing, when the vendor says.
        var total: Int?
        /// Whether there is a next page, when the vendor says so instead of a total.
        var hasNext: Bool?
    }

    let firstPage: Int
    let pageSize: Int
    let concurrency: Int

    /// Pages as they arrive, in any order, from the `start`th page on (counted from 0), each
    /// numbered the same way.
    func pages(from start: Int = 0, _ fetch: @escaping @Sendable (Int) async throws -> Answer)
        -> RemotePages
    {
        let first = firstPage
        let size = pageSize
        let numbered: @Sendable (Int) async throws -> Answer = { number in
            var answer = try await fetch(number)
            answer.page.number = number - first
            if let total = answer.total { answer.page.pageCount = max(1, (total + size - 1) / size) }
            return answer
        }
        // Up to 10,000 contacts (at least as many pages as are on the wire) wait unread: the
        // listing goes on while the reader is busy with something else for a moment (loading
        // its links at the start), without piling a big book up in memory.
        return RemotePages(ahead: max(1, concurrency, 10_000 / max(1, size))) { yield in
            try await walk(from: first + max(0, start), numbered, yield: yield)
        }
    }

    private func walk(
        from start: Int, _ fetch: @escaping @Sendable (Int) async throws -> Answer,
        yield: @Sendable (RemotePage) async -> Void
    ) async throws {
        let first = try await fetch(start)
        await yield(first.page)
        guard let total = first.total else {
            var answer = first
            var number = start + 1
            while answer.hasNext == true && answer.count > 0 {
                answer = try await fetch(number)
                await yield(answer.page)
                number += 1
            }
            return
        }
        let knownPages = max(1, (total + pageSize - 1) / pageSize)
        if firstPage + knownPages - 1 > start {
            try await withThrowingTaskGroup(of: RemotePage.self) { group in
                var next = start + 1
                let last = firstPage + knownPages - 1
                func launch() {
                    guard next <= last else { return }
                    let number = next
                    group.addTask { try await fetch(number).page }
                    next += 1
                }
                for _ in 0..<max(1, concurrency) { launch() }
                // When one page fails (the budget defers the cycle, say), the pages already
                // on the wire are still taken: a listing that goes on later need not ask again.
                var failure: (any Error)?
                while true {
                    do {
                        guard let page = try await group.next() else { break }
                        await yield(page)
                        if failure == nil { launch() }
                    } catch {
                        failure = failure ?? error
                    }
                }
                if let failure { throw failure }
            }
        }
        var number = max(start + 1, firstPage + knownPages)
        var latestTotal = total
        while (number - firstPage) * pageSize < latestTotal {
            let extra = try await fetch(number)
            if extra.count == 0 { break }
            await yield(extra.page)
            latestTotal = extra.total ?? latestTotal
            number += 1
        }
    }
}
