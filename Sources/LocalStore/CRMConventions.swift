import Configuration
import Foundation
import JSON
import SQLite

/// How the CRM itself writes the values syncd also writes — the form of its times, what it
/// stores for a contact without tags — learned from the rows the table holds, so that a row
/// syncd writes looks like one the CRM wrote.
struct CRMConventions: Sendable, Equatable {
    /// The form of `updated_at`, when the table has one.
    var updatedAt: TimeColumnFormat?
    /// What the tags column holds for no tags: NULL, `''`, `'[]'`...
    var noTags: DatabaseValue

    /// Learns from sampled `(updated_at, tags)` values (either `nil` when the column is not
    /// mapped); `declared` says what to do where the samples say nothing.
    static func learned(
        updatedAt: [DatabaseValue]?, tags: [DatabaseValue]?, declared: Declared,
        tagsFormat: LocalSettings.TagsFormat
    ) -> CRMConventions {
        let times = updatedAt.map { TimeColumnFormat.learned(from: $0, declaredType: declared.updatedAtType) }
        let empties = (tags ?? []).filter { isNoTags($0, format: tagsFormat) }
        return CRMConventions(updatedAt: times, noTags: mostCommon(empties) ?? declared.noTags)
    }

    /// What the table's declaration says, for a column whose rows say nothing yet.
    struct Declared: Sendable, Equatable {
        var updatedAtType = ""
        /// The tags column's DEFAULT when that reads as no tags; otherwise `[]` or `''` for a
        /// NOT NULL column, and NULL for one that allows it.
        var noTags: DatabaseValue = .null

        init(
            updatedAtType: String, tagsDefault: String?, tagsNotNull: Bool,
            tagsFormat: LocalSettings.TagsFormat
        ) {
            self.updatedAtType = updatedAtType
            if let literal = tagsDefault.flatMap(CRMConventions.literal),
                CRMConventions.isNoTags(literal, format: tagsFormat), !(tagsNotNull && literal.isNull)
            {
                noTags = literal
            } else if tagsNotNull {
                noTags = .text(tagsFormat == .json ? "[]" : "")
            }
        }
    }

    /// Whether a stored tags value reads as no tags.
    static func isNoTags(_ value: DatabaseValue, format: LocalSettings.TagsFormat) -> Bool {
        switch value {
        case .null: return true
        case .text(let text):
            if text.allSatisfy(\.isWhitespace) { return true }
            return format == .json && (try? JSON.parse(text).array?.isEmpty) == true
        default: return false
        }
    }

    /// The value most of `values` hold (the first seen wins a tie).
    private static func mostCommon(_ values: [DatabaseValue]) -> DatabaseValue? {
        var counts: [DatabaseValue: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return values.first { counts[$0] == counts.values.max() }
    }

    /// A column DEFAULT as `pragma_table_info` gives it: a quoted string or NULL.
    private static func literal(_ sql: String) -> DatabaseValue? {
        if sql.uppercased() == "NULL" { return .null }
        guard sql.count >= 2, sql.hasPrefix("'"), sql.hasSuffix("'") else { return nil }
        return .text(String(sql.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'"))
    }
}
