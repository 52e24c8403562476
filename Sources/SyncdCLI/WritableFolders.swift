import Configuration
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The folders of the two databases syncd writes, checked before a cycle: SQLite creates its
/// journal files (`-wal`, `-shm`, `-journal`) beside a database, so a folder it cannot write
/// fails even a database file that is itself writable, with SQLite's own words about a
/// "readonly database". This says which folder, and what to do.
enum WritableFolders {
    /// Why syncd cannot write beside one of its databases, or `nil` when it can.
    static func problem(_ configuration: SyncdConfiguration) -> String? {
        let databases = [
            ("the state file", configuration.sync.state, "sync.state"),
            ("the CRM database", configuration.local.database, "local.database"),
        ]
        for (what, file, key) in databases {
            let folder = (file as NSString).deletingLastPathComponent
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue,
                access(folder, W_OK) != 0
            else { continue }
            let reason = String(cString: strerror(errno))
            let name = (file as NSString).lastPathComponent
            return
                "the folder \(folder), which holds \(what) \(file) (\(key)), is not writable (\(reason)): SQLite creates its journal (\(name)-wal, \(name)-shm) beside the database, so syncd must be able to create files there. Make the folder writable for the user syncd runs as (under systemd: its ReadWritePaths= or StateDirectory=), or name a file in a writable folder in \(key)"
        }
        return nil
    }
}
