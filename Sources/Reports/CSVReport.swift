public import SyncAudit
import Foundation

/// `--format csv`: one finding a row, for Excel. UTF-8 with a byte order mark (so Excel reads
/// accents right), CRLF line ends, RFC 4180 quoting, and cells that start like a formula
/// (`=`, `+`, `-`, `@`) prefixed with `'` so a crafted name cannot run in a spreadsheet.
/// The run's warnings come first, as rows of code `run-warning` and scope `run`, so that a
/// sheet filtered by code still shows them.
public enum CSVReport {
    public static func render(_ report: AuditReport, delimiter: UInt8 = UInt8(ascii: ",")) -> String {
        var text = ""
        write(report, delimiter: delimiter, to: &text)
        return text
    }

    /// Writes the report a row at a time. `delimiter` is `,`, or `;` or tab for Excel in
    /// cultures whose list separator is not a comma.
    public static func write(_ report: AuditReport, delimiter: UInt8 = UInt8(ascii: ","), to out: inout some TextOutputStream) {
        let separator = String(UnicodeScalar(delimiter))
        let cell = { (value: String) in Self.cell(value, delimiter: delimiter) }
        out.write("\u{FEFF}")
        let header = FindingFields(Finding(code: .notInCloud, message: "")).columns.map(\.0)
        out.write(header.joined(separator: separator) + "\r\n")
        for warning in report.warnings {
            out.write(header.map { column in
                switch column {
                case "severity": "warning"
                case "code": "run-warning"
                case "scope": "run"
                case "message": cell("\(warning.code.rawValue): \(warning.message)")
                default: ""
                }
            }.joined(separator: separator) + "\r\n")
        }
        for finding in report.findings {
            out.write(FindingFields(finding, waited: report.result.waited(finding)).columns.map { cell($0.1 ?? "") }.joined(separator: separator) + "\r\n")
        }
    }

    /// One cell: formula-like text defused with `'`, quoted when it holds a separator, a quote
    /// or a line break. Works on the UTF-8 bytes (all the characters it looks for are ASCII).
    static func cell(_ value: String, delimiter: UInt8 = UInt8(ascii: ",")) -> String {
        var text = value
        if let first = text.utf8.first, [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"),
                                         UInt8(ascii: "\t"), UInt8(ascii: "\r")].contains(first) {
            text = "'" + text
        }
        guard text.utf8.contains(where: { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
        else { return text }
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        for byte in text.utf8 {
            quoted.append(byte)
            if byte == UInt8(ascii: "\"") { quoted.append(byte) }
        }
        quoted.append(UInt8(ascii: "\""))
        return String(decoding: quoted, as: UTF8.self)
    }
}
