import JSON

extension ContactsSimulator {
    /// Seeds `count` generated contacts when the store is empty (a restarted emulator with a
    /// state file keeps what it had); returns how many were added.
    @discardableResult
    public func seedIfEmpty(count: Int, seed: UInt64? = nil) -> Int {
        withState { state in
            guard state.store.count == 0 else { return 0 }
            let added = state.seed(count: count, seed: seed)
            try? state.save()
            return added
        }
    }
}
