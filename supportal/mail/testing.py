"""A DNS server on 127.0.0.1 that answers from a table, for tests of sender authentication:
the resolver (``mail.inbound.auth.dns_query``) talks real DNS to it and never leaves the
machine. Names it does not know get "no such name"."""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rrset


class LocalDns:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.queries: list[tuple[str, str]] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add(self, name: str, qtype: str, value: str) -> None:
        """One record; a TXT value longer than 255 characters is split into strings."""
        if qtype == "TXT":
            chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
            value = " ".join('"' + chunk.replace('"', '\\"') + '"' for chunk in chunks)
        self.records.setdefault((name.lower().rstrip("."), qtype), []).append(value)

    def clear(self) -> None:
        self.records.clear()
        self.queries.clear()

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self._socket.recvfrom(4096)
            except OSError:
                return
            try:
                query = dns.message.from_wire(data)
                response = dns.message.make_response(query)
                question = query.question[0]
                name = question.name.to_text(omit_final_dot=True).lower()
                qtype = dns.rdatatype.to_text(question.rdtype)
                self.queries.append((name, qtype))
                values = self.records.get((name, qtype), [])
                if values:
                    response.answer.append(
                        dns.rrset.from_text_list(question.name, 60, "IN", qtype, values)
                    )
                elif not any(key[0] == name for key in self.records):
                    response.set_rcode(dns.rcode.NXDOMAIN)
                response.flags |= dns.flags.AA
                self._socket.sendto(response.to_wire(), peer)
            except Exception:  # noqa: S112 — a broken query gets no answer; the resolver times out
                continue
