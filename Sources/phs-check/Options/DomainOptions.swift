import ArgumentParser

/// How a run of several domains reads them (docs/COMMANDS.md "Several domains").
struct DomainOptions: ParsableArguments {
    @Flag(name: .customLong("allow-partial"), help: ArgumentHelp(
        "When a domain cannot be read (its DCs unreachable, the bind refused), go on with the others: the missing domain is reported as a domain-unreachable finding and its cloud users are not judged. Without it such a run fails (exit 3)."))
    var allowPartial = false

    @Option(name: .customLong("parallel-domains"), help: ArgumentHelp(
        "Read at most this many domains at the same time (the config file's domains:).", valueName: "n"))
    var parallel = 4

    func validate() throws {
        guard (1...64).contains(parallel) else {
            throw ValidationError("--parallel-domains \(parallel): choose 1 to 64")
        }
    }
}
