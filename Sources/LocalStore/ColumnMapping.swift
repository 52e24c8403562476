import Configuration
import ContactModel
import Foundation
import JSON
import SQLite

/// Translates between CRM column values and the contact model, as the config's `local`
/// section says: tags as a JSON array or a comma list, attributes as a JSON object, opt-in as
/// 1, 0 or NULL, `updated_at` as ISO 8601 text or Unix seconds or milliseconds (written back
/// in the form the column's own values have: `CRMConventions`).
struct ColumnMapping: Sendable {
    let settings: LocalSettings
    /// The phone column has numeric affinity (INTEGER, REAL, NUMERIC): phones are read from
    /// the digits it holds and written back as a number, so the column keeps its own type.
    var phoneIsNumeric = false

    /// The mapped columns in a fixed order, as selected after the key.
    var selectedColumns: [String] {
        let columns = settings.columns
        return [
            columns.phone, columns.name, columns.email, columns.country, columns.tags, columns.attributes,
            columns.optIn, columns.updatedAt,
        ].compactMap { $0 }
    }

    /// Reads a row selected as `key, selectedColumns...`.
    func read(_ row: Row) -> LocalRow {
        let key = row.string(0) ?? ""
        var index = 1
        func next(_ column: String?) -> DatabaseValue? {
            guard column != nil else { return nil }
            defer { index += 1 }
            return row[index]
        }
        let columns = settings.columns
        let phoneValue = next(columns.phone)
        let nameValue = next(columns.name)
        let emailValue = next(columns.email)
        let countryValue = next(columns.country)
        let tagsValue = next(columns.tags)
        let attributesValue = next(columns.attributes)
        let optInValue = next(columns.optIn)
        let updatedValue = next(columns.updatedAt)
        let updatedAt = updatedValue.flatMap(Self.timestamp)
        let unreadableTime = updatedAt == nil && updatedValue?.isNull == false ? updatedValue?.string : nil
        let rawPhone = phoneValue.flatMap(Self.storedDigits) ?? phoneValue?.string
        func fail(_ kind: LocalRowProblem.Kind, _ reason: String, phone: PhoneNumber? = nil) -> LocalRow {
            LocalRow(
                key: key,
                contact: .failure(LocalRowProblem(kind, reason, rawPhone: rawPhone, phone: phone?.e164)),
                updatedAt: updatedAt,
                unreadableUpdatedAt: unreadableTime)
        }
        guard let rawPhone, !rawPhone.trimmingCharacters(in: .whitespaces).isEmpty else {
            return fail(.noPhone, "no phone")
        }
        let phone: PhoneNumber
        var droppedExtension: String?
        do {
            if let digits = phoneValue.flatMap(Self.storedDigits) {
                phone = try PhoneNumber.fromStoredDigits(digits, defaultCountry: settings.defaultCountry)
            } else {
                let typed = try PhoneNumber.read(rawPhone, defaultCountry: settings.defaultCountry)
                phone = typed.number
                droppedExtension = typed.droppedExtension
            }
        } catch {
            return fail(.invalidPhone, "invalid phone '\(rawPhone)': \(error)")
        }
        var contact = Contact(phone: phone)
        contact.name = Self.text(nameValue)
        contact.email = Self.text(emailValue)
        contact.country = Self.text(countryValue)?.uppercased()
        switch tags(tagsValue) {
        case .success(let tags): contact.tags = tags
        case .failure(let problem): return fail(problem.kind, problem.reason, phone: phone)
        }
        switch Self.attributes(attributesValue) {
        case .success(let attributes): contact.attributes = attributes
        case .failure(let problem): return fail(problem.kind, problem.reason, phone: phone)
        }
        switch Self.optIn(optInValue) {
        case .success(let optIn): contact.optIn = optIn
        case .failure(let problem): return fail(problem.kind, problem.reason, phone: phone)
        }
        var row = LocalRow(
            key: key, contact: .success(contact), updatedAt: updatedAt, unreadableUpdatedAt: unreadableTime)
        row.droppedExtension = droppedExtension
        return row
    }

    // MARK: - Values in

    /// The digits of a phone SQLite holds as a number (a column with numeric affinity turns
    /// `+14155550100` into 14155550100); `nil` for text.
    static func storedDigits(_ value: DatabaseValue) -> String? {
        switch value {
        case .integer(let number) where number > 0: return String(number)
        case .real(let number)
        where number.isFinite && number > 0 && number < 1e15 && number.rounded() == number:
            return String(Int64(number))
        default: return nil
        }
    }

    static func text(_ value: DatabaseValue?) -> String? {
        guard let text = value?.string?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            return nil
        }
        return text
    }

    private func tags(_ value: DatabaseValue?) -> Result<[String], LocalRowProblem> {
        guard let text = Self.text(value) else { return .success([]) }
        switch settings.tagsFormat {
        case .comma:
            return .success(text.split(separator: ",").map { String($0) })
        case .json:
            guard let array = try? JSON.parse(text).array, array.allSatisfy({ $0.string != nil }) else {
                let hint =
                    text.contains(",") && !text.hasPrefix("[")
                    ? #" (a comma list? set local.tags_format to "comma")"# : ""
                return .failure(
                    LocalRowProblem(
                        .unreadable, "tags are not a JSON array of strings: \(text.prefix(60))\(hint)",
                        rawPhone: nil))
            }
            return .success(array.compactMap(\.string))
        }
    }

    /// A JSON object of scalars; each value keeps its JSON type.
    private static func attributes(_ value: DatabaseValue?) -> Result<[String: JSON], LocalRowProblem> {
        guard let text = text(value) else { return .success([:]) }
        guard let object = try? JSON.parse(text).object else {
            return .failure(
                LocalRowProblem(
                    .unreadable, "attributes are not a JSON object: \(text.prefix(60))", rawPhone: nil))
        }
        var map: [String: JSON] = [:]
        for (key, member) in object where !member.isNull {
            guard member.isScalar else {
                return .failure(
                    LocalRowProblem(
                        .unreadable,
                        "attribute '\(key)' is \(member.kindName), not text, a number or a boolean",
                        rawPhone: nil))
            }
            map[key] = member
        }
        return .success(map)
    }

    private static func optIn(_ value: DatabaseValue?) -> Result<OptIn?, LocalRowProblem> {
        guard let value, !value.isNull else { return .success(nil) }
        switch value.string?.lowercased() {
        case "1", "true", "yes", "opted_in": return .success(.optedIn)
        case "0", "false", "no", "opted_out": return .success(.optedOut)
        case "", "unknown": return .success(nil)
        default:
            return .failure(
                LocalRowProblem(
                    .unreadable, "opt-in '\(value.string ?? "")' is not 1, 0 or NULL", rawPhone: nil))
        }
    }

    /// ISO 8601 text, or Unix seconds (milliseconds when the number is that large). A number
    /// outside 1970 to 9999 (negative, NaN, 1e300) reads as no time at all.
    static func timestamp(_ value: DatabaseValue) -> Timestamp? {
        let latestMilliseconds = 253_402_300_799_000.0  // 9999-12-31T23:59:59Z
        switch value {
        case .integer(let number):
            return timestamp(.real(Double(number)))
        case .real(let number):
            guard number.isFinite, number >= 0 else { return nil }
            let milliseconds = TimeColumnFormat.isMilliseconds(number) ? number : number * 1000
            guard milliseconds <= latestMilliseconds else { return nil }
            return Timestamp(millisecondsSinceEpoch: Int64(milliseconds))
        case .text(let text):
            if let number = Int64(text) { return timestamp(.integer(number)) }
            return Timestamp(iso8601: text)
        default: return nil
        }
    }

    // MARK: - Values out

    /// Column values that turn `old` into `new` (only what differs, so the CRM's own
    /// formatting of untouched fields stays as it was).
    /// A value the column cannot hold as configured (a tag with a comma in a comma list) is
    /// refused for this contact rather than written in a form that reads back differently.
    /// `conventions` say how the CRM writes no tags and its times.
    func changes(from old: Contact?, to new: Contact, now: Timestamp, conventions: CRMConventions)
        throws(LocalRowProblem) -> [(String, DatabaseValue)]
    {
        let columns = settings.columns
        var values: [(String, DatabaseValue)] = []
        if old?.phone != new.phone { values.append((columns.phone, phoneValue(new.phone))) }
        if let column = columns.name, old == nil || old?.name != new.name {
            values.append((column, DatabaseValue(new.name)))
        }
        if let column = columns.email, old == nil || old?.email != new.email {
            values.append((column, DatabaseValue(new.email)))
        }
        if let column = columns.country, old == nil || old?.country != new.country {
            values.append((column, DatabaseValue(new.country)))
        }
        if let column = columns.tags, old == nil || old?.tags != new.tags {
            values.append((column, new.tags.isEmpty ? conventions.noTags : try tagsValue(new.tags)))
        }
        if let column = columns.attributes, old == nil || old?.attributes != new.attributes {
            values.append(
                (column, new.attributes.isEmpty ? .null : .text(JSON(sortedMembers: new.attributes).text)))
        }
        if let column = columns.optIn, old == nil || old?.optIn != new.optIn {
            values.append((column, new.optIn.map { .integer($0 == .optedIn ? 1 : 0) } ?? .null))
        }
        if let column = columns.updatedAt, !values.isEmpty {
            values.append((column, (conventions.updatedAt ?? TimeColumnFormat.fallback).value(for: now)))
        }
        return values
    }

    private func tagsValue(_ tags: [String]) throws(LocalRowProblem) -> DatabaseValue {
        switch settings.tagsFormat {
        case .json: return .text(JSON(tags).text)
        case .comma:
            if let tag = tags.first(where: { $0.contains(",") }) {
                throw LocalRowProblem(
                    .unreadable,
                    "the tag '\(tag)' holds a comma, which local.tags_format 'comma' cannot store",
                    rawPhone: nil)
            }
            return .text(tags.joined(separator: ","))
        }
    }

    /// The phone as the column holds it: E.164 text, or its digits as a number.
    private func phoneValue(_ phone: PhoneNumber) -> DatabaseValue {
        guard phoneIsNumeric, let number = Int64(phone.e164.dropFirst()) else { return .text(phone.e164) }
        return .integer(number)
    }
}
