import Foundation
import Testing

/// Every cloud export that cannot be read right, used through the CLI (`compare`): a clear
/// message naming the file (and line or offset where there is one), exit 2, and no report.
@Suite struct CloudCLITests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("CloudExportTests/Fixtures")

    /// A one-user snapshot, as `collect` writes it.
    static let snapshot: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cloud-cli-\(UUID().uuidString).jsonl").path
        let text = """
            {"baseDN":"DC=corp,DC=contoso,DC=com","collectedAt":"2024-07-02T00:00:00Z","kind":"phs-check/ad-snapshot","server":"ldaps://dc1.corp.contoso.com","version":2}
            {"accountExpires":null,"adminDescription":null,"consistencyGuid":null,"distinguishedName":"CN=Alice Martin,OU=Staff,DC=corp,DC=contoso,DC=com","enabled":true,"flags":["NORMAL_ACCOUNT"],"lockedOut":false,"mustChangePassword":false,"objectGUID":"62a29e84-3449-496d-9418-ed9ad734d684","objectGUIDBase64":"hJ6iYkk0bUmUGO2a1zTWhA==","objectSid":"S-1-5-21-3623811015-3361044348-30300820-1103","passwordExpired":false,"pwdLastSet":"2023-11-14T22:13:20Z","pwdLastSetRaw":"133444208000000000","samAccountName":"alice","uSNChanged":1,"unicodePwdLastChanged":"2023-11-14T22:13:20Z","userAccountControl":512,"userPrincipalName":"alice@corp.contoso.com","whenChanged":"2023-11-14T22:13:20Z"}
            {"kind":"phs-check/ad-snapshot-end","users":1}

            """
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var mentions: [String]
        var extra: [String] = []
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "truncated.json", mentions: ["truncated.json", "line"]),
        Case(file: "malformed.json", mentions: ["malformed.json", "line"]),
        Case(file: "trailing-garbage.json", mentions: ["trailing-garbage.json"]),
        Case(file: "empty.json", mentions: ["empty.json", "empty"]),
        Case(file: "no-users.json", mentions: ["no-users.json"]),
        Case(file: "invalid-utf8.json", mentions: ["invalid-utf8.json", "byte"]),
        Case(file: "truncated-utf16le.json", mentions: ["truncated-utf16le.json"]),
        Case(file: "plain-text.txt", mentions: ["plain-text.txt"]),
        Case(file: "organization-as-cloud.json", mentions: ["--tenant"]),
        Case(file: "admin-center-download.csv", mentions: ["admin-center-download.csv", "Get-MgUser"]),
        Case(file: "ambiguous-dates.csv", mentions: ["ambiguous-dates.csv", "--cloud-date-format"], extra: ["--cloud-timezone", "Europe/Amsterdam"]),
        Case(file: "unterminated-quote.csv", mentions: ["unterminated-quote.csv", "line"]),
        Case(file: "wrong-field-count.csv", mentions: ["wrong-field-count.csv", "line"]),
        Case(file: "incomplete-pages.json", mentions: ["incomplete-pages.json", "nextLink"]),
    ]

    @Test("A bad export exits 2 with a message naming the file, and prints no report", arguments: cases)
    func refused(_ c: Case) throws {
        let path = Self.fixtures.appendingPathComponent("errors/\(c.file)").path
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path, "--format", "json"] + c.extra)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty, "a refused export must not print a report")
        for text in c.mentions { #expect(result.stderr.contains(text), "\(result.stderr)") }
    }

    @Test("A value the error quotes is made safe for the terminal: escape sequences and bidi overrides become U+FFFD")
    func hostileValueInError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).json").path
        let hostile = "2024\\u001b]0;owned\\u0007\\u001b[2J\\u202egpj.exe"
        try #"{"value":[{"id":"1","userPrincipalName":"alice@corp.contoso.com","lastPasswordChangeDateTime":"\#(hostile)"}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.unicodeScalars.contains { [0x1B, 0x07, 0x202E].contains($0.value) }, "\(result.stderr)")
        #expect(result.stderr.contains("\u{FFFD}"), "\(result.stderr)")
    }

    @Test("A CSV export without --cloud-timezone is refused with the option to set")
    func csvNeedsTimeZone() throws {
        let path = Self.fixtures.appendingPathComponent("valid/mg-csv-en-us.csv").path
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--cloud-timezone"))
        let ok = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path, "--cloud-timezone", "Europe/Amsterdam", "--format", "json", "--fail-on", "never"])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test("A bad option value exits 2 naming the option", arguments: [
        (["--cloud-format", "xml"], "--cloud-format"), (["--grace", "soon"], "--grace"),
        (["--as-of", "yesterday"], "--as-of"), (["--cloud-timezone", "Mars/Olympus"], "--cloud-timezone"),
    ])
    func badOption(_ extra: [String], _ option: String) throws {
        let path = Self.fixtures.appendingPathComponent("valid/graph-response.json").path
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path] + extra)
        #expect(result.status == 2)
        #expect(result.stderr.contains(option), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("A duration without its unit is refused, asking for the unit; compound durations are read", arguments: [
        (["--grace", "3"], "--grace 3: write a duration such as 90s, 30m, 2h, 1d or 1h30m (a number alone has no unit: 3s, 3m, 3h or 3d?)"),
        (["--max-skew", "5"], "--max-skew 5: write a duration"),
        (["--max-export-age", "1m2h"], "--max-export-age 1m2h: write a duration"),
        (["--grace", "2x"], "--grace 2x: write a duration"),
    ])
    func durations(_ extra: [String], _ message: String) throws {
        let path = Self.fixtures.appendingPathComponent("valid/graph-response.json").path
        let refused = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path] + extra)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains(message), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
    }

    @Test("1h30m and 1d 12h are durations, and the table shows them back in that form; --fail-on warnings means warning")
    func compoundDurations() throws {
        let path = Self.fixtures.appendingPathComponent("valid/graph-response.json").path
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path, "--grace", "1h30m",
                                                 "--max-skew", "0s", "--max-export-age", "1d 12h", "--fail-on", "warnings"])
        #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
        let table = String(decoding: result.stdout, as: UTF8.self)
        #expect(table.contains("grace 1h30m, max skew 0s"), "\(table)")
        let plural = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path, "--fail-on", "errors", "--format", "json"])
        #expect(plural.status != 2, "\(plural.stderr)")
        let wrong = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", path, "--fail-on", "nevers"])
        #expect(wrong.status == 2)
    }

    @Test("A damaged snapshot names its file and line")
    func badSnapshot() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).jsonl").path
        // The damaged line goes before the closing line: line 3.
        let lines = try String(contentsOfFile: Self.snapshot, encoding: .utf8).split(separator: "\n").map(String.init)
        try (lines.dropLast() + ["{\"distinguishedName\": 5}", lines.last ?? ""]).joined(separator: "\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", path, "--cloud", Self.fixtures.appendingPathComponent("valid/graph-response.json").path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(path) && result.stderr.contains("line 3"), "\(result.stderr)")
    }

    @Test("A snapshot cut short (no closing line) is refused with how many users it held, never compared")
    func truncatedSnapshot() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString).jsonl").path
        let lines = try String(contentsOfFile: Self.snapshot, encoding: .utf8).split(separator: "\n").map(String.init)
        try (lines.dropLast().joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let result = try CommandRunner.phsCheck(["compare", "--snapshot", path, "--cloud", Self.fixtures.appendingPathComponent("valid/graph-response.json").path,
                                                 "--format", "json"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("ends after 1 user without its closing line"), "\(result.stderr)")
    }

    @Test("--output naming an input (directly or through a symbolic link) is refused, and the input stays as it was")
    func outputNamingAnInput() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("inputs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let snapshot = folder + "/snapshot.jsonl", cloud = folder + "/users.json"
        try FileManager.default.copyItem(atPath: Self.snapshot, toPath: snapshot)
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("valid/graph-response.json").path, toPath: cloud)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.json", withDestinationPath: cloud)
        let before = try Data(contentsOf: URL(fileURLWithPath: cloud))
        for (output, option) in [(snapshot, "--snapshot"), (cloud, "--cloud"), (folder + "/link.json", "--cloud"), (folder + "/./users.json", "--cloud")] {
            let result = try CommandRunner.phsCheck(["compare", "--snapshot", snapshot, "--cloud", cloud, "--output", output])
            #expect(result.status == 2, "\(output)")
            #expect(result.stderr.contains("is the file given to \(option)"), "\(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: cloud)) == before)
        #expect(try String(contentsOfFile: snapshot, encoding: .utf8) == String(contentsOfFile: Self.snapshot, encoding: .utf8))
        // Another file, and /dev/null, are fine.
        let ok = try CommandRunner.phsCheck(["compare", "--snapshot", snapshot, "--cloud", cloud, "--output", folder + "/report.txt", "--fail-on", "never"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let null = try CommandRunner.phsCheck(["compare", "--snapshot", snapshot, "--cloud", cloud, "--output", "/dev/null", "--fail-on", "never"])
        #expect(null.status == 0, "\(null.stderr)")
    }

    @Test("Endless or binary inputs are refused within their limits, with little memory: --cloud /dev/zero, --snapshot /dev/zero, zeros and blanks on standard input")
    func endlessInputs() throws {
        let graph = Self.fixtures.appendingPathComponent("valid/graph-response.json").path
        let zeroCloud = try CommandRunner.phsCheck(["compare", "--snapshot", Self.snapshot, "--cloud", "/dev/zero"], measureMemory: true)
        #expect(zeroCloud.status == 2)
        #expect(zeroCloud.stderr.contains("/dev/zero") && zeroCloud.stderr.contains("NUL"), "\(zeroCloud.stderr)")
        #expect((zeroCloud.peakKiB ?? .max) < 100_000)
        let zeroSnapshot = try CommandRunner.phsCheck(["compare", "--snapshot", "/dev/zero", "--cloud", graph], measureMemory: true)
        #expect(zeroSnapshot.status == 2)
        #expect(zeroSnapshot.stderr.contains("line 1 runs past 1 MiB without ending") && zeroSnapshot.stderr.contains("--max-record-size"), "\(zeroSnapshot.stderr)")
        #expect((zeroSnapshot.peakKiB ?? .max) < 100_000)
        // 300 MB of zeros, and 20 MB of blanks (recorded while the format is unknown), on standard input.
        let stdin = try CommandRunner.run("/bin/bash", ["-c", """
            head -c 300000000 /dev/zero | '\(CommandRunner.phsCheck)' compare --snapshot '\(Self.snapshot)' --cloud - 2>&1; echo "exit $?"
            head -c 20000000 /dev/zero | tr '\\0' ' ' | /usr/bin/time -f 'peak %M' '\(CommandRunner.phsCheck)' compare --snapshot '\(Self.snapshot)' --cloud - --max-input-size 1MiB 2>&1; echo "exit $?"
            """])
        let lines = stdin.output.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0 == "exit 2" }.count == 2, "\(stdin.output)")
        #expect(stdin.output.contains("NUL"))
        #expect(stdin.output.contains("more than --max-input-size 1 MiB"))
        let peak = lines.first { $0.hasPrefix("peak ") }.flatMap { Int($0.dropFirst(5)) }
        #expect((peak ?? .max) < 100_000, "\(stdin.output)")
    }
}
