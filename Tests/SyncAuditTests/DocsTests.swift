import Foundation
import SyncAudit
import Testing

/// The contract lists what the catalogue holds: every finding code in the findings table of
/// docs/FINDINGS.md and in the README's, once each, with the catalogue's severity (and scope).
@Suite("The findings tables of the docs match the catalogue")
struct DocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The rows `| \`code\` | severity | ...` of a Markdown file, split into cells.
    static func rows(_ file: String) throws -> [[String]] {
        let text = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> [String]? in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 3, let code = FindingCode(rawValue: cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))),
                  Severity(rawValue: cells[2]) != nil else { return nil }
            return [code.rawValue] + cells[2...].map { $0 }
        }
    }

    @Test("Every code once, with its severity (and in FINDINGS.md its scope)", arguments: ["docs/FINDINGS.md", "README.md"])
    func table(file: String) throws {
        let rows = try Self.rows(file)
        #expect(rows.map { $0[0] }.sorted() == FindingCode.allCases.map(\.rawValue).sorted(), "\(file)")
        for row in rows {
            let code = FindingCode(rawValue: row[0])!
            #expect(row[1] == code.severity.rawValue, "\(file): \(code)")
            if file == "docs/FINDINGS.md" { #expect(row[2] == code.scope.rawValue, "\(file): \(code)") }
        }
    }
}
