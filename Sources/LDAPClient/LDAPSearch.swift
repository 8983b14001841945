internal import CLDAP
internal import Foundation
internal import Logging

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

extension LDAPScope {
    var rawValue: Int32 {
        switch self {
        case .base: Int32(CLDAP_SCOPE_BASE)
        case .oneLevel: Int32(CLDAP_SCOPE_ONELEVEL)
        case .subtree: Int32(CLDAP_SCOPE_SUBTREE)
        }
    }
}

extension LDAPConnection {
    /// Searches and streams every entry to `onEntry`, page by page.
    ///
    /// With `pageSize` above 0, each request carries the simple paged results control
    /// (RFC 2696, `ldap_create_page_control(3)`), and the cookie of each page's result
    /// (`ldap_parse_result(3)`, `ldap_control_find(3)`, `ldap_parse_pageresponse_control(3)`)
    /// asks for the next page until the server returns an empty one. With `pageSize` nil or
    /// 0 there is no control (a RootDSE read, or servers without paging).
    ///
    /// Messages are taken one at a time (`ldap_search_ext(3)`, `ldap_result(3)` with
    /// `LDAP_MSG_ONE`), copied into an `LDAPEntry` and released (`ldap_msgfree(3)`) before
    /// `onEntry` runs, so memory does not grow with the size of the directory. Continuation
    /// references (`LDAP_RES_SEARCH_REFERENCE`) are skipped. Values are copied as bytes
    /// (`bv_len`), never read as C strings.
    ///
    /// Each page must complete within the configuration's `operationTimeout` (also sent as
    /// the search's time limit). A paged search must advance: a page with the same entries as
    /// the one before (a server that ignores the cookie), or more than `maxEmptyPagesInARow`
    /// pages in a row without an entry, end it with `pagedSearchStalled`. (The same cookie
    /// page after page is not a fault: Samba does that.) When `onEntry` throws, or the task
    /// is cancelled, the request is abandoned (`ldap_abandon_ext(3)`), the server's paging
    /// state released, and the error (or `CancellationError`) rethrown.
    ///
    /// A connection that breaks during the search throws `connectionLost` (or
    /// `messageTooLarge`), a server limit that ends it `serverLimitExceeded`, each with the
    /// entries delivered so far in `entriesRead`; after a broken connection every later
    /// search throws the same error (libldap would silently reconnect, unbound).
    ///
    /// - Parameters:
    ///   - attributes: the attributes to return; empty means all user attributes.
    ///   - onPage: called after each page (once for an unpaged search).
    /// - Throws: `LDAPError`, `CancellationError`, or what `onEntry` threw.
    public func search(
        base: String,
        scope: LDAPScope,
        filter: String,
        attributes: [String],
        pageSize: Int?,
        onPage: (LDAPPageInfo) -> Void = { _ in },
        onEntry: (LDAPEntry) throws -> Void
    ) throws {
        let request = SearchRequest(
            base: base, scope: scope, filter: filter.isEmpty ? "(objectClass=*)" : filter,
            attributes: attributes, pageSize: pageSize.flatMap { $0 > 0 ? $0 : nil })
        logger.debug("LDAP search", metadata: [
            "url": "\(url)", "base": "\(base)", "scope": "\(scope)", "filter": "\(request.filter)",
            "pageSize": "\(request.pageSize.map(String.init) ?? "none")",
        ])
        if let broken { throw broken }
        var cookie = Data()
        var page = 0
        var delivered = 0
        var references = 0
        var emptyPagesInARow = 0
        // Each page's fingerprint and number: a page seen before, next or many pages later, means
        // the server goes round in circles (one integer per page, a few thousand for a million users).
        var seenPages: [Int: Int] = [:]
        repeat {
            page += 1
            let sentCookie = cookie
            let before = delivered + references
            // The page's entries, as a hash of their DNs in order: a server that ignores the
            // cookie hands out the same page again.
            var fingerprint = Hasher()
            let messageID = try send(request, cookie: cookie, delivered: delivered)
            cookie = try receivePage(
                messageID, request: request, sentCookie: cookie, delivered: &delivered,
                references: &references, onEntry: { entry in
                    fingerprint.combine(entry.dn)
                    try onEntry(entry)
                })
            logger.debug("LDAP search page done", metadata: [
                "page": "\(page)", "entries": "\(delivered)", "references": "\(references)",
            ])
            onPage(LDAPPageInfo(page: page, entriesSoFar: delivered))
            guard request.pageSize != nil, !cookie.isEmpty else { break }
            // A paged search must advance, or it would be followed forever (each page is within
            // the operation timeout, the whole search has no limit). The cookie alone cannot
            // say: Samba returns the same cookie for every page of a search (RFC 2696 makes it
            // opaque). The entries can: a page that repeats one handed out before (the previous
            // one, or pages going round in a cycle), or page after page without an entry.
            let pageEntries = delivered + references - before
            fingerprint.combine(pageEntries)
            let thisPage = fingerprint.finalize()
            let earlier = pageEntries > 0 ? seenPages[thisPage] : nil
            if pageEntries > 0, earlier == nil { seenPages[thisPage] = page }
            emptyPagesInARow = pageEntries == 0 ? emptyPagesInARow + 1 : 0
            if let earlier {
                stop(messageID, request: request, cookie: cookie)
                let sameCookie = cookie == sentCookie ? " and the cookie it was sent" : ""
                throw LDAPError(
                    kind: .pagedSearchStalled, code: .protocolError, operation: "search",
                    message: "The server answered page \(page) with the same \(pageEntries) entries as page \(earlier)"
                        + "\(sameCookie): it hands out \(earlier == page - 1 ? "the same page again" : "pages it handed out before, in a cycle") (after \(delivered) entries)",
                    url: url, entriesRead: delivered)
            }
            if emptyPagesInARow > Self.maxEmptyPagesInARow {
                stop(messageID, request: request, cookie: cookie)
                throw LDAPError(
                    kind: .pagedSearchStalled, code: .protocolError, operation: "search",
                    message: "The server returned \(emptyPagesInARow) pages in a row without an entry, up to "
                            + "page \(page), each asking for another (after \(delivered) entries)",
                    url: url, entriesRead: delivered)
            }
        } while true
    }

    /// How many pages in a row may come without an entry (or reference) but with a cookie for
    /// another before a paged search counts as stalled. A server may return a short or empty
    /// page when it stops scanning early; not this often.
    static let maxEmptyPagesInARow = 5

    // MARK: - One request

    /// Sends one search request (`ldap_search_ext(3)`), with the paged results control for
    /// `cookie` when the request has a page size, and returns its message ID. `delivered`: the
    /// entries of this search so far, for the error when the connection broke.
    private func send(_ request: SearchRequest, cookie: Data, delivered: Int = 0) throws(LDAPError) -> Int32 {
        var control: UnsafeMutablePointer<LDAPControl>?
        if let pageSize = request.pageSize {
            let rc = cookie.withUnsafeBytes { raw in
                // The control encodes (copies) the cookie: it need not outlive this call.
                var value = berval(
                    bv_len: ber_len_t(raw.count),
                    bv_val: UnsafeMutablePointer(mutating: raw.baseAddress?.assumingMemoryBound(to: CChar.self)))
                return ldap_create_page_control(handle, ber_int_t(clamping: pageSize), &value, 0, &control)
            }
            guard rc == LDAP_SUCCESS else {
                throw operationError(rc, operation: "search (paged results control)")
            }
        }
        // ldap_control_free(3): ldap_search_ext encodes the control into the request.
        defer { if let control { ldap_control_free(control) } }

        var controls: [UnsafeMutablePointer<LDAPControl>?] = [control, nil]
        // Sent as the search's time limit (whole seconds, at least 1); nil: none.
        var timeLimit = operationLimit.map { timeval(max($0, .seconds(1))) }
        var messageID: Int32 = 0
        let rc = request.withAttributeArray { attributes in
            controls.withUnsafeMutableBufferPointer { controls in
                withOptionalPointer(&timeLimit) { timeLimit in
                    ldap_search_ext(
                        handle, request.base, request.scope.rawValue, request.filter, attributes, 0,
                        control == nil ? nil : controls.baseAddress, nil, timeLimit, LDAP_NO_LIMIT, &messageID)
                }
            }
        }
        guard rc == LDAP_SUCCESS else {
            // A request that cannot be written (the server closed the connection: EPIPE, with
            // SIGPIPE ignored by the process) is LDAP_SERVER_DOWN: the connection is lost.
            throw operationError(rc, operation: "search", entriesRead: delivered)
        }
        return messageID
    }

    /// Takes the messages of one request until its result; returns the next page's cookie
    /// (empty when done or not paging).
    private func receivePage(
        _ messageID: Int32,
        request: SearchRequest,
        sentCookie: Data,
        delivered: inout Int,
        references: inout Int,
        onEntry: (LDAPEntry) throws -> Void
    ) throws -> Data {
        let clock = ContinuousClock()
        let deadline = operationLimit.map { clock.now + $0 }
        while true {
            if Task.isCancelled {
                stop(messageID, request: request, cookie: sentCookie)
                throw CancellationError()
            }
            let remaining = deadline.map { $0 - clock.now } ?? .seconds(1)
            guard remaining > .zero else {
                stop(messageID, request: request, cookie: sentCookie)
                throw LDAPError(kind: .timeout, code: .timeout, operation: "search",
                                message: "No answer within \(operationLimit ?? .zero)", url: url, entriesRead: delivered)
            }
            // Wait at most a second at a time so that cancellation is noticed.
            var wait = timeval(min(remaining, .seconds(1)))
            var message: OpaquePointer?
            let type = ldap_result(handle, messageID, LDAP_MSG_ONE, &wait, &message)
            switch type {
            case -1:
                // ldap_result(3): the error is in LDAP_OPT_RESULT_CODE.
                if let message { ldap_msgfree(message) }
                throw operationError(lastResultCode(), operation: "search", entriesRead: delivered)
            case 0:
                if let message { ldap_msgfree(message) }
                continue
            case Int32(CLDAP_RES_SEARCH_ENTRY):
                guard let message else { continue }
                let entry = makeEntry(message)
                // ldap_msgfree(3) before handing the copy on: one entry in C memory at most.
                ldap_msgfree(message)
                delivered += 1
                do {
                    try onEntry(entry)
                } catch {
                    stop(messageID, request: request, cookie: sentCookie)
                    throw error
                }
            case Int32(CLDAP_RES_SEARCH_RESULT):
                guard let message else { continue }
                return try finishPage(message, paged: request.pageSize != nil, delivered: delivered)
            default:
                // Continuation references (other naming contexts) and intermediate messages.
                if type == Int32(CLDAP_RES_SEARCH_REFERENCE) { references += 1 }
                if let message { ldap_msgfree(message) }
            }
        }
    }

    /// Reads the search result's code and the paged results response, and frees the result
    /// message and everything `ldap_parse_result(3)` allocated.
    private func finishPage(_ message: OpaquePointer, paged: Bool, delivered: Int) throws(LDAPError) -> Data {
        var code: Int32 = 0
        var matchedDN: UnsafeMutablePointer<CChar>?
        var errorMessage: UnsafeMutablePointer<CChar>?
        var referrals: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var serverControls: UnsafeMutablePointer<UnsafeMutablePointer<LDAPControl>?>?
        let rc = ldap_parse_result(handle, message, &code, &matchedDN, &errorMessage, &referrals,
                                   &serverControls, 0)
        // freeit = 0 above: the message is freed here, whatever ldap_parse_result returned.
        ldap_msgfree(message)
        defer {
            // ldap_parse_result(3): strings with ldap_memfree, the referral array with
            // ldap_memvfree, the controls with ldap_controls_free.
            if let matchedDN { ldap_memfree(matchedDN) }
            if let errorMessage { ldap_memfree(errorMessage) }
            if let referrals {
                ldap_memvfree(UnsafeMutableRawPointer(referrals).assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
            }
            if let serverControls { ldap_controls_free(serverControls) }
        }
        guard rc == LDAP_SUCCESS else {
            throw operationError(rc, operation: "search", entriesRead: delivered)
        }
        guard code == LDAP_SUCCESS else {
            throw operationError(code, operation: "search",
                                 diagnostic: errorMessage.map { String(cString: $0) } ?? "", entriesRead: delivered)
        }
        guard paged else { return Data() }
        // ldap_control_find(3) returns a pointer into serverControls, not a copy.
        guard let response = ldap_control_find(cldap_control_paged_results(), serverControls, nil) else {
            // The server ignored the (non-critical) control: it sent everything it would.
            logger.debug("LDAP server returned no paged results response", metadata: ["url": "\(url)"])
            return Data()
        }
        var estimate: ber_int_t = 0
        var cookie = berval()
        let parseRC = ldap_parse_pageresponse_control(handle, response, &estimate, &cookie)
        // The cookie's value is allocated by liblber: ber_memfree(3).
        defer { if let value = cookie.bv_val { ber_memfree(value) } }
        guard parseRC == LDAP_SUCCESS else {
            throw operationError(parseRC, operation: "search (paged results response)")
        }
        guard let value = cookie.bv_val, cookie.bv_len > 0 else { return Data() }
        return Data(bytes: value, count: Int(cookie.bv_len))
    }

    /// Copies a search entry out of libldap: the DN (`ldap_get_dn`, `ldap_memfree`), each
    /// attribute name (`ldap_first_attribute` / `ldap_next_attribute`, `ldap_memfree`), its
    /// values as bytes (`ldap_get_values_len`, `ldap_value_free_len`), and the BerElement
    /// the walk used (`ber_free(ber, 0)`, once).
    private func makeEntry(_ message: OpaquePointer) -> LDAPEntry {
        var dn = ""
        if let pointer = ldap_get_dn(handle, message) {
            dn = String(cString: pointer)
            ldap_memfree(pointer)
        }
        var attributes: [String: [Data]] = [:]
        var ber: OpaquePointer?
        var name = ldap_first_attribute(handle, message, &ber)
        while let current = name {
            var values: [Data] = []
            if let list = ldap_get_values_len(handle, message, current) {
                var index = 0
                while let value = list[index] {
                    if let bytes = value.pointee.bv_val {
                        values.append(Data(bytes: bytes, count: Int(value.pointee.bv_len)))
                    } else {
                        values.append(Data())
                    }
                    index += 1
                }
                ldap_value_free_len(list)
            }
            attributes[String(cString: current), default: []].append(contentsOf: values)
            ldap_memfree(current)
            name = ldap_next_attribute(handle, message, ber)
        }
        if let ber { ber_free(ber, 0) }
        return LDAPEntry(dn: dn, attributes: attributes)
    }

    /// Abandons a request in flight (`ldap_abandon_ext(3)`) and, when paging, tells the server
    /// to drop the paged search's state: a request with page size 0 and the last cookie
    /// (RFC 2696 section 3). Best effort; failures are only logged.
    private func stop(_ messageID: Int32, request: SearchRequest, cookie: Data) {
        let rc = ldap_abandon_ext(handle, messageID, nil, nil)
        logger.debug("LDAP search abandoned", metadata: ["rc": "\(rc)"])
        guard request.pageSize != nil, !cookie.isEmpty else { return }
        do {
            let release = SearchRequest(base: request.base, scope: request.scope, filter: request.filter,
                                        attributes: ["1.1"], pageSize: 0)
            let id = try send(release, cookie: cookie)
            var wait = timeval(min(operationLimit ?? .seconds(5), .seconds(5)))
            var message: OpaquePointer?
            // LDAP_MSG_ALL: the whole (empty) answer at once.
            let type = ldap_result(handle, id, LDAP_MSG_ALL, &wait, &message)
            if let message { ldap_msgfree(message) }
            if type == 0 { _ = ldap_abandon_ext(handle, id, nil, nil) }
        } catch {
            logger.debug("LDAP paged search release failed", metadata: ["error": "\(error)"])
        }
    }
}

struct SearchRequest {
    var base: String
    var scope: LDAPScope
    var filter: String
    var attributes: [String]
    /// The paged results control's size; nil sends no control. 0 only to release a paged
    /// search (`stop`); `search` turns a page size of 0 into nil.
    var pageSize: Int?

    /// The attribute list as the NULL-terminated `char **` ldap_search_ext wants (NULL for all
    /// attributes), valid during `body` only.
    func withAttributeArray<R>(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> R) -> R {
        guard !attributes.isEmpty else { return body(nil) }
        var array: [UnsafeMutablePointer<CChar>?] = attributes.map { strdup($0) }
        array.append(nil)
        defer { for pointer in array { free(pointer) } }
        return array.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    }
}

/// `body` with a pointer to `value`, or with nil when there is no value.
private func withOptionalPointer<T, R>(_ value: inout T?, _ body: (UnsafeMutablePointer<T>?) -> R) -> R {
    guard value != nil else { return body(nil) }
    return withUnsafeMutablePointer(to: &value!) { body($0) }
}
