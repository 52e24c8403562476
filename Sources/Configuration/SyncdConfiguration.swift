public import ContactModel
import Foundation
import JSON
public import Vendors

/// Everything a config file says: where the CRM table is and how its columns map onto a
/// contact, which vendor to talk to, and how to sync.
public struct SyncdConfiguration: Sendable {
    public var local: LocalSettings
    public var remote: RemoteSettings
    public var sync: SyncSettings
    /// The file it was read from, as an absolute path: messages name it, and the commands they
    /// suggest pass it as `--config`.
    public var path: String

    public init(local: LocalSettings, remote: RemoteSettings, sync: SyncSettings, path: String) {
        self.local = local
        self.remote = remote
        self.sync = sync
        self.path = path
    }
}

/// The user's CRM table.
public struct LocalSettings: Sendable {
    public enum TagsFormat: String, Sendable, CaseIterable { case json, comma }

    /// Which CRM column holds each contact field; only `phone` is required.
    public struct Columns: Sendable, Equatable {
        public var phone: String
        public var name: String?
        public var email: String?
        public var country: String?
        public var tags: String?
        public var attributes: String?
        public var optIn: String?
        public var updatedAt: String?

        public init(
            phone: String, name: String? = nil, email: String? = nil, country: String? = nil,
            tags: String? = nil,
            attributes: String? = nil, optIn: String? = nil, updatedAt: String? = nil
        ) {
            self.phone = phone
            self.name = name
            self.email = email
            self.country = country
            self.tags = tags
            self.attributes = attributes
            self.optIn = optIn
            self.updatedAt = updatedAt
        }

        /// Each mapped column under its config key (`phone`, `opt_in`...), in a fixed order.
        public var byField: [(field: String, column: String)] {
            let all: [(String, String?)] = [
                ("phone", phone), ("name", name), ("email", email), ("country", country), ("tags", tags),
                ("attributes", attributes), ("opt_in", optIn), ("updated_at", updatedAt),
            ]
            return all.compactMap { field, column in column.map { (field, $0) } }
        }

        /// The contact fields this CRM table holds.
        public var fields: FieldSet {
            var fields: FieldSet = []
            if name != nil { fields.insert(.name) }
            if email != nil { fields.insert(.email) }
            if country != nil { fields.insert(.country) }
            if tags != nil { fields.insert(.tags) }
            if attributes != nil { fields.insert(.attributes) }
            if optIn != nil { fields.insert(.optIn) }
            return fields
        }
    }

    public var database: String
    public var table: String
    /// The column that identifies a row; `nil` picks the table's primary key (or rowid).
    public var key: String?
    public var columns: Columns
    public var tagsFormat: TagsFormat
    /// Reads national numbers (`0712 345 678`) in this country.
    public var defaultCountry: String?

    public init(
        database: String, table: String, key: String? = nil, columns: Columns, tagsFormat: TagsFormat = .json,
        defaultCountry: String? = nil
    ) {
        self.database = database
        self.table = table
        self.key = key
        self.columns = columns
        self.tagsFormat = tagsFormat
        self.defaultCountry = defaultCountry
    }
}

/// The vendor.
public struct RemoteSettings: Sendable {
    /// The vendor, whose published facts (URL, limits) live in the `Vendors` module.
    public typealias Provider = Vendor

    public var provider: Provider
    public var baseURL: String
    public var token: Secret
    /// Pages fetched at once once the total is known.
    public var concurrency: Int
    public var timeoutSeconds: Double
    /// The client-side request budget; `nil` uses the vendor's published limit.
    public var requestsPerMinute: Int?
    /// Where the token was read from, when it was a file (for the permissions warning).
    public var tokenFile: String?
    /// The longest one cycle waits for the request budget before it stops as deferred.
    public var maximumWaitSeconds: Double = 120
    /// SuperWaba's organisation id, sent as `x-org-id` with every request.
    public var organizationID: String?
    /// A login syncd trades for expiring tokens (SuperWaba), instead of a long-lived token.
    public var login: Login?

    /// An account's email and password, for vendors that hand out expiring tokens.
    public struct Login: Sendable {
        public var email: String
        public var password: Secret

        public init(email: String, password: Secret) {
            self.email = email
            self.password = password
        }
    }

    /// The budget when the config sets none: the vendor's published limit.
    public var effectiveRequestsPerMinute: Int? { requestsPerMinute ?? provider.publishedRequestsPerMinute }

    public init(
        provider: Provider, baseURL: String? = nil, token: Secret, concurrency: Int = 4,
        timeoutSeconds: Double = 30, requestsPerMinute: Int? = nil
    ) {
        self.provider = provider
        self.baseURL = baseURL ?? provider.defaultBaseURL
        self.token = token
        self.concurrency = concurrency
        self.timeoutSeconds = timeoutSeconds
        self.requestsPerMinute = requestsPerMinute
    }
}

/// How to sync.
public struct SyncSettings: Sendable {
    public enum Deletes: String, Sendable, CaseIterable {
        case none
        case localToRemote = "local-to-remote"
        case remoteToLocal = "remote-to-local"
        case both

        public var toRemote: Bool { self == .localToRemote || self == .both }
        public var toLocal: Bool { self == .remoteToLocal || self == .both }
    }

    /// syncd's own SQLite file: links, last-synced copies, journal, history.
    public var state: String
    public var conflict: ConflictPolicy
    public var deletes: Deletes
    /// A cycle that would delete more than this share of either side stops unless forced.
    public var maxDeleteShare: Double
    public var intervalSeconds: Double
    /// A Prometheus textfile rewritten after every cycle (for node_exporter's textfile
    /// collector); `nil` writes none.
    public var metricsFile: String?

    public init(
        state: String, conflict: ConflictPolicy = .newest, deletes: Deletes = .none,
        maxDeleteShare: Double = 0.1, intervalSeconds: Double = 300, metricsFile: String? = nil
    ) {
        self.state = state
        self.conflict = conflict
        self.deletes = deletes
        self.maxDeleteShare = maxDeleteShare
        self.intervalSeconds = intervalSeconds
        self.metricsFile = metricsFile
    }
}
