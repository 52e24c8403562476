import Configuration
import ContactsSim
import Foundation
import JSON
import SQLite
import SyncEngine
import SyncdCLI
import TestSupport
import Testing

/// A CRM's phones as people typed them, in a real first sync: each matches its own vendor
/// contact, nothing invalid reaches the vendor, and the owner is told what was refused or
/// dropped.
@Suite struct TypedPhoneSyncTests {
    @Test func typedNumbersMatchTheirVendorContactsAndNothingInvalidIsPushed() async throws {
        let fixture = try SyncFixture()
        for (phone, name) in [
            ("+254712345678", "Kenyan"), ("+442079460958", "Londoner"), ("+12024561111", "Washington"),
            ("+5491123456789", "Porteño"),
        ] {
            try fixture.sim.control(
                "POST", "/contacts", json: ["phone": .string(phone), "name": .string(name)])
        }
        try fixture.crm.run(
            """
            INSERT INTO customers (mobile, full_name) VALUES
                ('254712345678', 'Kenyan'), ('+44 (0)20 7946 0958', 'Londoner'), ('000 1 202 456 1111 x42', 'Washington'),
                ('+54 9 11 2345-6789', 'Porteño'), ('0712 34', 'Too short'), ('(123) 456-7890', 'Unassigned')
            """)
        let report = try await fixture.sync()
        #expect(report.remote.created == 0, "matched, not created again: \(report.planLines)")
        #expect(report.local.created == 0)
        #expect(report.skipped["invalid phone"] == 2)
        let remote = try fixture.remoteContacts()
        #expect(remote.count == 4, "no second contact, and nothing invalid pushed")

        try fixture.writeConfig()
        let console = CapturedConsole()
        _ = await Syncd.main(
            arguments: ["status", "--config", fixture.configPath], environment: ["SYNCD_TOKEN": "sim-token"],
            console: console)
        #expect(console.stdout.contains("too short for Kenya"))
        #expect(console.stdout.contains("not a number in use in Kenya"))
        #expect(console.stdout.contains("extension 42 dropped"))
        #expect(try await fixture.sync().wroteNothing)
    }
}
