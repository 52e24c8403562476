/// Everything an emulator instance is started with. Most of it can also be changed at run
/// time through the control API (`/_sim/settings`, `/_sim/faults`).
public struct SimConfiguration: Sendable {
    public var dialect: Dialect
    /// The credential the API accepts, with the `owner` role.
    public var token: String
    /// SuperWaba's organisation id (`x-org-id`).
    public var organization: String
    /// SuperWaba's login for the password grant.
    public var email: String
    public var password: String
    /// Lifetime of SuperWaba access tokens.
    public var tokenLifetimeSeconds: Int
    /// Waply's defined custom fields; empty accepts any key.
    public var customFields: [String]
    /// Waply's status for a duplicate phone: 409 (default) or 422.
    public var duplicateStatus: Int
    /// The vendor's published limit unless set; `nil` switches rate limiting off.
    public var rateLimit: RateLimit?
    /// How long a Qlara export stays PENDING.
    public var exportReadyAfterMilliseconds: Int
    /// How long a Qlara export's download URL works.
    public var exportURLLifetimeSeconds: Int
    /// Faults in force from the start.
    public var faults: FaultPlan
    /// Drives ids, seeded contacts and fault dice, so a run can be repeated exactly.
    public var randomSeed: UInt64
    /// A SQLite file that keeps the store across restarts; `nil` keeps it in memory only.
    public var stateFile: String?

    public init(
        dialect: Dialect, token: String = "sim-token",
        organization: String = "org-00000000-0000-4000-8000-000000000001",
        email: String = "owner@example.com", password: String = "sim-password",
        tokenLifetimeSeconds: Int = 3600,
        customFields: [String] = [], duplicateStatus: Int = 409,
        exportReadyAfterMilliseconds: Int = 500, exportURLLifetimeSeconds: Int = 900,
        faults: FaultPlan = FaultPlan(),
        randomSeed: UInt64 = 1, stateFile: String? = nil
    ) {
        self.dialect = dialect
        self.token = token
        self.organization = organization
        self.email = email
        self.password = password
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.customFields = customFields
        self.duplicateStatus = duplicateStatus
        self.rateLimit = dialect.defaultRateLimit
        self.exportReadyAfterMilliseconds = exportReadyAfterMilliseconds
        self.exportURLLifetimeSeconds = exportURLLifetimeSeconds
        self.faults = faults
        self.randomSeed = randomSeed
        self.stateFile = stateFile
    }
}
