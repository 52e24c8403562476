import SyncdCLI

#if canImport(Glibc)
    import Glibc
#endif

/// `syncd`: everything is in SyncdCLI; this only runs it and exits with its code.
let code = await Syncd.main(arguments: Array(CommandLine.arguments.dropFirst()))
exit(code.rawValue)
