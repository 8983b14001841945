#!/usr/bin/env python3
"""A scripted LDAP server for fault tests: the protocol misbehaviour real servers will not produce.

    scripts/fake-ldap.py --scenario NAME [options]

Listens on 127.0.0.1 (a free port unless --port), prints "PORT <n>" on standard output, and
serves until standard input closes (the test that started it ends), it is killed, or
--lifetime seconds pass. Python 3 standard library only: a socket, a minimal BER encoder and
decoder, and ssl for --tls-cert.

It answers a simple bind (any DN and password: success), an unbind, an abandon, StartTLS (with
--tls-cert) and searches; a base search returns one entry, a subtree or one-level search returns
--entries entries "CN=userN,<base>" with cn and sAMAccountName (and, with --big-value N, a
description of N bytes), in pages of the size the RFC 2696 paged results control asks for. The
scenario changes one thing:

    ok                 as above
    same-cookie        every page is the first one again: --page-entries entries (user1 ...) and
                       the cookie "same", forever (a server that ignores the cookie)
    constant-cookie    the cookie of every page but the last is "same", and the pages advance
                       (as Samba's do: the cookie names the search, not the position)
    empty-pages        every page has no entry and a new cookie, forever
    cycle              the pages go round three of --page-entries entries each (user1.., then the
                       next, then the next, then user1.. again), each with a new cookie, forever
    huge-reply         the answer to the first --huge-at request (bind, extended, search) is the
                       header of an LDAPMessage of --huge-length bytes, then --flood-mib MiB of
                       zeros, then the connection closes
    close-mid-search   after --close-after entries of a search the connection closes (--rst:
                       with a TCP reset), without a search result
    close-between-pages  the first page is whole (entries and result with a cookie); --close-delay
                       seconds later the connection is reset, before the client asks for the next
    result-code        a subtree search returns --entries entries, then its result has --code
                       and --diagnostic (timeLimitExceeded 3, sizeLimitExceeded 4, ...)

This is a test tool, not a model of a directory: it knows nothing of Active Directory.
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import threading
import time

PAGED_RESULTS = b"1.2.840.113556.1.4.319"
START_TLS = b"1.3.6.1.4.1.1466.20037"


# --- BER -----------------------------------------------------------------------------------------

def ber_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, content):
    return bytes([tag]) + ber_length(len(content)) + content


def integer(value, tag=0x02):
    return tlv(tag, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def octets(value, tag=0x04):
    return tlv(tag, value if isinstance(value, bytes) else value.encode())


def sequence(*items, tag=0x30):
    return tlv(tag, b"".join(items))


def ldap_result(code, diagnostic="", matched=""):
    return integer(code, 0x0A) + octets(matched) + octets(diagnostic)


def message(message_id, op, controls=b""):
    return sequence(integer(message_id), op, tlv(0xA0, controls) if controls else b"")


def parse(data, pos=0):
    """One TLV at pos: (tag, content, next position)."""
    tag = data[pos]
    pos += 1
    length = data[pos]
    pos += 1
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    return tag, data[pos:pos + length], pos + length


def children(content):
    pos, items = 0, []
    while pos < len(content):
        tag, value, pos = parse(content, pos)
        items.append((tag, value))
    return items


def read_message(sock):
    """The next LDAPMessage as (message id, op tag, op content, controls), or None at EOF."""
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    head = exactly(2)
    if head is None:
        return None
    length = head[1]
    if length & 0x80:
        more = exactly(length & 0x7F)
        if more is None:
            return None
        length = int.from_bytes(more, "big")
    body = exactly(length)
    if body is None:
        return None
    items = children(body)
    message_id = int.from_bytes(items[0][1], "big", signed=True)
    op_tag, op = items[1]
    controls = []
    for tag, value in items[2:]:
        if tag == 0xA0:
            for _, control in children(value):
                parts = children(control)
                oid = parts[0][1]
                value = next((v for t, v in parts[1:] if t == 0x04), b"")
                controls.append((oid, value))
    return message_id, op_tag, op, controls


# --- the server ----------------------------------------------------------------------------------

class Connection:
    def __init__(self, sock, args):
        self.sock = sock
        self.args = args
        self.sent_entries = 0
        self.pages = 0

    def send(self, data):
        self.sock.sendall(data)

    def huge(self):
        """The header of an LDAPMessage of --huge-length bytes, a flood of zeros, then close."""
        length = self.args.huge_length
        self.send(bytes([0x30, 0x84]) + struct.pack(">I", length))
        chunk = bytes(1 << 20)
        try:
            for _ in range(self.args.flood_mib):
                self.send(chunk)
        except OSError:
            pass
        self.close()

    def close(self, rst=False):
        try:
            if rst:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        raise ConnectionClosed()

    def entry(self, message_id, dn, attributes):
        attrs = b"".join(
            sequence(octets(name), sequence(*[octets(v) for v in values], tag=0x31))
            for name, values in attributes)
        self.send(message(message_id, sequence(octets(dn), sequence(attrs), tag=0x64)))

    def serve(self):
        args = self.args
        while True:
            request = read_message(self.sock)
            if request is None:
                return
            message_id, tag, op, controls = request
            kind = {0x60: "bind", 0x77: "extended", 0x63: "search"}.get(tag)
            if kind is not None and kind == args.huge_at and args.scenario == "huge-reply":
                self.huge()
            if tag == 0x60:  # BindRequest
                self.send(message(message_id, sequence(ldap_result(0), tag=0x61)))
            elif tag == 0x42:  # UnbindRequest
                self.close()
            elif tag == 0x50:  # AbandonRequest: nothing to answer
                continue
            elif tag == 0x77:  # ExtendedRequest
                name = children(op)[0][1]
                if name == START_TLS and args.tls_cert:
                    self.send(message(message_id, sequence(ldap_result(0), tag=0x78)))
                    self.sock = tls_context(args).wrap_socket(self.sock, server_side=True)
                else:
                    self.send(message(message_id, sequence(ldap_result(2, "unsupported extended operation"), tag=0x78)))
            elif tag == 0x63:  # SearchRequest
                self.search(message_id, op, controls)

    def search(self, message_id, op, controls):
        args = self.args
        items = children(op)
        base = items[0][1].decode()
        scope = int.from_bytes(items[1][1], "big")
        if scope == 0:  # base: one entry, the RootDSE for ""
            attributes = [("defaultNamingContext", [args.naming_context])] if base == "" else [("cn", ["base"])]
            self.entry(message_id, base, attributes)
            self.send(message(message_id, sequence(ldap_result(0), tag=0x65)))
            return
        page_size, cookie = 0, b""
        for oid, value in controls:
            if oid == PAGED_RESULTS:
                fields = children(children(value)[0][1])
                page_size = int.from_bytes(fields[0][1], "big")
                cookie = fields[1][1]
        if page_size == 0 and cookie:  # RFC 2696: abandon the paged search
            self.send(message(message_id, sequence(ldap_result(0), tag=0x65)))
            return
        self.pages += 1
        if self.pages > args.max_pages:
            self.close()
        scenario = args.scenario
        if scenario == "same-cookie":
            count, next_cookie = args.page_entries, b"same"
        elif scenario == "empty-pages":
            count, next_cookie = 0, b"page-%d" % self.pages
        elif scenario == "cycle":
            count, next_cookie = args.page_entries, b"page-%d" % self.pages
        elif scenario == "constant-cookie":
            start = self.sent_entries
            count = max(0, min(page_size or args.entries, args.entries - start))
            next_cookie = b"same" if page_size and start + count < args.entries else b""
        else:
            start = int(cookie) if cookie else 0
            size = page_size or args.entries
            count = max(0, min(size, args.entries - start))
            next_cookie = str(start + count).encode() if page_size and start + count < args.entries else b""
        for i in range(count):
            if scenario == "close-mid-search" and self.sent_entries >= args.close_after:
                self.close(rst=args.rst)
            self.sent_entries += 1
            n = i + 1 if scenario == "same-cookie" else \
                ((self.pages - 1) % 3) * args.page_entries + i + 1 if scenario == "cycle" else self.sent_entries
            attributes = [("cn", ["user%d" % n]), ("sAMAccountName", ["user%d" % n])]
            if args.big_value:
                attributes.append(("description", [b"x" * args.big_value]))
            self.entry(message_id, "CN=user%d,%s" % (n, base), attributes)
        if scenario == "close-mid-search" and self.sent_entries >= args.close_after:
            self.close(rst=args.rst)
        code = args.code if scenario == "result-code" else 0
        diagnostic = args.diagnostic if scenario == "result-code" else ""
        response = b""
        if page_size:
            response = sequence(octets(PAGED_RESULTS), octets(sequence(integer(0), octets(next_cookie))))
        self.send(message(message_id, sequence(ldap_result(code, diagnostic), tag=0x65), response))
        if scenario == "close-between-pages":
            time.sleep(args.close_delay)
            self.close(rst=True)


class ConnectionClosed(Exception):
    pass


def tls_context(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


def handle(sock, args):
    try:
        if args.ldaps:
            sock = tls_context(args).wrap_socket(sock, server_side=True)
        Connection(sock, args).serve()
    except (ConnectionClosed, OSError, ssl.SSLError, IndexError, ValueError):
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="ok",
                        choices=["ok", "same-cookie", "constant-cookie", "cycle", "empty-pages", "huge-reply", "close-mid-search",
                                 "close-between-pages", "result-code"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--entries", type=int, default=10)
    parser.add_argument("--page-entries", type=int, default=1)
    parser.add_argument("--big-value", type=int, default=0, help="bytes of a description attribute in every entry")
    parser.add_argument("--max-pages", type=int, default=100000, help="close the connection after this many pages")
    parser.add_argument("--huge-at", default="bind", choices=["bind", "extended", "search"])
    parser.add_argument("--huge-length", type=lambda s: int(s, 0), default=0x7FFFFFFF)
    parser.add_argument("--flood-mib", type=int, default=0)
    parser.add_argument("--close-after", type=int, default=5)
    parser.add_argument("--rst", action="store_true")
    parser.add_argument("--close-delay", type=float, default=0.2)
    parser.add_argument("--code", type=int, default=3)
    parser.add_argument("--diagnostic", default="")
    parser.add_argument("--naming-context", default="DC=fake,DC=test")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--ldaps", action="store_true", help="TLS from the first byte (needs --tls-cert)")
    parser.add_argument("--lifetime", type=float, default=120)
    args = parser.parse_args()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(16)
    print("PORT %d" % listener.getsockname()[1], flush=True)

    def watch_stdin():
        # The test that started this server holds standard input open; EOF means it is gone.
        while sys.stdin.buffer.read(1024):
            pass
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    deadline = time.monotonic() + args.lifetime
    listener.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            sock, _ = listener.accept()
        except socket.timeout:
            continue
        sock.settimeout(max(1.0, deadline - time.monotonic()))
        threading.Thread(target=handle, args=(sock, args), daemon=True).start()
    os._exit(0)


if __name__ == "__main__":
    main()
