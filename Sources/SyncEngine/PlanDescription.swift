import ContactModel

/// Plan items in words, for `--dry-run`, `--list-changes` and `syncd explain`.
enum PlanDescription {
    /// One line for an item that does something; `nil` for one that only refreshes state.
    static func line(_ item: PlanItem, vendor: String, localFields: FieldSet, remoteFields: FieldSet)
        -> String?
    {
        if let skipped = item.skipped { return "\(item.phone): skipped — \(skipped)" }
        var parts: [String] = []
        let merged = item.merged
        switch item.localAction {
        case .insert: parts.append("CRM insert\(label(merged))")
        case .update:
            parts.append("CRM update (\(changes(from: item.local, to: merged, fields: localFields)))")
        case .delete: parts.append("CRM delete")
        case .none: break
        }
        switch item.remoteAction {
        case .create: parts.append("\(vendor) create\(label(merged))")
        case .recreate: parts.append("\(vendor) create under the new phone")
        case .update:
            parts.append("\(vendor) update (\(changes(from: item.remote, to: merged, fields: remoteFields)))")
        case .delete: parts.append("\(vendor) delete")
        case .none: break
        }
        guard !parts.isEmpty else { return nil }
        var line = "\(item.phone): " + parts.joined(separator: "; ")
        for conflict in item.conflicts {
            line += " [conflict on \(conflict.field): \(conflict.winner) wins — \(conflict.reason)]"
        }
        return line
    }

    private static func label(_ contact: Contact?) -> String {
        contact?.name.map { " (\($0))" } ?? ""
    }

    /// `name: "A" → "B", tags: … → …` for the fields that differ.
    static func changes(from old: Contact?, to new: Contact?, fields: FieldSet) -> String {
        guard let new else { return "" }
        var list: [String] = []
        var all: [ContactField] = [.phone, .name, .email, .country, .tags, .optIn]
        all += Set(new.attributes.keys).union(old?.attributes.keys ?? [:].keys).sorted().map(
            ContactField.attribute)
        for field in all where fields.holds(field) {
            let before = old?.value(of: field)
            let after = new.value(of: field)
            if before != after { list.append("\(field): \(quote(before)) → \(quote(after))") }
        }
        return list.isEmpty ? "no field changes" : list.joined(separator: ", ")
    }

    static func quote(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "—" }
}
