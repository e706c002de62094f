"""A small JSON client for the sources' REST APIs: authentication, pagination, rate limits.

The standard library's ``urllib`` is enough (no new dependency): every call is a GET of JSON
or of a file. A 429 (or 503) answer is waited out for as long as its ``Retry-After`` header
says, then asked again; pages are followed through the ``Link: <…>; rel="next"`` header that
Freshdesk sends, or by the caller's own page parameters (Jira's ``startAt``).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

logger = logging.getLogger("supportal.imports")

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
# A Retry-After past this many seconds is capped: the import waits and tries again.
MAX_WAIT_SECONDS = 300


class SourceError(Exception):
    """The source answered with an error the import cannot get past (authentication, a
    missing project): the message says which address and what it answered."""


@dataclass
class JsonClient:
    base_url: str
    username: str = ""
    password: str = ""
    timeout: float = 60
    retries: int = 8
    headers: dict[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = field(default=0, init=False)
    waits: list[float] = field(default_factory=list, init=False)

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = urljoin(self.base_url.rstrip("/") + "/", path.lstrip("/"))
        return f"{url}?{urlencode(params)}" if params else url

    def _headers(self, url: str) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "Supportal-import", **self.headers}
        # Credentials only to the source itself, never to a file host it links to.
        if self.username and urlsplit(url).netloc == urlsplit(self.base_url).netloc:
            pair = f"{self.username}:{self.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers

    def fetch(self, url: str) -> tuple[bytes, Message]:
        """GET ``url``; rate limits and passing failures are waited out and retried."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise SourceError(f"{url}: only http and https addresses are read")
        for attempt in range(self.retries + 1):
            # The scheme is checked above: no file: or custom schemes reach urlopen.
            request = urllib.request.Request(url, headers=self._headers(url))  # noqa: S310
            self.requests_made += 1
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return response.read(), response.headers
            except urllib.error.HTTPError as exc:
                if exc.code not in (429, 502, 503, 504) or attempt == self.retries:
                    body = exc.read()[:300].decode("utf-8", "replace")
                    raise SourceError(f"{url}: HTTP {exc.code} {body}") from exc
                self._wait(exc.headers.get("Retry-After"), attempt)
            except urllib.error.URLError as exc:
                if attempt == self.retries:
                    raise SourceError(f"{url}: {exc.reason}") from exc
                self._wait(None, attempt)
        raise SourceError(url)  # pragma: no cover - the loop returns or raises

    def _wait(self, retry_after: str | None, attempt: int) -> None:
        try:
            seconds = float(retry_after) if retry_after else 2.0**attempt
        except ValueError:
            seconds = 2.0**attempt
        seconds = min(max(seconds, 0.0), MAX_WAIT_SECONDS)
        logger.info("source busy: waiting %.0f s", seconds)
        self.waits.append(seconds)
        self.sleep(seconds)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        body, _headers = self.fetch(self.url(path, params))
        return json.loads(body)

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Each item of a list endpoint, page after page, following ``Link: rel="next"``
        (Freshdesk); without the header, the next ``page`` while pages come back full."""
        params = dict(params or {})
        url: str | None = self.url(path, params)
        page = int(params.get("page", 1))
        per_page = int(params.get("per_page", 0))
        while url:
            body, headers = self.fetch(url)
            items = json.loads(body)
            yield from items
            match = _NEXT.search(headers.get("Link", "") or "")
            if match:
                url = urljoin(url, match.group(1))
            elif per_page and len(items) == per_page:
                page += 1
                url = self.url(path, {**params, "page": page})
            else:
                url = None
