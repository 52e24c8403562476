import Synchronization

/// A listing's pages as they arrive, read at the reader's pace: the lister stays at most
/// `ahead` unread pages in front, so a reader slower than the network (hashing, SQLite) does
/// not pile a whole book up in memory.
public struct RemotePages: AsyncSequence, Sendable {
    public typealias Element = RemotePage

    private let stream: AsyncThrowingStream<RemotePage, any Error>
    private let flow: Flow

    /// Pages that `produce` hands to its `yield`, which waits while `ahead` pages lie unread.
    /// The producer is cancelled when the reader stops reading.
    public init(
        ahead: Int,
        _ produce: @escaping @Sendable (_ yield: @Sendable (RemotePage) async -> Void) async throws -> Void
    ) {
        let flow = Flow(ahead: Swift.max(1, ahead))
        self.flow = flow
        stream = AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await produce { page in
                        continuation.yield(page)
                        await flow.sent()
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
                flow.close()
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), flow: flow)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<RemotePage, any Error>.Iterator
        let flow: Flow

        public mutating func next() async throws -> RemotePage? {
            let page = try await base.next()
            if page != nil { flow.taken() }
            return page
        }
    }

    /// Counts pages sent and not yet read; holds the sender while too many are.
    final class Flow: Sendable {
        private struct State {
            var unread = 0
            var closed = false
            var waiting: CheckedContinuation<Void, Never>?
        }
        private let ahead: Int
        private let state = Mutex(State())

        init(ahead: Int) { self.ahead = ahead }

        func sent() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { state -> Bool in
                    state.unread += 1
                    guard state.unread > ahead, !state.closed else { return false }
                    state.waiting = continuation
                    return true
                }
                if !wait { continuation.resume() }
            }
        }

        func taken() {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.unread -= 1
                guard state.unread <= ahead else { return nil }
                defer { state.waiting = nil }
                return state.waiting
            }
            waiter?.resume()
        }

        /// The reader is gone: nothing waits any more.
        func close() {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.closed = true
                defer { state.waiting = nil }
                return state.waiting
            }
            waiter?.resume()
        }
    }
}
