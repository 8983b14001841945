import LDAPClient
import SyncAudit
import Testing
@testable import ActiveDirectory

@Suite("User query and --filter")
struct UserQueryTests {
    @Test func defaultQuery() {
        let query = UserQuery.allUsers
        #expect(query.filter == "(&(objectCategory=person)(objectClass=user))")
        #expect(query.extraFilter == nil)
        #expect(query.attributes == [
            "distinguishedName", "sAMAccountName", "userPrincipalName", "objectGUID", "mS-DS-ConsistencyGuid",
            "objectSid", "pwdLastSet", "userAccountControl", "accountExpires", "msDS-User-Account-Control-Computed",
            "whenChanged", "uSNChanged", "adminDescription", "replPropertyMetaData", "objectClass",
        ])
    }

    @Test(arguments: [nil, "", "   "] as [String?])
    func noExtraFilter(text: String?) throws {
        #expect(try UserQuery(extraFilter: text) == .allUsers)
    }

    @Test func extraFilterIsANDed() throws {
        let query = try UserQuery(extraFilter: "(department=Sales)")
        #expect(query.filter == "(&(objectCategory=person)(objectClass=user)(department=Sales))")
    }

    @Test func bareItemIsWrapped() throws {
        let query = try UserQuery(extraFilter: " department=Sales ")
        #expect(query.extraFilter == "(department=Sales)")
        #expect(query.filter == "(&(objectCategory=person)(objectClass=user)(department=Sales))")
    }

    @Test(arguments: [
        "(!(userAccountControl:1.2.840.113556.1.4.803:=2))",
        "(&(|(department=Sales)(department=HR))(sn=A*))",
        "(memberOf=CN=PHS Pilot\\2c wave 1,OU=Groups,DC=example,DC=com)",
        "(cn=*)",
        "(cn=*a*b*)",
        "(displayName~=alice)",
        "(uSNChanged>=1000)",
        "(uSNChanged<=1000)",
        "(cn:dn:2.5.13.5:=Alice)",
        "(:dn:2.5.13.5:=Alice)",
        "(cn;lang-en=x)",
        "(2.5.4.3=x)",
        "(cn=\\28paren\\29)",
        "(&)",
        "(cn=Zoë)",
    ])
    func valid(filter: String) throws {
        #expect(try UserQuery(extraFilter: filter).extraFilter == filter)
    }

    @Test(arguments: [
        ("(department=Sales", "missing \")\""),
        ("department=Sales)", "unexpected text after the filter"),
        ("(a=b)(c=d)", "more than one filter"),
        ("((a=b))", "needs \"&\", \"|\" or \"!\""),
        ("()", "empty filter"),
        ("(&(a=b)", "missing \")\""),
        ("(!a=b)", "\"!\" must be followed"),
        ("(a=b\\zz)", "two hex digits"),
        ("(a=b\\)", "two hex digits"),
        ("(a=(b))", "unescaped \"(\""),
        ("(=b)", "missing attribute name"),
        ("(a)", "has no \"=value\""),
        ("(a~b)", "expected \"=\" after \"~\""),
        ("(a b=c)", "unexpected character"),
        ("(cn::=x)", "malformed extensible match"),
        ("(msDS-User-Account-Control-Computed:1.2.840.113556.1.4.803:=16)", "constructed"),
        ("(msds-user-account-control-computed=16)", "constructed"),
    ])
    func invalid(filter: String, reason: String) {
        let error = #expect(throws: UserQuery.FilterError.self) { try UserQuery(extraFilter: filter) }
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func errorDescriptionPointsAtTheProblem() {
        let error = #expect(throws: UserQuery.FilterError.self) { try UserQuery(extraFilter: "(a=b\\zz)") }
        #expect(error?.offset == 4)
        #expect(error?.description == "--filter \"(a=b\\zz)\": \"\\\" must be followed by two hex digits (\\5c for a backslash) at character 5")
    }
}

@Suite("explain USER: naming one user")
struct UserIdentityTests {
    @Test(arguments: [
        ("alice", UserIdentity.samAccountName("alice")),
        ("EXAMPLE\\alice", .samAccountName("alice")),
        ("alice@example.com", .userPrincipalName("alice@example.com")),
        ("CN=Alice,CN=Users,DC=example,DC=com", .distinguishedName("CN=Alice,CN=Users,DC=example,DC=com")),
        ("S-1-5-21-3623811015-3361044348-30300820-1013", .objectSid("S-1-5-21-3623811015-3361044348-30300820-1013")),
    ])
    func kinds(text: String, identity: UserIdentity) {
        #expect(UserIdentity(text) == identity)
    }

    @Test(arguments: ["4f8b06d5-2a31-4348-b82c-305c2b9c0e44", "{4F8B06D5-2A31-4348-B82C-305C2B9C0E44}"])
    func guid(text: String) {
        #expect(UserIdentity(text) == .objectGUID(ObjectGUID(bytes: [UInt8](hex("d5068b4f312a4843b82c305c2b9c0e44")))!))
    }

    /// `explain` picks its user among the users in scope by these rules.
    @Test func matchesTheUserItNames() throws {
        let guid = try #require(ObjectGUID(bytes: [UInt8](hex("d5068b4f312a4843b82c305c2b9c0e44"))))
        let user = DirectoryUser(distinguishedName: "CN=Alice Smith,OU=Staff,DC=corp,DC=example", samAccountName: "alice",
                                 userPrincipalName: "Alice@Corp.Example", objectGUID: guid, objectSid: "S-1-5-21-1-2-3-1104")
        for name in ["alice", "ALICE", "CORP\\alice", "alice@corp.example", "cn=alice smith, ou=staff,dc=corp,dc=example",
                     "4f8b06d5-2a31-4348-b82c-305c2b9c0e44", "{4F8B06D5-2A31-4348-B82C-305C2B9C0E44}", "s-1-5-21-1-2-3-1104"] {
            #expect(UserIdentity(name).matches(user), "\(name)")
        }
        for name in ["alic", "bob@corp.example", "CN=Alice,OU=Staff,DC=corp,DC=example", "S-1-5-21-1-2-3-1105",
                     "4f8b06d5-2a31-4348-b82c-305c2b9c0e45", "*"] {
            #expect(!UserIdentity(name).matches(user), "\(name)")
        }
    }
}
