// swift-tools-version:6.0
import PackageDescription

/// Settings every Swift target shares: strict concurrency is the language mode's default in
/// Swift 6; these upcoming features keep the code honest about imports and existentials.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

var package = Package(
    name: "syncd",
    products: [
        .executable(name: "syncd", targets: ["syncd"]),
        .executable(name: "contacts-sim", targets: ["contacts-sim"]),
        .library(name: "ContactsSim", targets: ["ContactsSim"]),
    ],
    targets: [
        // MARK: - C
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),

        // MARK: - Foundations shared by syncd and the emulator
        .target(name: "JSON"),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "HTTPServer"),
        .target(name: "ContactModel", dependencies: ["JSON"]),
        .target(name: "Vendors"),

        // MARK: - syncd
        .target(name: "Configuration", dependencies: ["ContactModel", "JSON", "Vendors"]),
        .target(name: "RemoteAPI", dependencies: ["Configuration", "ContactModel", "JSON", "Vendors"]),
        .target(name: "LocalStore", dependencies: ["Configuration", "ContactModel", "JSON", "SQLite"]),
        .target(name: "SyncEngine", dependencies: ["Configuration", "ContactModel", "JSON", "LocalStore", "RemoteAPI", "SQLite", "Vendors"]),
        .target(name: "Daemon", dependencies: ["Configuration", "ContactModel", "JSON", "LocalStore", "RemoteAPI", "SyncEngine", "Vendors"]),
        .target(name: "SyncdCLI", dependencies: ["Configuration", "ContactModel", "ContactsSim", "Daemon", "JSON", "LocalStore", "RemoteAPI", "SQLite", "SyncEngine", "Vendors"]),
        .executableTarget(name: "syncd", dependencies: ["SyncdCLI"]),

        // MARK: - The emulator of the vendor APIs
        .target(name: "ContactsSim", dependencies: ["JSON", "SQLite", "HTTPServer", "ContactModel"]),
        .executableTarget(name: "contacts-sim", dependencies: ["ContactsSim"]),

        // MARK: - Tests
        .target(name: "TestSupport", dependencies: ["JSON", "ContactsSim"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "SQLiteTests", dependencies: ["SQLite"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "TestSupport"]),
        .testTarget(name: "ContactModelTests", dependencies: ["ContactModel", "JSON"], exclude: ["phone-corpus.tsv"]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration", "ContactModel", "JSON", "Vendors"]),
        .testTarget(
            name: "SyncEngineTests",
            dependencies: [
                "SyncEngine", "SyncdCLI", "ContactsSim", "Configuration", "ContactModel", "Daemon", "JSON", "LocalStore", "RemoteAPI",
                "SQLite", "TestSupport", "Vendors",
            ]),
        .testTarget(
            name: "ContactsSimTests", dependencies: ["ContactsSim", "JSON", "HTTPServer", "ContactModel", "SQLite", "TestSupport"]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
