import Foundation
import JSON
import Synchronization

/// Qlara's contact lists, which stand in for tags: a local tag is the list of the same name.
///
/// Read once a cycle. List names are not unique on Qlara (a create whose answer was lost can
/// leave twins), so the oldest list of a name (lowest id) is the one; a list is created only
/// when, read again just before, no list of that name exists — never a third twin.
final class QlaraLists: Sendable {
    private struct Directory {
        var names: [Int: String] = [:]
        var ids: [String: Int] = [:]
        var loaded = false

        /// Every list of a name, oldest first.
        func all(named name: String) -> [Int] { names.filter { $0.value == name }.keys.sorted() }
    }

    private let directory = Mutex(Directory())
    /// Creates run one at a time, so two contacts with a new tag never make two lists.
    private let creating = AsyncLock()

    /// The tags a contact's list ids stand for; `nil` when an id is not a list syncd knows.
    func tags(for listIDs: [Int]) -> [String]? {
        directory.withLock { directory in
            var tags: [String] = []
            for id in listIDs {
                guard let name = directory.names[id] else { return nil }
                tags.append(name)
            }
            return tags
        }
    }

    /// The list standing for `tag`, if there is one.
    func id(of tag: String) -> Int? { directory.withLock { $0.ids[tag] } }

    /// Every list named `tag` (twins included), oldest first: a contact may be in any of them,
    /// so losing the tag means leaving all of them.
    func ids(named tag: String) -> [Int] { directory.withLock { $0.all(named: tag) } }

    var isLoaded: Bool { directory.withLock { $0.loaded } }

    /// Reads every list (1,000 a page).
    func load(_ fetch: (Int) async throws(RemoteError) -> (lists: [(id: Int, name: String)], totalPages: Int))
        async throws(RemoteError)
    {
        var names: [Int: String] = [:]
        var page = 0
        while true {
            let answer = try await fetch(page)
            for list in answer.lists { names[list.id] = list.name }
            page += 1
            if page >= answer.totalPages || answer.lists.isEmpty { break }
        }
        var ids: [String: Int] = [:]
        for (id, name) in names.sorted(by: { $0.key < $1.key }) where ids[name] == nil { ids[name] = id }
        directory.withLock { $0 = Directory(names: names, ids: ids, loaded: true) }
    }

    /// The list for `tag`, created when no list of that name exists (after reading the lists
    /// again, in case an earlier create's answer was lost).
    func ensure(
        _ tag: String, reload: () async throws(RemoteError) -> Void,
        create: (String) async throws(RemoteError) -> Int
    ) async throws(RemoteError) -> Int {
        if let id = id(of: tag) { return id }
        await creating.lock()
        defer { creating.unlock() }
        if let id = id(of: tag) { return id }
        try await reload()
        if let id = id(of: tag) { return id }
        let id: Int
        do {
            id = try await create(tag)
        } catch .outcomeUnknown(let problem) {
            // The list may have been made: read the lists again rather than make a twin.
            try await reload()
            guard let made = self.id(of: tag) else { throw .outcomeUnknown(problem) }
            return made
        }
        directory.withLock { directory in
            directory.names[id] = tag
            if directory.ids[tag] == nil { directory.ids[tag] = id }
        }
        return id
    }
}

/// A lock an async task can wait for without blocking a thread.
final class AsyncLock: Sendable {
    private let state = Mutex<(locked: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func lock() async {
        await withCheckedContinuation { continuation in
            let acquired = state.withLock { state -> Bool in
                if !state.locked {
                    state.locked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
