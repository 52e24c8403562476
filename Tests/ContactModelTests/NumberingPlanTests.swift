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
}
