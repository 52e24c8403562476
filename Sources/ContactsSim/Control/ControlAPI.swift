import ContactModel
import HTTPServer
import JSON

/// The emulator's own API under `/_sim/`: what tests and the demo use to set the scene and
/// to check what a client did. Never rate limited, faulted or counted.
enum ControlAPI {
    static func handle(_ request: HTTPRequest, _ state: inout SimState) -> HTTPResponse {
        do {
            let response = try route(request, &state)
            try state.save()
            return response
        } catch let error as SimError {
            return .json(error.status, ["error": .string(error.message)])
        } catch {
            return .json(500, ["error": .string("\(error)")])
        }
    }

    private static func route(_ request: HTTPRequest, _ state: inout SimState) throws -> HTTPResponse {
        let parts = request.path.split(separator: "/").dropFirst().map(String.init)
        switch (request.method, parts.first ?? "", parts.count) {
        case ("GET", "health", 1):
            return .json(
                200,
                ["ok": true, "dialect": .string(state.dialect.rawValue), "contacts": .int(state.store.count)])
        case ("POST", "reset", 1):
            reset(&state)
            return .json(200, ["ok": true])
        case ("POST", "seed", 1):
            let body = try bodyObject(request)
            guard let count = body["count"]?.int, count >= 0 else {
                throw SimError.badRequest("count must be a whole number")
            }
            let seeded = state.seed(
                count: count, seed: body["seed"]?.int.map { UInt64(truncatingIfNeeded: $0) })
            return .json(200, ["seeded": .int(seeded), "contacts": .int(state.store.count)])
        case ("GET", "contacts", 1):
            let contacts = state.store.order.compactMap { state.store.contact(key: $0) }.map {
                canonical($0, state)
            }
            return .json(200, ["contacts": .array(contacts)])
        case ("POST", "contacts", 1):
            var contact = state.blankContact()
            try ContactEdit(try bodyObject(request)).apply(to: &contact, &state)
            guard contact.phone != nil || contact.email != nil else {
                throw SimError.badRequest("phone or email is required")
            }
            return .json(201, canonical(state.insertNew(contact), state))
        case (_, "contacts", 2...):
            return try contact(request, id: parts[1], action: parts.count > 2 ? parts[2] : nil, &state)
        case ("GET", "faults", 1):
            return .json(200, state.faults.json)
        case ("PUT", "faults", 1), ("PATCH", "faults", 1):
            var plan = request.method == "PUT" ? FaultPlan() : state.faults
            try plan.apply(try JSON.parse(request.body.isEmpty ? Array("{}".utf8) : request.body))
            state.faults = plan
            return .json(200, plan.json)
        case ("DELETE", "faults", 1):
            state.faults = FaultPlan()
            return .json(200, state.faults.json)
        case ("GET", "stats", 1):
            return .json(200, state.counters.json)
        case ("DELETE", "stats", 1):
            state.counters.reset()
            return .json(200, state.counters.json)
        case ("POST", "tokens", 1):
            let body = try bodyObject(request)
            guard let token = body["token"]?.string, !token.isEmpty,
                let role = Caller.Role(rawValue: body["role"]?.string ?? "owner")
            else {
                throw SimError.badRequest(
                    "token is required; role is one of \(Caller.Role.allCases.map(\.rawValue))")
            }
            state.tokens.roles[token] = role
            return .json(201, ["token": .string(token), "role": .string(role.rawValue)])
        case ("POST", "tokens", 2) where parts[1] == "expire":
            let now = state.now()
            for token in state.tokens.accessTokens.keys { state.tokens.accessTokens[token] = now }
            // `{"refresh_tokens": true}` revokes the refresh tokens too (a password change).
            if try bodyObject(request)["refresh_tokens"]?.bool == true {
                state.tokens.refreshTokens.removeAll()
            }
            return .json(200, ["expired": .int(state.tokens.accessTokens.count)])
        case ("GET", "clock", 1):
            return .json(200, ["now": .string(state.now().iso8601(fractionalSeconds: true))])
        case ("POST", "clock", 1):
            guard let seconds = try bodyObject(request)["advance_seconds"]?.double else {
                throw SimError.badRequest("advance_seconds must be a number")
            }
            state.clockOffsetMilliseconds += Int64(seconds * 1000)
            return .json(200, ["now": .string(state.now().iso8601(fractionalSeconds: true))])
        case ("GET", "settings", 1):
            return .json(200, settings(state))
        case ("PATCH", "settings", 1):
            try applySettings(try bodyObject(request), &state)
            return .json(200, settings(state))
        default:
            throw SimError.notFound("no control endpoint \(request.method) \(request.path)")
        }
    }

    // MARK: - Contacts as a dashboard user sees them

    private static func contact(_ request: HTTPRequest, id: String, action: String?, _ state: inout SimState)
        throws -> HTTPResponse
    {
        guard let existing = state.store.contact(id: id) ?? state.store.contact(phone: id) else {
            throw SimError.notFound("no contact \(id)")
        }
        switch (request.method, action) {
        case ("GET", nil):
            return .json(200, canonical(existing, state))
        case ("PATCH", nil):
            var changed = existing
            try ContactEdit(try bodyObject(request)).apply(to: &changed, &state)
            let final = changed
            let updated = state.store.update(key: existing.key, at: state.now()) { $0 = final }
            return .json(200, canonical(updated ?? final, state))
        case ("DELETE", nil):
            state.store.remove(key: existing.key)
            return .json(200, ["deleted": .string(existing.id)])
        case ("POST", "opt-out"):
            // A recipient replied STOP.
            let updated = state.store.update(key: existing.key, at: state.now()) { $0.optIn = .optedOut }
            return .json(200, canonical(updated ?? existing, state))
        default:
            throw SimError.notFound("no control endpoint \(request.method) \(request.path)")
        }
    }

    /// The vendor-neutral view of a stored contact (field names as in syncd's contact model).
    static func canonical(_ contact: SimContact, _ state: SimState) -> JSON {
        var tags = contact.tags
        // Qlara's lists, in name order: the neutral form of a set of tags.
        if state.dialect == .qlara {
            tags = contact.listIDs.compactMap { state.store.lists[$0]?.name }.sorted()
        }
        var object: JSONObject = [
            "id": .string(contact.id), "phone": JSON(contact.phone), "name": JSON(contact.name),
            "email": JSON(contact.email),
            "country": JSON(contact.country), "tags": JSON(tags), "attributes": JSON(contact.attributes),
            "opt_in": .string(contact.optIn.rawValue), "blocked": .bool(contact.blocked),
            "created_at": .string(contact.createdAt.iso8601(fractionalSeconds: true)),
            "updated_at": .string(contact.updatedAt.iso8601(fractionalSeconds: true)),
        ]
        if let vendorID = contact.vendorContactID { object["vendor_contact_id"] = .string(vendorID) }
        if state.dialect == .qlara {
            object["list_ids"] = .array(contact.listIDs.map(JSON.int))
            object["gender"] = JSON(contact.gender)
        }
        if state.dialect == .waply { object["lifecycle_stage"] = JSON(contact.lifecycleStage) }
        return .object(object)
    }

    // MARK: - Settings

    private static func settings(_ state: SimState) -> JSON {
        let configuration = state.configuration
        return [
            "dialect": .string(state.dialect.rawValue),
            "rate_per_minute": state.limiter.limit.map { .int($0.perMinute) } ?? .null,
            "burst_per_second": state.limiter.limit?.perSecond.map(JSON.int) ?? .null,
            "duplicate_status": .int(configuration.duplicateStatus),
            "custom_fields": JSON(configuration.customFields),
            "token_ttl_seconds": .int(configuration.tokenLifetimeSeconds),
            "export_ready_after_ms": .int(configuration.exportReadyAfterMilliseconds),
            "export_url_ttl_seconds": .int(configuration.exportURLLifetimeSeconds),
        ]
    }

    private static func applySettings(_ body: JSONObject, _ state: inout SimState) throws {
        for (name, value) in body {
            switch name {
            case "rate_per_minute":
                if value.isNull {
                    state.limiter.limit = nil
                } else {
                    guard let perMinute = value.int, perMinute > 0 else {
                        throw SimError.badRequest("rate_per_minute must be positive or null")
                    }
                    state.limiter.limit = RateLimit(
                        perMinute: perMinute, perSecond: state.limiter.limit?.perSecond)
                }
                state.limiter.reset()
            case "burst_per_second":
                guard value.isNull || (value.int ?? 0) > 0 else {
                    throw SimError.badRequest("burst_per_second must be positive or null")
                }
                state.limiter.limit?.perSecond = value.int
            case "duplicate_status":
                guard let status = value.int, status == 409 || status == 422 else {
                    throw SimError.badRequest("duplicate_status must be 409 or 422")
                }
                state.configuration.duplicateStatus = status
            case "custom_fields":
                guard let fields = value.array?.compactMap(\.string), fields.count == value.array?.count
                else {
                    throw SimError.badRequest("custom_fields must be an array of strings")
                }
                state.configuration.customFields = fields
            case "token_ttl_seconds":
                guard let seconds = value.int, seconds > 0 else {
                    throw SimError.badRequest("token_ttl_seconds must be positive")
                }
                state.configuration.tokenLifetimeSeconds = seconds
            case "export_ready_after_ms":
                guard let milliseconds = value.int, milliseconds >= 0 else {
                    throw SimError.badRequest("export_ready_after_ms must be 0 or more")
                }
                state.configuration.exportReadyAfterMilliseconds = milliseconds
            case "export_url_ttl_seconds":
                guard let seconds = value.int, seconds > 0 else {
                    throw SimError.badRequest("export_url_ttl_seconds must be positive")
                }
                state.configuration.exportURLLifetimeSeconds = seconds
            default:
                throw SimError.badRequest("unknown setting '\(name)'")
            }
        }
    }

    // MARK: - Helpers

    private static func reset(_ state: inout SimState) {
        state.store.removeAll()
        state.counters.reset()
        state.faults = FaultPlan()
        state.limiter.reset()
        state.tokens = TokenBook(ownerToken: state.configuration.token)
        state.idempotentReplies.removeAll()
        state.uploads.removeAll()
        state.exports.removeAll()
        state.clockOffsetMilliseconds = 0
    }

    private static func bodyObject(_ request: HTTPRequest) throws -> JSONObject {
        if request.body.isEmpty { return JSONObject() }
        guard let object = try JSON.parse(request.body).object else {
            throw SimError.badRequest("body must be a JSON object")
        }
        return object
    }
}

/// An edit made as a dashboard user would, in canonical field names.
struct ContactEdit {
    let fields: JSONObject

    init(_ fields: JSONObject) { self.fields = fields }

    func apply(to contact: inout SimContact, _ state: inout SimState) throws {
        let reader = BodyFields(object: fields, invalidStatus: 400)
        for name in fields.memberNames {
            do throws(VendorError) {
                switch name {
                case "phone":
                    let phone = try reader.e164("phone") ?? nil
                    if let phone, let other = state.store.contact(phone: phone), other.key != contact.key {
                        throw VendorError(409, "duplicate", "phone \(phone) belongs to contact \(other.id)")
                    }
                    contact.phone = phone
                case "name": contact.name = try reader.string(name) ?? nil
                case "email": contact.email = try reader.string(name) ?? nil
                case "country": contact.country = (try reader.string(name) ?? nil)?.uppercased()
                case "gender": contact.gender = try reader.string(name) ?? nil
                case "lifecycle_stage": contact.lifecycleStage = try reader.string(name) ?? nil
                case "attributes":
                    contact.attributes = (try reader.stringMap(name, allowNull: false) ?? [:])
                        .compactMapValues { $0 }
                case "blocked": contact.blocked = try reader.bool(name) ?? false
                case "tags":
                    let tags = try reader.stringArray(name) ?? []
                    if state.dialect == .qlara {
                        contact.listIDs = tags.map { state.listID(named: $0) }
                    } else {
                        contact.tags = tags
                    }
                case "opt_in":
                    if let flag = fields["opt_in"]?.bool {
                        contact.optIn = flag ? .optedIn : .optedOut
                    } else if let value = fields["opt_in"]?.string.flatMap(SimContact.OptIn.init(rawValue:)) {
                        contact.optIn = value
                    } else if fields["opt_in"]?.isNull == true {
                        contact.optIn = .unknown
                    } else {
                        throw reader.invalid(
                            name, "must be opted_in, opted_out, unknown, true, false or null")
                    }
                default:
                    throw VendorError(400, "unknown_field", "unknown field '\(name)'")
                }
            } catch {
                throw SimError(status: error.status, message: error.message)
            }
        }
    }
}
