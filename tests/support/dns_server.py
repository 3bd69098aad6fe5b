"""A real authoritative DNS server for tests: UDP and TCP on 127.0.0.1, one free port, in threads.

It answers TXT queries from ``records`` (name -> TXT values), which a test may change at any
time, with NXDOMAIN for names it does not know and an empty answer for other types of known names.
Answers too big for UDP are truncated (TC set), so a resolver retries over TCP as on the internet.
With ``respond = False`` it reads queries and never answers, to test timeouts; with ``fail_with``
set it answers every query with that error code.

    with DnsServer({"example.com": ["v=spf1 -all"]}) as server:
        DnsChecker(nameservers=["127.0.0.1"], port=server.port)
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

HOST = "127.0.0.1"
#: The UDP limit without EDNS (RFC 1035 §4.2.1).
UDP_LIMIT = 512
TTL = 60


def _chunks(value: str, size: int) -> list[bytes]:
    """One TXT value as character-strings of at most ``size`` bytes (RFC 1035 §3.3.14: 255)."""
    data = value.encode()
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


class DnsServer:
    def __init__(self, records: dict[str, list[str]] | None = None) -> None:
        self.records: dict[str, list[str]] = dict(records or {})
        self.respond = True
        #: An rcode to answer every query with (SERVFAIL, REFUSED), as a broken server does.
        self.fail_with: dns.rcode.Rcode | None = None
        #: Values longer than this go out as several character-strings (at most 255).
        self.string_size = 255
        #: (transport, name, type) of every query read, for assertions.
        self.queries: list[tuple[str, str, str]] = []
        self._stop = threading.Event()
        self._udp, self._tcp = self._bind()
        self.port: int = self._udp.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._serve_tcp, daemon=True),
        ]

    @staticmethod
    def _bind() -> tuple[socket.socket, socket.socket]:
        """A UDP and a TCP socket on the same free port (the port is retried if TCP's is taken)."""
        for _ in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((HOST, 0))
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                tcp.bind((HOST, udp.getsockname()[1]))
            except OSError:
                udp.close()
                tcp.close()
                continue
            tcp.listen(8)
            udp.settimeout(0.05)
            tcp.settimeout(0.05)
            return udp, tcp
        raise RuntimeError("no free port for both UDP and TCP")

    def __enter__(self) -> DnsServer:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._udp.close()
        self._tcp.close()

    def answer(self, wire: bytes, transport: str) -> dns.message.Message | None:
        """The response to one query, or None to stay silent (malformed input, ``respond`` off)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if len(query.question) != 1:
            return None
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.queries.append((transport, name, dns.rdatatype.to_text(question.rdtype)))
        if not self.respond:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        values = self.records.get(name)
        if self.fail_with is not None:
            response.set_rcode(self.fail_with)
        elif values is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype in (dns.rdatatype.TXT, dns.rdatatype.ANY) and values:
            rdatas = [
                dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, _chunks(v, self.string_size))
                for v in values
            ]
            response.answer.append(dns.rrset.from_rdata_list(question.name, TTL, rdatas))
        return response

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._udp.recvfrom(65535)
            except (TimeoutError, OSError):
                continue
            response = self.answer(wire, "udp")
            if response is None:
                continue
            try:
                # The client's EDNS payload size if it sent one, else classic DNS's 512 bytes.
                out = response.to_wire(max_size=response.request_payload or UDP_LIMIT)
            except dns.exception.TooBig:
                response.answer.clear()
                response.flags |= dns.flags.TC
                out = response.to_wire()
            self._udp.sendto(out, peer)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _peer = self._tcp.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):  # the client went away
                    self._serve_connection(conn)

    def _serve_connection(self, conn: socket.socket) -> None:
        """Length-prefixed messages on one connection until the client closes it (RFC 7766)."""
        while not self._stop.is_set():
            head = _read(conn, 2)
            if head is None:
                return
            wire = _read(conn, struct.unpack("!H", head)[0])
            if wire is None:
                return
            response = self.answer(wire, "tcp")
            if response is not None:
                out = response.to_wire()
                conn.sendall(struct.pack("!H", len(out)) + out)


def _read(conn: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
