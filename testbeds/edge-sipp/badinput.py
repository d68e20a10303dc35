#!/usr/bin/env python3
"""Bad-input check for a SIP proxy on loopback (DESIGN.md principle 6, RFC 3261 16.3).

Sends malformed requests and requires a 400/483 whose reason phrase names the fault, then
requires that a well-formed OPTIONS is still relayed and answered 200. Exit 0 on success.

usage: badinput.py PROXY_PORT OPTIONS_USER [SKIPPED_CASE]
"""
import random
import socket
import sys

HOST = "127.0.0.1"


def request(port, local_port, transport, method="OPTIONS", user="3000", cseq=None,
            call_id=True, max_forwards="70", extra=""):
    branch = "z9hG4bK-bad-%08x" % random.getrandbits(32)
    cseq = cseq if cseq is not None else "1 %s" % method
    lines = [
        "%s sip:%s@%s:%d SIP/2.0" % (method, user, HOST, port),
        "Via: SIP/2.0/%s %s:%d;branch=%s;rport" % (transport, HOST, local_port, branch),
        "Max-Forwards: %s" % max_forwards,
        "From: <sip:bad@%s>;tag=%08x" % (HOST, random.getrandbits(32)),
        "To: <sip:%s@%s:%d>" % (user, HOST, port),
    ]
    if call_id:
        lines.append("Call-ID: bad-%08x@%s" % (random.getrandbits(32), HOST))
    lines.append("CSeq: %s" % cseq)
    if extra:
        lines.append(extra)
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def final_response_udp(sock, data, port, timeout=2.0):
    """Send data and return (code, reason) of the first final response, or None."""
    sock.sendto(data, (HOST, port))
    sock.settimeout(timeout)
    while True:
        try:
            pkt, _ = sock.recvfrom(65535)
        except socket.timeout:
            return None
        first = pkt.split(b"\r\n", 1)[0].decode("utf-8", "replace")
        parts = first.split(" ", 2)
        if len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit():
            code = int(parts[1])
            if code >= 200:
                return code, parts[2] if len(parts) > 2 else ""


def final_response_tcp(data, port, timeout=2.0):
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        local_port = s.getsockname()[1]
        s.sendall(data.replace(b"LOCALPORT", str(local_port).encode()))
        buf = b""
        while True:
            try:
                chunk = s.recv(65535)
            except socket.timeout:
                return None
            if not chunk:
                return None
            buf += chunk
            for line in buf.split(b"\r\n"):
                parts = line.decode("utf-8", "replace").split(" ", 2)
                if len(parts) >= 2 and parts[0] == "SIP/2.0" and parts[1].isdigit() \
                        and int(parts[1]) >= 200:
                    return int(parts[1]), parts[2] if len(parts) > 2 else ""


def main():
    port = int(sys.argv[1])
    user = sys.argv[2]
    skipped = sys.argv[3] if len(sys.argv) > 3 else ""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    lp = sock.getsockname()[1]
    failures = 0

    cases = [
        ("non-numeric CSeq", request(port, lp, "UDP", user=user, cseq="abc OPTIONS"),
         (400,), "cseq"),
        ("CSeq method differs from the request's", request(port, lp, "UDP", user=user,
                                                          cseq="1 INVITE"), (400,), "cseq"),
        ("missing Call-ID", request(port, lp, "UDP", user=user, call_id=False), (400,),
         "call-id"),
        ("Max-Forwards 0", request(port, lp, "UDP", user=user, max_forwards="0"), (483,), ""),
        ("non-numeric Max-Forwards", request(port, lp, "UDP", user=user, max_forwards="x"),
         (400,), "max-forwards"),
    ]
    for name, data, codes, word in cases:
        if skipped and name == skipped:
            print("skip %-40s (not checked for this proxy)" % name)
            continue
        got = final_response_udp(sock, data, port)
        if got is None:
            print("FAIL %-40s no final response" % name)
            failures += 1
            continue
        code, reason = got
        ok = code in codes and word in reason.lower()
        print("%s %-40s -> %d %s" % ("ok  " if ok else "FAIL", name, code, reason))
        failures += 0 if ok else 1

    # Garbage: no answer is required (there is no Via to answer to); the proxy must live on.
    garbage = [
        b"\x00\xff\xfe garbage \r\n\r\n",
        b"INVITE\r\n\r\n",
        b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n",
        b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999999999999999\r\n\r\n",
        bytes(random.getrandbits(8) for _ in range(1400)),
    ]
    for g in garbage:
        sock.sendto(g, (HOST, port))
    print("ok   sent %d garbage datagrams" % len(garbage))

    # Over TCP too: a bad CSeq on a stream must get the same answer.
    tcp_req = request(port, 0, "TCP", user=user, cseq="abc OPTIONS").replace(
        b"%s:0;" % HOST.encode(), b"%s:LOCALPORT;" % HOST.encode())
    try:
        got = final_response_tcp(tcp_req, port)
    except OSError as e:
        got = None
        print("FAIL tcp connect: %s" % e)
    if got and got[0] == 400 and "cseq" in got[1].lower():
        print("ok   %-40s -> %d %s" % ("non-numeric CSeq over TCP", got[0], got[1]))
    else:
        print("FAIL %-40s -> %s" % ("non-numeric CSeq over TCP", got))
        failures += 1

    # Still alive: a well-formed OPTIONS is relayed to the UAS and answered 200.
    got = final_response_udp(sock, request(port, lp, "UDP", user=user), port, timeout=3.0)
    if got and got[0] == 200:
        print("ok   %-40s -> %d %s" % ("OPTIONS after bad input", got[0], got[1]))
    else:
        print("FAIL %-40s -> %s" % ("OPTIONS after bad input", got))
        failures += 1

    print("bad-input: %d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
