import ContactModel

/// One create, for every vendor that creates a contact a request: a lost answer or a
/// duplicate phone is resolved by looking the phone up (the contact may exist by now), never
/// by posting blindly again. Three lost answers in a row, and nothing found, end it.
enum CreateByPhone {
    static func run(
        _ what: String, phone: PhoneNumber, duplicateStatuses: Set<Int> = [409],
        send: () async throws(RemoteError) -> RemoteResponse,
        find: (PhoneNumber) async throws(RemoteError) -> RemoteContact?,
        created: (RemoteResponse) async throws(RemoteError) -> RemoteContact
    ) async throws(RemoteError) -> CreateOutcome {
        var lastProblem = ""
        for _ in 0..<3 {
            let response: RemoteResponse
            do {
                response = try await send()
            } catch .outcomeUnknown(let problem) {
                if let found = try await find(phone) { return .created(found) }
                lastProblem = problem
                continue
            }
            // A duplicate phone — or, on some accounts, a validation error: only a contact
            // found by the phone makes it a duplicate.
            if duplicateStatuses.contains(response.status), let existing = try await find(phone) {
                return .existing(existing)
            }
            return .created(try await created(response))
        }
        throw .unavailable(
            "\(what) for \(phone): the answer was lost three times (last: \(lastProblem)), and the contact was not found by its phone"
        )
    }
}
