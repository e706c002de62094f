"""The agent queue pages of a generated database, before and after a change
(docs/performance.md, "Tenth round: the agent queue").

Run from each tree, on the same database (the generator's users):

    DATABASE_URL=... .venv/bin/python bench/queue_compare.py render DIR   # pages as HTML files
    DATABASE_URL=... .venv/bin/python bench/queue_compare.py time 40      # CPU ms per request
    DATABASE_URL=... .venv/bin/python bench/queue_compare.py count        # nodes, statements
    DATABASE_URL=... .venv/bin/python bench/queue_compare.py parts 40     # the page's own block
    DATABASE_URL=... .venv/bin/python bench/queue_compare.py profile 200 FILE  # cProfile

``render`` writes the queue pages as the agent, the team lead and the administrator, in
English and Czech (set on their rows, put back after), with a fixed clock and the CSRF tokens
masked; compare two directories with ``diff -r``. ``time`` prints the median CPU time
(``time.process_time``) of each page, one client per page; take it in alternating pairs.
"""

import cProfile
import datetime as dt
import os
import re
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("SECRET_KEY", "queue-tool")
import django

django.setup()
from django.contrib.humanize.templatetags import humanize  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.generate import LOGIN_ADMIN, LOGIN_AGENT, LOGIN_LEAD  # noqa: E402
from bench.words import COMMON_WORD, RARE_WORD  # noqa: E402
from supportal.accounts.models import User  # noqa: E402
from supportal.desks.models import Desk  # noqa: E402

FIXED = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=|csrf[-_]token" content=)"[^"]+"')


class _FixedClock(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return FIXED if tz else FIXED.replace(tzinfo=None)


def client(email):
    c = Client(HTTP_HOST="127.0.0.1")
    c.force_login(User.objects.get(email=email))
    return c


def urls():
    desks = list(Desk.objects.order_by("pk").values_list("pk", flat=True)[:3])
    queues = [
        "unassigned",
        "mine",
        "waiting_for_customer",
        "waiting_for_third_party",
        "resolved",
        "at_risk",
        "open",
        "all",
    ]
    found = ["/agent/", "/agent/?view=nope&desk=x&created_from=never"]
    found += [f"/agent/?view={q}" for q in queues]
    for sort in ("updated", "priority", "deadline", "created"):
        found += [f"/agent/?view=open&sort={sort}", f"/agent/?view=at_risk&sort={sort}"]
    for desk in desks:
        for status in ("new", "in_progress", "waiting_for_customer", "closed"):
            found.append(f"/agent/?view=all&desk={desk}&status={status}")
    found += [
        f"/agent/?view=all&q={RARE_WORD}",
        f"/agent/?view=all&q={COMMON_WORD}",
        f"/agent/?view=all&q={COMMON_WORD}&sort=updated",
        "/agent/?view=all&q=%3Cscript%3E",
        "/agent/?view=open&assignee=none&priority=1&company=a%22b%3C",
        "/agent/?view=open&page=3",
        "/agent/?view=all&page=2&sort=created",
        "/agent/?view=all&desk=99999&status=new",
    ]
    return found


def _follow(c, url, html):
    """The "Next" and "Previous" links of a page, as the browser follows them."""
    found = re.findall(r'<a href="\?([^"]+)" rel="(?:next|prev)">', html)
    return ["/agent/?" + link.replace("&amp;", "&") for link in found]


def render(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    with (
        mock.patch("django.utils.timezone.now", return_value=FIXED),
        mock.patch.object(humanize, "datetime", _FixedClock),
    ):
        for lang in ("en", "cs"):
            for email in (LOGIN_AGENT, LOGIN_LEAD, LOGIN_ADMIN):
                before = User.objects.get(email=email).language
                User.objects.filter(email=email).update(language=lang)
                try:
                    for i, url in enumerate(urls()):
                        c = client(email)  # no remembered queue between pages
                        body = CSRF.sub(r'\1"X"', c.get(url).content.decode())
                        name = f"{lang}-{email.split('@')[0]}-{i:02d}"
                        (out / f"{name}.html").write_text(f"{url}\n{body}")
                        n += 1
                        for j, link in enumerate(_follow(c, url, body)):
                            followed = CSRF.sub(r'\1"X"', c.get(link).content.decode())
                            (out / f"{name}-{j}.html").write_text(f"{link}\n{followed}")
                            n += 1
                finally:
                    User.objects.filter(email=email).update(language=before)
    print("rendered", n, "pages to", out)


TIMED = {
    "agent queue": "/agent/",
    "desk + status": "/agent/?view=all&desk={desk}&status=in_progress",
    "SLA at risk": "/agent/?view=at_risk",
}


def _timed():
    desk = Desk.objects.order_by("pk").values_list("pk", flat=True).first()
    return {name: url.format(desk=desk) for name, url in TIMED.items()}


def timing(repeat):
    figures = {}
    for name, url in _timed().items():
        c = client(LOGIN_AGENT)
        for _ in range(2):
            c.get(url)
        samples = []
        for _ in range(repeat):
            start = time.process_time()
            response = c.get(url)
            samples.append(time.process_time() - start)
            assert response.status_code == 200, (url, response.status_code)
        figures[name] = round(statistics.median(samples) * 1000, 1)
    print(figures)


def count():
    from bench.pages_compare import template_counters

    counts = template_counters()
    for name, url in _timed().items():
        c = client(LOGIN_AGENT)
        c.get(url)
        c.get(url)
        for k in counts:
            counts[k] = 0
        with CaptureQueriesContext(connection) as queries:
            c.get(url)
        print(name, {**counts, "statements": len(queries.captured_queries)})


def parts(repeat):
    """CPU per request of the page's own block (``workspace_content``: the queues' menu, the
    toolbar, the list) and of the whole page, each page's requests timed alike."""
    from django.template import loader_tags

    spent = {"content": 0.0}
    original = loader_tags.BlockNode.render

    def render(self, context):
        if self.name != "workspace_content":
            return original(self, context)
        start = time.process_time()
        try:
            return original(self, context)
        finally:
            spent["content"] += time.process_time() - start

    loader_tags.BlockNode.render = render
    figures = {}
    for name, url in _timed().items():
        c = client(LOGIN_AGENT)
        for _ in range(2):
            c.get(url)
        spent["content"] = 0.0
        start = time.process_time()
        for _ in range(repeat):
            c.get(url)
        whole = (time.process_time() - start) * 1000 / repeat
        figures[name] = (round(spent["content"] * 1000 / repeat, 2), round(whole, 1))
    print(figures)


def profile(repeat, path):
    pages = [_timed()["agent queue"], _timed()["SLA at risk"]]
    clients = [client(LOGIN_AGENT) for _ in pages]
    for c, url in zip(clients, pages, strict=True):
        c.get(url)
        c.get(url)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(repeat):
        clients[i % 2].get(pages[i % 2])
    profiler.disable()
    profiler.dump_stats(path)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "render":
        render(sys.argv[2])
    elif cmd == "time":
        timing(int(sys.argv[2]))
    elif cmd == "count":
        count()
    elif cmd == "parts":
        parts(int(sys.argv[2]))
    elif cmd == "profile":
        profile(int(sys.argv[2]), sys.argv[3])
