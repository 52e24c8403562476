import Foundation
import Testing

@testable import ContactModel

/// The generated numbering plans: every country's, whole and usable.
@Suite struct NumberingPlanTests {
    @Test func everyCountrysPatternsCompile() {
        let plans = NumberingPlan.byCountry.values
        #expect(plans.count >= 240)
        // Compiled on first use in syncd, so a pattern ICU refuses would only show when a
        // number of that country is read: every one is compiled here.
        for plan in plans {
            let patterns = [
                plan.general, plan.inUse, plan.internationalPrefix, plan.nationalPrefixForParsing,
            ]
            for pattern in patterns.compactMap({ $0 }) {
                #expect(pattern.compiles, "\(plan.country): \(pattern.source)")
            }
        }
    }

    @Test func theVersionIsTheMetadataReleaseTheTablesCameFrom() throws {
        let generated = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/ContactModel/NumberingPlans.swift").standardized
        let header = try String(contentsOf: generated, encoding: .utf8).prefix(200)
        let version = PhoneNumber.numberingPlansVersion
        #expect(version.split(separator: ".").count == 3 && version.allSatisfy { $0.isNumber || $0 == "." })
        #expect(header.contains("from libphonenumber \(version) metadata"))
    }
}
