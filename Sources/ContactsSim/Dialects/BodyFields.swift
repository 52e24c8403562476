import ContactModel
import JSON

/// Typed reads of a request body's members, failing with the dialect's validation status and
/// a message that names the member.
struct BodyFields {
    let object: JSONObject
    /// 400 for most dialects, 422 for Waply.
    let invalidStatus: Int

    func has(_ key: String) -> Bool { object[key] != nil }

    /// `nil` when absent, `.some(nil)` when null.
    func string(_ key: String) throws(VendorError) -> String?? {
        guard let value = object[key] else { return .none }
        if value.isNull { return .some(nil) }
        guard let text = value.string else { throw invalid(key, "must be a string") }
        return .some(text)
    }

    func bool(_ key: String) throws(VendorError) -> Bool? {
        guard let value = object[key] else { return nil }
        guard let flag = value.bool else { throw invalid(key, "must be true or false") }
        return flag
    }

    func stringArray(_ key: String) throws(VendorError) -> [String]? {
        guard let value = object[key] else { return nil }
        guard let items = value.array, items.allSatisfy({ $0.string != nil }) else {
            throw invalid(key, "must be an array of strings")
        }
        return items.compactMap(\.string)
    }

    func intArray(_ key: String) throws(VendorError) -> [Int]? {
        guard let value = object[key] else { return nil }
        guard let items = value.array, items.allSatisfy({ $0.int != nil }) else {
            throw invalid(key, "must be an array of integers")
        }
        return items.compactMap(\.int)
    }

    /// A string map; a member set to `null` comes back as `nil` (a removal, where allowed).
    func stringMap(_ key: String, allowNull: Bool) throws(VendorError) -> [String: String?]? {
        guard let value = object[key] else { return nil }
        guard let members = value.object else { throw invalid(key, "must be an object") }
        var map: [String: String?] = [:]
        for (name, member) in members {
            if member.isNull && allowNull {
                map[name] = .some(nil)
            } else if let text = member.string {
                map[name] = text
            } else {
                throw invalid("\(key).\(name)", "must be a string")
            }
        }
        return map
    }

    /// A strict E.164 phone, as most vendors want it.
    func e164(_ key: String) throws(VendorError) -> String?? {
        guard let raw = try string(key) else { return .none }
        guard let raw else { return .some(nil) }
        guard let phone = PhoneNumber(e164: raw) else {
            throw VendorError(
                invalidStatus, "invalid_phone", "\(key) must be an E.164 phone number such as +14155552671")
        }
        return .some(phone.e164)
    }

    func invalid(_ key: String, _ problem: String) -> VendorError {
        VendorError(invalidStatus, "validation_error", "\(key) \(problem)")
    }
}

extension String {
    /// A loose shape check: something, an `@`, something with a dot.
    var looksLikeEmail: Bool {
        let parts = split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !contains(" ")
    }
}

extension Dictionary where Key == String, Value == String {
    /// Merges `changes` key by key; a `nil` value removes the key.
    mutating func merge(_ changes: [String: String?]) {
        for (key, value) in changes { self[key] = value }
    }
}

/// Reads paging parameters the way each vendor does.
struct Paging {
    let page: Int
    let limit: Int

    /// `firstPage` is 1 (most) or 0 (Qlara); limits above `maximum` are clamped.
    init(
        _ query: some Sequence<(name: String, value: String)>, firstPage: Int, defaultLimit: Int,
        maximum: Int, invalidStatus: Int
    ) throws(VendorError) {
        var page = firstPage
        var limit = defaultLimit
        for (name, value) in query {
            if name == "page" {
                guard let number = Int(value), number >= firstPage else {
                    throw VendorError(
                        invalidStatus, "validation_error", "page must be a whole number from \(firstPage)")
                }
                page = number
            } else if name == "limit" {
                guard let number = Int(value), number >= 1 else {
                    throw VendorError(
                        invalidStatus, "validation_error", "limit must be a whole number from 1")
                }
                limit = min(number, maximum)
            }
        }
        self.page = page
        self.limit = limit
    }

    /// The slice of `keys` this page shows.
    func slice(_ keys: [Int], firstPage: Int) -> ArraySlice<Int> {
        let start = (page - firstPage) * limit
        guard start < keys.count else { return [] }
        return keys[start..<min(keys.count, start + limit)]
    }
}
