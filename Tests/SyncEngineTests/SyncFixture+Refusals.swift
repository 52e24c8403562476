import JSON
import SQLite
import TestSupport

extension SyncFixture {
    /// A vendor contact, Eve at +254700000005, that the CRM table refuses to take (a trigger
    /// aborts her insert): the next cycle records her as not synced under the vendor's id.
    func addVendorContactTheCRMRefuses() throws {
        try crm.execute(
            "CREATE TRIGGER no_eve BEFORE INSERT ON customers WHEN NEW.full_name = 'Eve' BEGIN SELECT RAISE(ABORT, 'no Eve here'); END"
        )
        try sim.control("POST", "/contacts", json: ["name": "Eve", "phone": "+254700000005"])
    }
}
