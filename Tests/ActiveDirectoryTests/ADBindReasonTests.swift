import ActiveDirectory
import Testing

@Suite("AD bind reasons")
struct ADBindReasonTests {
    @Test("The Win32 reason after `data` in AD's bind diagnostic is spelled out", arguments: [
        ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563", "; AD says: wrong user name or password"),
        ("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563", "; AD says: the account is locked out"),
        ("... data 532, v2580", "; AD says: the password has expired"),
        ("... data 999, v4563", ""),
        ("Samba: invalid credentials", ""),
    ])
    func reasons(diagnostic: String, expected: String) {
        #expect(ADBindReason.explain(diagnostic) == expected)
    }

    @Test func noDiagnosticNoReason() {
        #expect(ADBindReason.explain(nil) == "")
    }
}
