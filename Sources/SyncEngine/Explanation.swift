import Configuration
public import ContactModel
import Foundation
import LocalStore
import RemoteAPI
import Vendors

/// Everything `syncd explain PHONE` shows about one contact.
public struct Explanation: Sendable {
    public var phone: PhoneNumber
    public var localKey: String?
    public var local: Contact?
    public var localProblem: String?
    public var localUpdatedAt: Timestamp?
    public var remoteID: String?
    public var remote: Contact?
    public var remoteUpdatedAt: Timestamp?
    public var base: Contact?
    public var linkState: String?
    public var item: PlanItem?
    public var lines: [String]
    public var recentConflicts: [String]
}

extension SyncEngine {
    /// Reads one contact on both sides (and its last-synced copy) and runs the planner's
    /// decision on it, changing nothing.
    public func explain(phone raw: String) async throws(SyncError) -> Explanation {
        let phone: PhoneNumber
        do {
            phone = try PhoneNumber.read(raw, defaultCountry: configuration.local.defaultCountry).number
        } catch {
            throw SyncError(.usage, "explain: '\(raw)' is not a phone number: \(error)")
        }
        let statePath = configuration.sync.state
        let state =
            FileManager.default.fileExists(atPath: statePath)
            ? try Self.storage { try StateStore(path: statePath) } : nil
        let crm = try Self.storage {
            try CRMDatabase(settings: configuration.local, consumer: "explain", readOnly: true)
        }
        var localRow: LocalRow?
        try Self.storage {
            try crm.scan { row in
                guard localRow == nil else { return }
                switch row.contact {
                case .success(let contact) where contact.phone == phone: localRow = row
                case .failure(let problem)
                where problem.rawPhone.flatMap({
                    try? PhoneNumber.read($0, defaultCountry: configuration.local.defaultCountry).number
                }) == phone: localRow = row
                default: break
                }
            }
        }
        let link = try Self.storage { try state?.links(phone: phone.e164).first }
        var remoteContact: RemoteContact?
        // A vendor out of reach still leaves the CRM's and the last-synced copies to show.
        var unreachable: String?
        do {
            if let id = link?.remoteID, remote.capabilities.canReadOne {
                remoteContact = try await remote.fetch(id: id)
            } else {
                remoteContact = try await remote.find(phone: phone)
            }
        } catch {
            switch error {
            case .credentialRefused, .unsupported: throw Self.remoteError(error)
            default: unreachable = "\(error)"
            }
        }

        let capabilities = remote.capabilities
        let decision = Decision(
            localFields: configuration.local.columns.fields, capabilities: capabilities,
            policy: configuration.sync.conflict,
            deletes: configuration.sync.deletes, vendor: remote.provider.rawValue)
        var explanation = Explanation(
            phone: phone, localKey: localRow?.key, local: try? localRow?.contact.get(),
            localProblem: localRow.flatMap { row in
                if case .failure(let problem) = row.contact { return problem.reason }
                return nil
            }, localUpdatedAt: localRow?.updatedAt, remoteID: remoteContact?.id ?? link?.remoteID,
            remote: remoteContact?.contact,
            remoteUpdatedAt: remoteContact?.updatedAt, base: link?.base, linkState: link?.state.rawValue,
            item: nil, lines: [], recentConflicts: [])
        let vendor = remote.provider.rawValue
        var item: PlanItem?
        if let unreachable {
            explanation.lines.append(
                "\(vendor) could not be read (\(unreachable)), so what the next cycle does is not known yet")
        } else if let problem = explanation.localProblem {
            explanation.lines.append("the CRM row is skipped: \(problem)")
        } else if let link {
            let local: Decision.LocalState =
                explanation.local.map { .present($0, changedAt: localRow?.updatedAt) }
                ?? (link.localKey == nil ? .unchanged : .deleted(at: nil))
            let remoteState: Decision.RemoteState =
                remoteContact.map { .present($0.contact, updatedAt: $0.updatedAt) }
                ?? (capabilities.canReadOne ? .deleted : .unchanged)
            item = decision.decide(link: link, local: local, remote: remoteState)
        } else if let local = explanation.local, let localKey = localRow?.key {
            if let remoteContact {
                item = decision.decideNewPair(
                    localKey: localKey, local: local, localTime: localRow?.updatedAt,
                    remoteID: remoteContact.id, remote: remoteContact.contact,
                    remoteTime: remoteContact.updatedAt)
            } else {
                var create = PlanItem(phone: phone.e164)
                create.merged = local
                create.remoteWrite = .create(local)
                create.reasons.append("new in the CRM")
                item = create
            }
        } else if let remoteContact {
            var insert = PlanItem(phone: phone.e164)
            insert.merged = remoteContact.contact
            insert.remote = remoteContact.contact
            insert.crmWrite = .insert(
                remoteContact.contact.projected(onto: configuration.local.columns.fields))
            insert.reasons.append("new on \(vendor)")
            item = insert
        } else {
            explanation.lines.append("neither the CRM nor \(vendor) has \(phone)")
        }
        if let item {
            explanation.item = item
            let line = PlanDescription.line(
                item, vendor: vendor, localFields: configuration.local.columns.fields,
                remoteFields: capabilities.writableFields)
            explanation.lines.append(
                "next cycle: "
                    + (line.map { String($0.drop { $0 != ":" }.dropFirst(2)) }
                        ?? "nothing to do, both sides agree"))
            for conflict in item.conflicts {
                explanation.lines.append(
                    "conflict on \(conflict.field): CRM \(PlanDescription.quote(conflict.local)), \(vendor) \(PlanDescription.quote(conflict.remote)), last synced \(PlanDescription.quote(conflict.base)) — \(conflict.winner.rawValue) wins: \(conflict.reason)"
                )
            }
            explanation.lines += item.reasons.map { "because: \($0)" }
        }
        for rejection in ((try? state?.rejections()) ?? []).filter({ $0.phone == phone.e164 }) {
            let what =
                switch rejection.side {
                case "remote": "\(vendor) refused CRM row \(rejection.ref)"
                case "clash": "CRM row \(rejection.ref) clashes with another person"
                default: "CRM row \(rejection.ref) was skipped"
                }
            explanation.lines.append(
                "not synced: \(what) (\(rejection.attempts) attempt(s)): \(rejection.reason)")
        }
        explanation.recentConflicts = ((try? state?.conflicts(limit: 5, phone: phone.e164)) ?? []).map {
            "\($0.at.iso8601(fractionalSeconds: false)) \($0.field): CRM \(PlanDescription.quote($0.local)), \(vendor) \(PlanDescription.quote($0.remote)) — \($0.winner) won (\($0.reason ?? ""))"
        }
        return explanation
    }
}
