import ArgumentParser

@main
struct PHSCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phs-check",
        abstract: "Find the users whose on-premises password changes never reached Entra ID."
    )
}
