internal import CLDAP
internal import Logging

extension LDAPConnection {
    /// Replaces every value of `attribute` on the entry `dn` with `value`
    /// (`ldap_modify_ext_s(3)`: one `LDAPMod` of `LDAP_MOD_REPLACE | LDAP_MOD_BVALUES`).
    ///
    /// The value is read in place, for the call only, and never copied, logged or kept: it may
    /// be a password (`unicodePwd`). The call waits at most the configuration's
    /// `operationTimeout` (`LDAP_OPT_TIMEOUT`).
    public func replace(_ dn: String, attribute: String, value: UnsafeRawBufferPointer) throws(LDAPError) {
        logger.debug("LDAP modify (replace)", metadata: ["url": "\(url)", "dn": "\(dn)", "attribute": "\(attribute)"])
        if let broken { throw broken }
        var bytes = berval(bv_len: ber_len_t(value.count),
                           bv_val: UnsafeMutablePointer(mutating: value.baseAddress?.assumingMemoryBound(to: CChar.self)))
        let rc = withUnsafeMutablePointer(to: &bytes) { valuePointer in
            attribute.withCString { name in
                var values: [UnsafeMutablePointer<berval>?] = [valuePointer, nil]
                return values.withUnsafeMutableBufferPointer { valueList in
                    var modification = LDAPMod()
                    modification.mod_op = Int32(CLDAP_MOD_REPLACE_BVALUES)
                    modification.mod_type = UnsafeMutablePointer(mutating: name)
                    modification.mod_vals.modv_bvals = valueList.baseAddress
                    return withUnsafeMutablePointer(to: &modification) { modificationPointer in
                        var modifications: [UnsafeMutablePointer<LDAPMod>?] = [modificationPointer, nil]
                        return modifications.withUnsafeMutableBufferPointer { list in
                            ldap_modify_ext_s(handle, dn, list.baseAddress, nil, nil)
                        }
                    }
                }
            }
        }
        guard rc == LDAP_SUCCESS else { throw operationError(rc, operation: "modify") }
    }
}
