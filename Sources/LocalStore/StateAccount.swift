import SQLite

/// The vendor account a state file's links belong to: its links name that account's
/// contacts, so against another account every CRM row would look unlinked there and every
/// vendor contact new here. Not the credential, which may rotate.
public struct StateAccount: Sendable, Equatable, CustomStringConvertible {
    public var provider: String
    /// The base URL, without a trailing `/` (the same URL written either way is one account).
    public var baseURL: String
    /// The vendor's own name for the account, where it has one (SuperWaba's organisation).
    public var organization: String?

    public init(provider: String, baseURL: String, organization: String?) {
        self.provider = provider
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.organization = organization
    }

    public var description: String {
        "\(provider) at \(baseURL)" + (organization.map { " (organisation \($0))" } ?? "")
    }
}

extension StateStore {
    private static let accountKeys = (
        provider: "account_provider", url: "account_base_url", org: "account_org"
    )

    /// The account this state file belongs to; `nil` for one from before accounts were
    /// recorded (or a new one).
    public func account() -> StateAccount? {
        guard let provider = meta(Self.accountKeys.provider), let url = meta(Self.accountKeys.url) else {
            return nil
        }
        return StateAccount(provider: provider, baseURL: url, organization: meta(Self.accountKeys.org))
    }

    public func setAccount(_ account: StateAccount) throws {
        try transaction {
            try setMeta(Self.accountKeys.provider, account.provider)
            try setMeta(Self.accountKeys.url, account.baseURL)
            if let organization = account.organization {
                try setMeta(Self.accountKeys.org, organization)
            } else {
                try database.run("DELETE FROM meta WHERE name = ?", [.text(Self.accountKeys.org)])
            }
        }
    }
}
