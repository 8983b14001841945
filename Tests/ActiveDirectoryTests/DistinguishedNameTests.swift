import Testing
@testable import ActiveDirectory

@Suite("Distinguished names")
struct DistinguishedNameTests {
    @Test func escapedComma() throws {
        let dn = try #require(DistinguishedName("CN=Smith\\, John,OU=Sales,DC=example,DC=com"))
        #expect(dn.rdns.count == 4)
        #expect(dn.firstValue == "Smith, John")
        #expect(dn.rdns[3] == [.init(type: "DC", value: "com")])
    }

    @Test(arguments: [
        ("CN=Zo\\C3\\AB,DC=x", "Zoë"),          // hex-escaped UTF-8
        ("CN=Zoë,DC=x", "Zoë"),
        ("CN=a\\2Cb,DC=x", "a,b"),
        ("CN=\\#1,DC=x", "#1"),
        ("CN=a\\ ,DC=x", "a "),                 // escaped trailing space stays
        ("CN = a , DC=x", "a"),                 // unescaped spaces around go
        ("CN=a\\+b,DC=x", "a+b"),
        ("CN=a\\\\b,DC=x", "a\\b"),
        ("CN=a+UID=b,DC=x", "a"),               // multi-valued RDN: first value
        ("CN=,DC=x", ""),
    ])
    func firstValue(text: String, value: String) throws {
        #expect(try #require(DistinguishedName(text)).firstValue == value)
    }

    @Test(arguments: ["CN", "CN=a\\", "CN=a\\4", "=a,DC=x", "CN=a,,DC=x", "CN=a,DC", ",DC=x"])
    func malformed(text: String) {
        #expect(DistinguishedName(text) == nil)
    }

    @Test func rootDN() throws {
        let root = try #require(DistinguishedName(""))
        #expect(root.rdns.isEmpty)
        #expect(try #require(DistinguishedName("DC=x")).isWithin(root))
    }

    @Test func comparisonIgnoresCaseAndSpacing() throws {
        let a = try #require(DistinguishedName("OU=Sales, DC=Example,DC=com"))
        let b = try #require(DistinguishedName("ou=sales,dc=example,dc=COM"))
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(try #require(DistinguishedName("CN=a+UID=b,DC=x")) == #require(DistinguishedName("uid=b+cn=a,dc=x")))
    }

    @Test func within() throws {
        let domain = try #require(DistinguishedName("DC=example,DC=com"))
        let sales = try #require(DistinguishedName("OU=Sales,DC=example,DC=com"))
        let other = try #require(DistinguishedName("DC=example,DC=org"))
        let lookalike = try #require(DistinguishedName("DC=myexample,DC=com"))
        #expect(sales.isWithin(domain))
        #expect(domain.isWithin(domain))
        #expect(!domain.isWithin(sales))
        #expect(!sales.isWithin(other))
        #expect(!lookalike.isWithin(domain))
    }
}
