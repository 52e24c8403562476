import Configuration
import ContactModel
import JSON
import RemoteAPI
import SyncEngine
import Vendors

/// `syncd explain PHONE`: one contact, both sides, and the planner's reasoning.
enum Explain {
    static func run(
        config path: String, contact: String, json: Bool, arguments: [String] = [],
        environment: [String: String], console: any Console
    ) async -> ExitCode {
        guard
            let (configuration, remote) = Syncd.configured(
                path, arguments: arguments, environment: environment, console: console)
        else { return .configuration }
        let explanation: Explanation
        do {
            explanation = try await SyncEngine(configuration: configuration, remote: remote).explain(
                contact: contact)
        } catch {
            console.err("syncd: \(error.message)")
            return Syncd.exitCode(for: error)
        }
        let vendor = configuration.remote.provider.rawValue
        if json {
            console.out(Self.json(explanation, vendor: vendor).prettyText)
            return .success
        }
        console.out(
            explanation.phone?.e164 ?? explanation.rawPhone.map { "'\($0)' (not a phone number in use)" }
                ?? "?")
        console.out(
            "  CRM\(explanation.localKey.map { " row \($0)" } ?? ""):".padded(24)
                + describe(
                    explanation.local, problem: explanation.localProblem, updated: explanation.localUpdatedAt)
        )
        console.out(
            "  \(vendor)\(explanation.remoteID.map { " contact \($0)" } ?? ""):".padded(24)
                + describe(explanation.remote, problem: nil, updated: explanation.remoteUpdatedAt))
        console.out(
            "  last synced:".padded(24)
                + (explanation.base.map { describe($0, problem: nil, updated: nil) } ?? "never")
                + (explanation.linkState.map { $0 == "linked" ? "" : " (\($0))" } ?? ""))
        for line in explanation.lines { console.out("  " + line) }
        if !explanation.recentConflicts.isEmpty {
            console.out("  conflict log:")
            for line in explanation.recentConflicts { console.out("    " + line) }
        }
        return .success
    }

    /// The form `syncd explain --json` prints; the README lists every field.
    static func json(_ explanation: Explanation, vendor: String) -> JSON {
        func time(_ time: Timestamp?) -> JSON { JSON(time?.iso8601(fractionalSeconds: false)) }
        let nextCycle = explanation.lines.first { $0.hasPrefix("next cycle: ") }.map {
            String($0.dropFirst("next cycle: ".count))
        }
        return [
            "phone": JSON(explanation.phone?.e164),
            "crm": [
                "row": JSON(explanation.localKey), "contact": explanation.local?.json ?? .null,
                "raw_phone": JSON(explanation.rawPhone), "problem": JSON(explanation.localProblem),
                "updated_at": time(explanation.localUpdatedAt),
            ],
            "vendor": [
                "name": .string(vendor), "id": JSON(explanation.remoteID),
                "contact": explanation.remote?.json ?? .null, "updated_at": time(explanation.remoteUpdatedAt),
            ],
            "last_synced": [
                "contact": explanation.base?.json ?? .null, "link": JSON(explanation.linkState),
            ],
            "next_cycle": JSON(nextCycle),
            "lines": JSON(explanation.lines),
            "conflict_log": JSON(explanation.recentConflicts),
        ]
    }

    private static func describe(_ contact: Contact?, problem: String?, updated: Timestamp?) -> String {
        if let problem { return "unusable: \(problem)" }
        guard let contact else { return "absent" }
        var parts: [String] = []
        if let name = contact.name { parts.append("name \"\(name)\"") }
        if let email = contact.email { parts.append("email \(email)") }
        if let country = contact.country { parts.append("country \(country)") }
        if !contact.tags.isEmpty { parts.append("tags \(contact.tags.joined(separator: ","))") }
        if !contact.attributes.isEmpty {
            parts.append(
                "attributes "
                    + contact.attributes.sorted { $0.key < $1.key }.map {
                        "\($0.key)=\($0.value.scalarText ?? "")"
                    }.joined(separator: ","))
        }
        if let optIn = contact.optIn { parts.append(optIn.rawValue) }
        if let updated { parts.append("updated \(updated.iso8601(fractionalSeconds: false))") }
        return parts.isEmpty ? "(no fields)" : parts.joined(separator: "; ")
    }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
