import Foundation
import Testing

/// OpenLDAP's own `ldapsearch`, as the independent reference for what the DC holds.
enum LDAPSearch {
    struct StaffEntry {
        var dn: String
        var samAccountName: String
        var userPrincipalName: String?
        var objectGUIDBase64: String
        var pwdLastSet: String
        var userAccountControl: String
        /// From the DC's extended DN (control 1.2.840.113556.1.4.529): `<GUID=...>;<SID=...>;DN`.
        var extendedGUID: String
        var extendedSID: String
    }

    /// The users under OU=Staff, with the extended DN control so the DC itself spells out the
    /// GUID and SID in text form.
    static func staff(_ dc: TestDirectory) throws -> [StaffEntry] {
        let password = FileManager.default.temporaryDirectory.appendingPathComponent("ldapsearch-\(UUID().uuidString)").path
        try dc.password.write(toFile: password, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: password) }
        let result = try CommandRunner.run("/usr/bin/ldapsearch", [
            "-LLL", "-o", "ldif-wrap=no", "-x", "-H", dc.url, "-D", dc.bindDN, "-y", password,
            "-b", "OU=Staff,\(dc.baseDN)", "-E", "!1.2.840.113556.1.4.529=::MAMCAQE=",
            "(&(objectCategory=person)(objectClass=user))",
            "sAMAccountName", "userPrincipalName", "objectGUID", "pwdLastSet", "userAccountControl",
        ], environment: ["LDAPTLS_CACERT": dc.caFile])
        try #require(result.status == 0, "ldapsearch failed: \(result.stderr)")
        return try parse(result.output).map { entry in
            let dn = try #require(entry["dn"]?.first)
            // <GUID=42a9ee8f-...>;<SID=S-1-5-21-...>;CN=alice.synced,OU=Staff,DC=phs,DC=test
            let parts = dn.components(separatedBy: ">;")
            let guid = try #require(parts.first { $0.hasPrefix("<GUID=") }).dropFirst(6)
            let sid = try #require(parts.first { $0.hasPrefix("<SID=") }).dropFirst(5)
            return StaffEntry(
                dn: try #require(parts.last),
                samAccountName: try #require(entry["samaccountname"]?.first),
                userPrincipalName: entry["userprincipalname"]?.first,
                objectGUIDBase64: try #require(entry["objectguid"]?.first),
                pwdLastSet: try #require(entry["pwdlastset"]?.first),
                userAccountControl: try #require(entry["useraccountcontrol"]?.first),
                extendedGUID: String(guid),
                extendedSID: String(sid))
        }
    }

    /// Unwrapped LDIF (`-o ldif-wrap=no`): attribute names lower-cased; `name:: base64` values of
    /// binary attributes are kept in base64, text values decoded.
    static func parse(_ ldif: String) throws -> [[String: [String]]] {
        var entries: [[String: [String]]] = []
        for block in ldif.components(separatedBy: "\n\n") where !block.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            var entry: [String: [String]] = [:]
            for line in block.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                var value = line[line.index(after: colon)...]
                if value.hasPrefix(":") {
                    value = value.dropFirst().drop { $0 == " " }
                    let binary = ["objectguid", "objectsid"].contains(name)
                    if !binary, let data = Data(base64Encoded: String(value)), let text = String(data: data, encoding: .utf8) {
                        entry[name, default: []].append(text)
                        continue
                    }
                } else {
                    value = value.drop { $0 == " " }
                }
                entry[name, default: []].append(String(value))
            }
            entries.append(entry)
        }
        return entries
    }
}

/// Validates documents against the package's JSON Schemas in docs/schema (or
/// PHS_CHECK_SCHEMA_DIR) with Python's `jsonschema` (Debian's python3-jsonschema).
enum SchemaValidator {
    static let schemaFolder: String = {
        if let path = ProcessInfo.processInfo.environment["PHS_CHECK_SCHEMA_DIR"] { return path }
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return package.appendingPathComponent("docs/schema").path
    }()

    static let script = """
        import glob, json, os, sys
        from jsonschema import Draft202012Validator, RefResolver
        folder, header_name, line_name, trailer_name, path = sys.argv[1:6]
        # Every schema of the folder by its file name, so that "report.schema.json#/$defs/..." in
        # another schema resolves locally. A relative $id makes older jsonschema (4.10, Debian 12)
        # resolve "#/$defs/..." against it twice and fail, so the ids are dropped.
        store = {}
        for file in glob.glob(f"{folder}/*.schema.json"):
            schema = json.load(open(file))
            schema.pop("$id", None)
            store[os.path.basename(file)] = schema
        def validator(n):
            name = f"{n}.schema.json"
            Draft202012Validator.check_schema(store[name])
            return Draft202012Validator(store[name], resolver=RefResolver(base_uri=name, referrer=store[name], store=store))
        header = validator(header_name)
        line = validator(line_name) if line_name != "-" else None
        trailer = validator(trailer_name) if trailer_name != "-" else None
        errors = []
        with open(path) as f:
            texts = f.read().splitlines()
        for number, text in enumerate(texts, 1):
                validator = header if number == 1 or line is None else trailer if trailer and number == len(texts) else line
                for e in validator.iter_errors(json.loads(text)):
                    errors.append(f"line {number}: {e.message} at {list(e.path)}")
        print("\\n".join(errors[:20]))
        sys.exit(1 if errors else 0)
        """

    /// JSON Lines: the first line against `header`, the last against `trailer`, the rest against `line`.
    static func validate(jsonLines text: String, header: String, line: String, trailer: String) throws {
        try run(text, header, line, trailer)
    }

    /// One JSON document against `schema`.
    static func validate(json text: String, schema: String) throws {
        let compact = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: Data(text.utf8)))
        try run(String(decoding: compact, as: UTF8.self), schema, "-", "-")
    }

    private static func run(_ text: String, _ first: String, _ rest: String, _ last: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("doc-\(UUID().uuidString).json").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try CommandRunner.run("/usr/bin/python3", ["-c", script, schemaFolder, first, rest, last, file])
        #expect(result.status == 0, "schema \(first): \(result.output) \(result.stderr)")
    }
}
