public import Foundation

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Whom a server's X.509 certificate is for, who issued it and when it is valid: what is
/// needed to explain a failed TLS handshake, read from the DER (`LDAP_OPT_X_TLS_PEERCERT`) with
/// a minimal reader (RFC 5280 4.1: tbsCertificate's issuer, validity, subject and the
/// subjectAltName extension). Nothing is verified: this only describes.
public struct TLSCertificate: Sendable, Hashable {
    /// The subject's common names (CN), in the order the certificate gives them.
    public var subjectCommonNames: [String]
    /// The subjectAltName dNSName entries.
    public var dnsNames: [String]
    /// The subjectAltName iPAddress entries, as text (`192.0.2.1`, `2001:db8:0:0:0:0:0:1`).
    public var ipAddresses: [String]
    /// The issuer's name, its attributes in the certificate's order (`O=Example, CN=Example CA`).
    public var issuer: String?
    /// notBefore ... notAfter.
    public var validity: ClosedRange<Date>?

    /// Every name the certificate is for: the subjectAltName DNS names and addresses, then the
    /// last subject CN when it is not among them.
    public var names: [String] {
        var names = dnsNames + ipAddresses
        if let cn = subjectCommonNames.last, !names.contains(where: { $0.caseInsensitiveCompare(cn) == .orderedSame }) {
            names.append(cn)
        }
        return names
    }

    /// Whether `host` (a DNS name or an address, as in the URL) is one the certificate is for,
    /// by libldap's rules (tls_g.c, `tlsg_session_chkhost`): a subjectAltName DNS name equal to
    /// it (ignoring case) or a wildcard `*.rest` where `rest` is what follows the host's first
    /// label; an iPAddress equal to an address; else the last subject CN, compared the same way.
    public func matches(host: String) -> Bool {
        if let address = Self.addressBytes(host) {
            if ipAddresses.contains(where: { Self.addressBytes($0) == address }) { return true }
        } else if dnsNames.contains(where: { Self.nameMatches($0, host: host) }) {
            return true
        }
        return subjectCommonNames.last.map { Self.nameMatches($0, host: host) } ?? false
    }

    /// `notBefore` and `notAfter` as ISO 8601 UTC text, for messages.
    public var notBeforeText: String? { validity.map { Self.text($0.lowerBound) } }
    public var notAfterText: String? { validity.map { Self.text($0.upperBound) } }

    public init(subjectCommonNames: [String], dnsNames: [String] = [], ipAddresses: [String] = [],
                issuer: String? = nil, validity: ClosedRange<Date>? = nil) {
        self.subjectCommonNames = subjectCommonNames
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.issuer = issuer
        self.validity = validity
    }

    /// Reads a DER certificate; nil when it is not one (or uses what this reader does not know).
    public init?(der: Data) {
        var outer = DERReader(Array(der)[...])
        guard let certificate = outer.next(), certificate.tag == 0x30 else { return nil }
        var parts = DERReader(certificate.value)
        guard let tbs = parts.next(), tbs.tag == 0x30 else { return nil }
        var fields = DERReader(tbs.value)
        var field = fields.next()
        if field?.tag == 0xA0 { field = fields.next() } // [0] version
        guard field?.tag == 0x02, // serialNumber
            fields.next()?.tag == 0x30, // signature AlgorithmIdentifier
            let issuer = fields.next(), issuer.tag == 0x30,
            let validity = fields.next(), validity.tag == 0x30,
            let subject = fields.next(), subject.tag == 0x30,
            fields.next()?.tag == 0x30 // subjectPublicKeyInfo
        else { return nil }

        subjectCommonNames = Self.attributes(of: subject.value).filter { $0.type == "CN" }.map(\.value)
        let issuerText = Self.attributes(of: issuer.value).map { "\($0.type)=\($0.value)" }.joined(separator: ", ")
        self.issuer = issuerText.isEmpty ? nil : issuerText
        var times = DERReader(validity.value)
        if let notBefore = times.next().flatMap(Self.time), let notAfter = times.next().flatMap(Self.time), notBefore <= notAfter {
            self.validity = notBefore...notAfter
        }
        dnsNames = []
        ipAddresses = []
        // [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions.
        while let optional = fields.next() {
            guard optional.tag == 0xA3 else { continue }
            var wrapper = DERReader(optional.value)
            guard let list = wrapper.next(), list.tag == 0x30 else { break }
            var extensions = DERReader(list.value)
            while let `extension` = extensions.next() {
                var items = DERReader(`extension`.value)
                guard let oid = items.next(), oid.tag == 0x06, Array(oid.value) == [0x55, 0x1D, 0x11] else { continue }
                var value = items.next()
                if value?.tag == 0x01 { value = items.next() } // critical
                guard let value, value.tag == 0x04 else { continue }
                var san = DERReader(value.value)
                guard let generalNames = san.next(), generalNames.tag == 0x30 else { continue }
                var names = DERReader(generalNames.value)
                while let name = names.next() {
                    switch name.tag {
                    case 0x82: // [2] dNSName, IA5String
                        dnsNames.append(String(decoding: name.value, as: UTF8.self))
                    case 0x87: // [7] iPAddress
                        if let text = Self.addressText(Array(name.value)) { ipAddresses.append(text) }
                    default:
                        break
                    }
                }
            }
        }
    }

    // MARK: - Reading

    /// The attributes of a Name (a SEQUENCE OF SET OF AttributeTypeAndValue) whose type has a
    /// short name here, in order.
    private static func attributes(of name: ArraySlice<UInt8>) -> [(type: String, value: String)] {
        var result: [(type: String, value: String)] = []
        var sets = DERReader(name)
        while let set = sets.next() {
            guard set.tag == 0x31 else { continue }
            var pairs = DERReader(set.value)
            while let pair = pairs.next() {
                var items = DERReader(pair.value)
                guard pair.tag == 0x30, let oid = items.next(), oid.tag == 0x06, let type = shortNames[Array(oid.value)],
                    let value = items.next(), let text = string(value)
                else { continue }
                result.append((type, text))
            }
        }
        return result
    }

    /// The attribute types a message may show, by their OID's DER bytes.
    private static let shortNames: [[UInt8]: String] = [
        [0x55, 0x04, 0x03]: "CN", [0x55, 0x04, 0x0A]: "O", [0x55, 0x04, 0x0B]: "OU",
        [0x55, 0x04, 0x06]: "C", [0x55, 0x04, 0x07]: "L", [0x55, 0x04, 0x08]: "ST",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19]: "DC",
    ]

    /// A directory string: UTF8String, PrintableString, IA5String, TeletexString (read as
    /// Latin-1), BMPString (UTF-16BE), UniversalString (UTF-32BE).
    private static func string(_ element: DERReader.Element) -> String? {
        let bytes = Array(element.value)
        switch element.tag {
        case 0x0C, 0x13, 0x16, 0x12: return String(decoding: bytes, as: UTF8.self)
        case 0x14: return String(bytes.map { Character(Unicode.Scalar($0)) })
        case 0x1E: return String(data: Data(bytes), encoding: .utf16BigEndian)
        case 0x1C: return String(data: Data(bytes), encoding: .utf32BigEndian)
        default: return nil
        }
    }

    /// UTCTime (`YYMMDDHHMMSSZ`, years 50–99 are 19xx) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
    private static func time(_ element: DERReader.Element) -> Date? {
        let text = String(decoding: element.value, as: UTF8.self)
        guard text.hasSuffix("Z") else { return nil }
        var digits = Array(text.dropLast())
        switch (element.tag, digits.count) {
        case (0x17, 12):
            guard let yy = Int(String(digits[0..<2])) else { return nil }
            digits = Array(String(yy < 50 ? 2000 + yy : 1900 + yy)) + digits[2...]
        case (0x18, 14):
            break
        default:
            return nil
        }
        func number(_ range: Range<Int>) -> Int? { Int(String(digits[range])) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(8..<10), let minute = number(10..<12), let second = number(12..<14)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))
    }

    private static func text(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    // MARK: - Matching

    private static func nameMatches(_ name: String, host: String) -> Bool {
        if name.caseInsensitiveCompare(host) == .orderedSame { return true }
        // "*.example.com" matches "dc1.example.com" (one label), as libldap does.
        guard name.hasPrefix("*."), let dot = host.firstIndex(of: ".") else { return false }
        return String(name.dropFirst()).caseInsensitiveCompare(String(host[dot...])) == .orderedSame
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text (inet_pton(3)), or nil for a name.
    static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    private static func addressText(_ bytes: [UInt8]) -> String? {
        switch bytes.count {
        case 4:
            return bytes.map(String.init).joined(separator: ".")
        case 16:
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        default:
            return nil
        }
    }
}

/// Reads DER elements one after another (X.690: one-byte tags, definite lengths of up to four
/// bytes). Stops (returns nil) at the end or at anything else.
struct DERReader {
    typealias Element = (tag: UInt8, value: ArraySlice<UInt8>)
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
    }

    mutating func next() -> Element? {
        var index = bytes.startIndex
        guard index < bytes.endIndex else { return nil }
        let tag = bytes[index]
        guard tag & 0x1F != 0x1F else { return nil } // a multi-byte tag
        index += 1
        guard index < bytes.endIndex else { return nil }
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), bytes.endIndex - index >= count else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        guard bytes.endIndex - index >= length else { return nil }
        let value = bytes[index..<(index + length)]
        bytes = bytes[(index + length)...]
        return (tag, value)
    }
}
