import Configuration
public import ContactModel
import Foundation
import LocalStore
import RemoteAPI
import Vendors

/// Everything `syncd explain PHONE` shows about one contact.
public struct Explanation: Sendable {
    /// The contact's phone; `nil` for a CRM row whose phone does not read.
    public var phone: PhoneNumber?
    /// The phone as the CRM row holds it, when it does not read.
    public var rawPhone: String?
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
    /// decision on it, changing nothing. The contact is named by any form `syncd status`
    /// prints: a phone (as typed in the CRM, even one that does not read), `row KEY` for a CRM
    /// row, or the vendor's contact id.
    public func explain(contact raw: String) async throws(SyncError) -> Explanation {
        let defaultCountry = configuration.local.defaultCountry
        let vendor = remote.provider.rawValue
        let statePath = configuration.sync.state
        let state =
            FileManager.default.fileExists(atPath: statePath)
            ? try Self.storage { try StateStore(path: statePath) } : nil
        let crm = try Self.storage {
            try CRMDatabase(settings: configuration.local, consumer: "explain", readOnly: true)
        }
        let text = raw.trimmingCharacters(in: .whitespaces)
        var phone =
            text.hasPrefix("row ") ? nil : try? PhoneNumber.read(raw, defaultCountry: defaultCountry).number
        var localRow: LocalRow?
        var link: Link?
        var remoteContact: RemoteContact?
        // A vendor out of reach still leaves the CRM's and the last-synced copies to show.
        var unreachable: String?
        if phone == nil {
            if text.hasPrefix("row ") {
                let key = String(text.dropFirst(4)).trimmingCharacters(in: .whitespaces)
                localRow = try Self.storage { try crm.rows(keys: [key])[key] }
                link = try Self.storage { try state?.link(localKey: key) }
                guard localRow != nil || link != nil else {
                    throw SyncError(.usage, "explain: the CRM has no row \(key) and syncd never linked one")
                }
            } else {
                // A phone as the CRM holds it, one that does not read as a number in use.
                try Self.storage {
                    try crm.scan { row in
                        guard localRow == nil, case .failure(let problem) = row.contact,
                            problem.rawPhone?.trimmingCharacters(in: .whitespaces) == text
                        else { return }
                        localRow = row
                    }
                }
                if let localRow {
                    link = try Self.storage { try state?.link(localKey: localRow.key) }
                } else {
                    link = try Self.storage { try state?.link(remoteID: text) }
                    if link == nil, remote.capabilities.canReadOne {
                        remoteContact = try? await remote.fetch(id: text)
                    }
                    guard link != nil || remoteContact != nil else {
                        var reason = ""
                        do { _ = try PhoneNumber.read(raw, defaultCountry: defaultCountry) } catch {
                            reason = " (\(error))"
                        }
                        throw SyncError(
                            .usage,
                            "explain: '\(raw)' is not a phone number\(reason), nor a CRM phone, a CRM row ('row KEY') or a \(vendor) contact id that syncd knows"
                        )
                    }
                }
            }
        }
        // Named by a vendor id: the CRM row is the one the link names.
        if localRow == nil, let key = link?.localKey {
            localRow = try Self.storage { try crm.rows(keys: [key])[key] }
        }
        if let localRow, case .success(let contact) = localRow.contact { phone = contact.phone }
        if phone == nil, localRow == nil {
            phone = remoteContact?.contact.phone ?? link.flatMap { PhoneNumber(e164: $0.phone) }
        }
        if let phone, localRow == nil {
            try Self.storage {
                try crm.scan { row in
                    guard localRow == nil else { return }
                    switch row.contact {
                    case .success(let contact) where contact.phone == phone: localRow = row
                    case .failure(let problem)
                    where problem.rawPhone.flatMap({
                        try? PhoneNumber.read($0, defaultCountry: defaultCountry).number
                    }) == phone: localRow = row
                    default: break
                    }
                }
            }
        }
        if link == nil, let phone { link = try Self.storage { try state?.links(phone: phone.e164).first } }
        if remoteContact == nil {
            do {
                if let id = link?.remoteID, remote.capabilities.canReadOne {
                    remoteContact = try await remote.fetch(id: id)
                } else if let phone = phone ?? link.flatMap({ PhoneNumber(e164: $0.phone) }) {
                    remoteContact = try await remote.find(phone: phone)
                }
            } catch {
                switch error {
                case .credentialRefused, .unsupported: throw Self.remoteError(error)
                default: unreachable = "\(error)"
                }
            }
        }
        let capabilities = remote.capabilities
        let decision = Decision(
            localFields: configuration.local.columns.fields, capabilities: capabilities,
            policy: configuration.sync.conflict,
            deletes: configuration.sync.deletes, vendor: remote.provider.rawValue)
        var explanation = Explanation(
            phone: phone,
            rawPhone: localRow.flatMap { row in
                if case .failure(let problem) = row.contact { return problem.rawPhone }
                return nil
            }, localKey: localRow?.key, local: try? localRow?.contact.get(),
            localProblem: localRow.flatMap { row in
                if case .failure(let problem) = row.contact { return problem.reason }
                return nil
            }, localUpdatedAt: localRow?.updatedAt, remoteID: remoteContact?.id ?? link?.remoteID,
            remote: remoteContact?.contact,
            remoteUpdatedAt: remoteContact?.updatedAt, base: link?.base, linkState: link?.state.rawValue,
            item: nil, lines: [], recentConflicts: [])
        let e164 = phone?.e164 ?? link?.phone ?? ""
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
                var create = PlanItem(phone: e164)
                create.merged = local
                create.remoteWrite = .create(local)
                create.reasons.append("new in the CRM")
                item = create
            }
        } else if let remoteContact {
            var insert = PlanItem(phone: e164)
            insert.merged = remoteContact.contact
            insert.remote = remoteContact.contact
            insert.crmWrite = .insert(
                remoteContact.contact.projected(onto: configuration.local.columns.fields))
            insert.reasons.append("new on \(vendor)")
            item = insert
        } else {
            explanation.lines.append("neither the CRM nor \(vendor) has \(e164)")
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
        for rejection in ((try? state?.rejections()) ?? []).filter({
            $0.phone == e164 || $0.ref == localRow?.key || $0.ref == explanation.remoteID
                || ($0.phone != nil && $0.phone == explanation.rawPhone)
        }) {
            let what =
                switch rejection.side {
                case "remote": "\(vendor) refused CRM row \(rejection.ref)"
                case "clash": "CRM row \(rejection.ref) clashes with another person"
                default: "CRM row \(rejection.ref) was skipped"
                }
            explanation.lines.append(
                "not synced: \(what) (\(rejection.attempts) attempt(s)): \(rejection.reason)")
        }
        explanation.recentConflicts = ((try? state?.conflicts(limit: 5, phone: e164)) ?? []).map {
            "\($0.at.iso8601(fractionalSeconds: false)) \($0.field): CRM \(PlanDescription.quote($0.local)), \(vendor) \(PlanDescription.quote($0.remote)) — \($0.winner) won (\($0.reason ?? ""))"
        }
        return explanation
    }
}
