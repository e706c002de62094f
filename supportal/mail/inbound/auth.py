"""Sender authentication: may the ``From:`` address of a stored message be believed?

Checked once per message, before processing decides anything (docs/security.md):

- DKIM: every ``DKIM-Signature`` is verified over the raw bytes as stored;
- SPF: for the connecting host, only when our own SMTP listener received the message (the
  IMAP and standard-input channels do not know who connected);
- DMARC alignment: the message is *verified* when a passing DKIM signature's domain, or the
  SPF-passing envelope domain, is aligned with the ``From:`` domain (the same organisational
  domain, or the same domain where the domain's DMARC record asks for strict alignment).

Behind an organisation's own mail server, the ``Authentication-Results`` header of the
configured receiving hosts (``SUPPORTAL_MAIL_TRUSTED_AUTHSERV_IDS``) is trusted instead; the
header from anyone else is ignored. Every DNS lookup goes through ``dns_query`` (one resolver,
a short timeout, servers from ``SUPPORTAL_MAIL_DNS_SERVERS``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from functools import cache
from typing import Any

import dkim
import dns.exception
import dns.name
import dns.resolver
import spf
from django.conf import settings
from publicsuffixlist import PublicSuffixList

logger = logging.getLogger("supportal.mail.auth")
# dkimpy reports every unsigned key or bad signature as an error; the verdict is recorded on
# the message instead.
_dkim_logger = logging.getLogger("supportal.mail.auth.dkim")
_dkim_logger.setLevel(logging.CRITICAL)

CHECKED_BY_US = "supportal"


class DnsTemporaryError(Exception):
    """The DNS did not answer in time or answered with an error (not "no such name")."""


# --- The one resolver -----------------------------------------------------------------------


def _resolver() -> dns.resolver.Resolver:
    """The one resolver, built once per process for the configured servers and timeout (reading
    the system's resolver configuration is not free), with a cache that keeps each answer for
    its TTL: a busy sender's domain is looked up once, not for every message."""
    return _resolver_for(
        tuple(settings.SUPPORTAL_MAIL_DNS_SERVERS), settings.SUPPORTAL_MAIL_DNS_TIMEOUT
    )


_RESOLVERS: dict[tuple[tuple[str, ...], float], dns.resolver.Resolver] = {}


def _resolver_for(servers: tuple[str, ...], timeout: float) -> dns.resolver.Resolver:
    resolver = _RESOLVERS.get((servers, timeout))
    if resolver is not None:
        return resolver
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = []
        for server in servers:
            host, sep, port = server.rpartition(":") if server.count(":") == 1 else ("", "", "")
            if sep and port.isdigit():
                resolver.nameservers.append(host)
                resolver.port = int(port)
            else:
                resolver.nameservers.append(server)
    resolver.lifetime = resolver.timeout = timeout
    resolver.cache = dns.resolver.LRUCache(max_size=10_000)
    _RESOLVERS[(servers, timeout)] = resolver
    return resolver


def dns_cache_clear() -> None:
    """Forget every cached answer (tests change their DNS records between cases)."""
    for resolver in _RESOLVERS.values():
        resolver.cache.flush()


def dns_query(name: str, qtype: str) -> list[Any]:
    """Every DNS lookup of sender authentication. TXT answers as bytes (the strings of a record
    joined), A/AAAA as address text, MX as (preference, host), PTR as host. [] when the name or
    the record does not exist; ``DnsTemporaryError`` when the DNS fails or is too slow."""
    try:
        answer = _resolver().resolve(name, qtype, raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, OSError) as error:
        raise DnsTemporaryError(f"{qtype} {name}: {error.__class__.__name__}") from error
    found: list[Any] = []
    for rdata in answer.rrset or []:
        if qtype in {"TXT", "SPF"}:
            found.append(b"".join(rdata.strings))
        elif qtype in {"A", "AAAA"}:
            found.append(rdata.address)
        elif qtype == "MX":
            found.append((rdata.preference, rdata.exchange.to_text(omit_final_dot=True)))
        elif qtype == "PTR":
            found.append(rdata.target.to_text(omit_final_dot=True))
    return found


def _dkim_dns(name: bytes | str, timeout: int = 5) -> bytes | None:
    """dkimpy's DNS function: the TXT record of a key, through ``dns_query``."""
    if isinstance(name, bytes):
        name = name.decode("ascii", "replace")
    records = dns_query(name.rstrip("."), "TXT")
    return records[0] if records else None


def _spf_dns(name: str, qtype: str, strict: Any = True, timeout: Any = 20) -> list:
    """pyspf's DNS driver, through ``dns_query`` (pyspf expects ((name, type), value) pairs)."""
    try:
        values = dns_query(name, qtype)
    except DnsTemporaryError as error:
        raise spf.TempError(f"DNS {error}") from error
    if qtype in {"TXT", "SPF"}:
        # pyspf joins the strings of a TXT record itself.
        return [((name, qtype), [value]) for value in values]
    return [((name, qtype), value) for value in values]


# pyspf looks its DNS driver up by this module-level name; ours is the only resolver.
spf.DNSLookup = _spf_dns


# --- Domains --------------------------------------------------------------------------------


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def organizational_domain(domain: str) -> str:
    """``mail.example.co.uk`` → ``example.co.uk`` (the public suffix list, as shipped)."""
    domain = domain.lower().rstrip(".")
    return _suffixes().privatesuffix(domain) or domain


def _aligned(domain: str, from_domain: str, mode: str) -> bool:
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not domain or not from_domain:
        return False
    if mode == "s":
        return domain == from_domain
    return organizational_domain(domain) == organizational_domain(from_domain)


def _dmarc_record(from_domain: str) -> dict[str, str]:
    """The DMARC tags of the From domain, or of its organisational domain; {} when neither
    publishes one."""
    for domain in dict.fromkeys([from_domain, organizational_domain(from_domain)]):
        for record in dns_query(f"_dmarc.{domain}", "TXT"):
            text = record.decode("ascii", "replace")
            if not text.lower().startswith("v=dmarc1"):
                continue
            tags = {}
            for part in text.split(";"):
                key, _sep, value = part.partition("=")
                tags[key.strip().lower()] = value.strip().lower()
            return tags
    return {}


# --- The verdict ----------------------------------------------------------------------------


@dataclass
class Verdict:
    """The result of the checks, stored as JSON on the message."""

    from_domain: str = ""
    dkim: list[dict[str, str]] = field(default_factory=list)  # [{"domain", "result"}]
    spf: str = ""  # pass, fail, softfail, neutral, none, temperror, permerror; "" not checked
    spf_domain: str = ""
    dmarc: str = ""  # pass (aligned), fail, none (no record, not aligned), temperror
    dmarc_policy: str = ""
    checked_by: str = CHECKED_BY_US  # or "Authentication-Results of <authserv-id>"

    @property
    def verified(self) -> bool:
        return self.dmarc == "pass"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "verified": self.verified}


def verdict_from_json(data: dict[str, Any]) -> Verdict:
    names = {"from_domain", "dkim", "spf", "spf_domain", "dmarc", "dmarc_policy", "checked_by"}
    return Verdict(**{key: value for key, value in data.items() if key in names})


def _from_domain(raw: bytes) -> str:
    try:
        # The headers only: the body's MIME parts are parsed once, by ``mail_parse``
        # (docs/performance.md, "Ninth round: the e-mail intake").
        message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
        addresses = getaddresses(message.get_all("From", []))
    except Exception:  # a header the parser cannot read verifies nothing
        return ""
    if len(addresses) != 1:
        return ""  # none, or several authors: no single domain to align with
    address = addresses[0][1]
    return address.rpartition("@")[2].lower().strip().rstrip(".") if "@" in address else ""


def _dkim_results(raw: bytes) -> list[dict[str, str]]:
    count = len(re.findall(rb"^dkim-signature:", _header_block(raw), re.IGNORECASE | re.M))
    results = []
    for index in range(count):
        domain, checker = "", None
        try:
            checker = dkim.DKIM(raw, minkey=1024, logger=_dkim_logger)
            passed = checker.verify(idx=index, dnsfunc=_dkim_dns)
            result = "pass" if passed else "fail"
        except DnsTemporaryError:
            result = "temperror"
        except Exception:  # a malformed signature or key fails; it never stops processing
            result = "fail"
        if checker is not None and checker.domain:
            domain = checker.domain.decode("ascii", "replace")
        results.append({"domain": domain.lower(), "result": result})
    return results


def _header_block(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end != -1:
            return raw[:end]
    return raw


def _spf_result(*, peer_ip: str, envelope_from: str, helo: str) -> tuple[str, str]:
    sender = envelope_from.strip().strip("<>")
    domain = sender.rpartition("@")[2] if "@" in sender else helo
    if not domain:
        return "none", ""
    try:
        result, _explanation = spf.check2(
            i=peer_ip,
            s=sender or f"postmaster@{helo}",
            h=helo or domain,
            timeout=settings.SUPPORTAL_MAIL_DNS_TIMEOUT,
            querytime=settings.SUPPORTAL_MAIL_DNS_TIMEOUT * 3,
        )
    except Exception:  # pyspf reports most errors as results; anything else is temporary
        result = "temperror"
    return str(result), domain.lower()


def _dmarc(verdict: Verdict) -> None:
    if not verdict.from_domain:
        verdict.dmarc = "none"
        return
    try:
        tags = _dmarc_record(verdict.from_domain)
    except DnsTemporaryError:
        tags, verdict.dmarc = {}, "temperror"
    verdict.dmarc_policy = tags.get("p", "")
    adkim, aspf = tags.get("adkim", "r")[:1], tags.get("aspf", "r")[:1]
    aligned = any(
        item["result"] == "pass" and _aligned(item["domain"], verdict.from_domain, adkim)
        for item in verdict.dkim
    ) or (verdict.spf == "pass" and _aligned(verdict.spf_domain, verdict.from_domain, aspf))
    if aligned:
        verdict.dmarc = "pass"
    elif verdict.dmarc != "temperror":
        verdict.dmarc = "fail" if tags else "none"


# --- Authentication-Results of a trusted host -----------------------------------------------

_RESULT = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*([a-z]+)\b([^;]*)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.from|header\.d|header\.i|smtp\.mailfrom)\s*=\s*([^\s;]+)", re.I)


def _unfolded_headers(raw: bytes, name: str) -> list[str]:
    block = _header_block(raw).decode("utf-8", "replace").replace("\r\n", "\n")
    block = re.sub(r"\n[ \t]+", " ", block)
    prefix = name.lower() + ":"
    return [
        line[len(prefix) :].strip() for line in block.split("\n") if line.lower().startswith(prefix)
    ]


def _trusted_results(raw: bytes, from_domain: str) -> Verdict | None:
    """The verdict of the first (topmost, so added last, by our own host) Authentication-Results
    header whose authserv-id is trusted; None when there is none."""
    trusted = {item.lower() for item in settings.SUPPORTAL_MAIL_TRUSTED_AUTHSERV_IDS}
    if not trusted:
        return None
    for value in _unfolded_headers(raw, "Authentication-Results"):
        authserv_id = re.sub(r"\(.*?\)", "", value).split(";", 1)[0].split()[:1]
        if not authserv_id or authserv_id[0].lower() not in trusted:
            continue
        verdict = Verdict(
            from_domain=from_domain, checked_by=f"Authentication-Results of {authserv_id[0]}"
        )
        dmarc_result = ""
        for method, result, rest in _RESULT.findall(value.split(";", 1)[1] if ";" in value else ""):
            result, props = (
                result.lower(),
                dict(
                    (key.lower(), val.strip("<>").lower()) for key, val in _PROPERTY.findall(rest)
                ),
            )
            if method.lower() == "dkim":
                domain = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
                verdict.dkim.append({"domain": domain, "result": result})
            elif method.lower() == "spf":
                verdict.spf = result
                verdict.spf_domain = props.get("smtp.mailfrom", "").rpartition("@")[2]
            elif method.lower() == "dmarc" and props.get("header.from", from_domain) == from_domain:
                dmarc_result = result
        if dmarc_result:
            verdict.dmarc = "pass" if dmarc_result == "pass" else dmarc_result
        else:
            aligned = any(
                item["result"] == "pass" and _aligned(item["domain"], from_domain, "r")
                for item in verdict.dkim
            ) or (verdict.spf == "pass" and _aligned(verdict.spf_domain, from_domain, "r"))
            verdict.dmarc = "pass" if aligned else "none"
        return verdict
    return None


def sender_verify(
    raw: bytes, *, peer_ip: str | None = None, envelope_from: str = "", helo: str = ""
) -> Verdict:
    """Check a message's sender (see the module docstring). Side effects: DNS lookups only."""
    try:
        return _sender_verify(raw, peer_ip=peer_ip, envelope_from=envelope_from, helo=helo)
    except Exception:  # a message no check can read is simply not verified
        logger.exception("sender authentication failed")
        return Verdict(dmarc="none")


def _sender_verify(raw: bytes, *, peer_ip: str | None, envelope_from: str, helo: str) -> Verdict:
    from_domain = _from_domain(raw)
    trusted = _trusted_results(raw, from_domain)
    if trusted is not None:
        return trusted
    verdict = Verdict(from_domain=from_domain, dkim=_dkim_results(raw))
    if peer_ip:
        verdict.spf, verdict.spf_domain = _spf_result(
            peer_ip=peer_ip, envelope_from=envelope_from, helo=helo
        )
    _dmarc(verdict)
    return verdict
