/// syncd's exit codes: sysexits where one fits, and two of its own for outcomes a script
/// must tell apart from failure.
public enum ExitCode: Int32, Sendable {
    case success = 0
    /// Synced, but the vendor refused some contacts (see the notes, or `syncd status`).
    case partial = 2
    /// Stopped by the mass-delete guard; nothing was changed.
    case deleteGuard = 3
    /// EX_USAGE: the command line is wrong.
    case usage = 64
    /// EX_UNAVAILABLE: the vendor could not be reached or kept failing.
    case unavailable = 69
    /// EX_SOFTWARE: the vendor's answers cannot be trusted (a listing that repeats itself).
    case software = 70
    /// EX_CANTCREAT: a database could not be written (read-only, disk full).
    case cannotWrite = 73
    /// EX_TEMPFAIL: try again later (another syncd holds the state file).
    case temporaryFailure = 75
    /// EX_NOPERM: the vendor refused the credential.
    case credentialRefused = 77
    /// EX_CONFIG: the configuration is wrong.
    case configuration = 78
}

/// A command's helper steps end it by throwing (or failing with) the code it exits with.
extension ExitCode: Error {}
