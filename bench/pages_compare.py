"""The request page and the ticket page of a generated database, before and after a change
(docs/performance.md, "Ninth round: the request page and the ticket page").

Run from each tree, on the same database (the generator's users; ``hostile`` once first):

    DATABASE_URL=... .venv/bin/python bench/pages_compare.py hostile      # hostile rows, once
    DATABASE_URL=... .venv/bin/python bench/pages_compare.py render DIR   # pages as HTML files
    DATABASE_URL=... .venv/bin/python bench/pages_compare.py time 40      # CPU ms per request
    DATABASE_URL=... .venv/bin/python bench/pages_compare.py count        # nodes, tags per page

``render`` writes the request page (the customer's and the company admin's requests) and the
ticket page (as agent, team lead and administrator), in English and Czech, with a fixed
clock and the CSRF and form tokens masked; compare two directories with ``diff -r`` (the
presence line, who else has the ticket open, follows the real clock: leave out its lines).
``time`` prints the median CPU time (``time.process_time``) of each page; take it in
alternating pairs, before and after.
"""

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
os.environ.setdefault("SECRET_KEY", "pages-tool")
import django

django.setup()
from django.test import Client  # noqa: E402

from bench.generate import (  # noqa: E402
    LOGIN_ADMIN,
    LOGIN_AGENT,
    LOGIN_COMPANY_ADMIN,
    LOGIN_CUSTOMER,
    LOGIN_LEAD,
)
from supportal.accounts.models import User  # noqa: E402
from supportal.tickets.models import Attachment, Comment, Event, Ticket  # noqa: E402

FIXED = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
MASKS = [
    (
        re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'),
        'name="csrfmiddlewaretoken" value="X"',
    ),
    (re.compile(r'name="token" value="[^"-]+-'), 'name="token" value="X-'),
    (re.compile(r'csrf[-_]token" content="[^"]+"'), 'csrf-token" content="X"'),
    (re.compile(r'data-csrf="[^"]+"'), 'data-csrf="X"'),
]


def mask(html: str) -> str:
    for pattern, repl in MASKS:
        html = pattern.sub(repl, html)
    return html


def client(email):
    c = Client(HTTP_HOST="127.0.0.1")
    c.force_login(User.objects.get(email=email))
    return c


def refs():
    customer = User.objects.get(email=LOGIN_CUSTOMER)
    admin = User.objects.get(email=LOGIN_COMPANY_ADMIN)
    own = list(
        Ticket.objects.filter(requester=customer)
        .order_by("pk")
        .values_list("reference", flat=True)[:8]
    )
    company = list(
        Ticket.objects.filter(organization=admin.organization_id)
        .exclude(requester=customer)
        .order_by("-pk")
        .values_list("reference", flat=True)[:8]
    )
    hostile = list(
        Ticket.objects.filter(summary__startswith="<b>HOSTILE").values_list("reference", flat=True)
    )
    from django.db.models import Count

    busy = list(
        Ticket.objects.filter(
            pk__in=[
                row["ticket"]
                for row in Event.objects.values("ticket").annotate(n=Count("id")).order_by("-n")[:6]
            ]
        ).values_list("reference", flat=True)
    )
    return own + hostile, company + hostile + busy


def render(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    own, company = refs()
    agent_refs = own + company
    plan = [
        (LOGIN_CUSTOMER, "/requests/{}/", own),
        (LOGIN_COMPANY_ADMIN, "/requests/{}/", company),
        (LOGIN_AGENT, "/agent/tickets/{}/", agent_refs),
        (LOGIN_LEAD, "/agent/tickets/{}/", agent_refs),
        (LOGIN_ADMIN, "/agent/tickets/{}/", agent_refs),
    ]
    n = 0
    with mock.patch("django.utils.timezone.now", return_value=FIXED):
        for lang in ("en", "cs"):
            for email, url, references in plan:
                User.objects.filter(email=email).update(language=lang)
                c = client(email)
                for reference in references:
                    r = c.get(url.format(reference))
                    body = mask(r.content.decode())
                    (out / f"{lang}-{email.replace('@', '_at_')}-{reference}.html").write_text(
                        f"{r.status_code}\n{body}"
                    )
                    n += 1
    print("rendered", n, "pages to", out)


def hostile():
    """Give some of the bench's rows hostile content (once)."""
    h = "<b>HOSTILE</b> \"q\" 'a' & <script>alert(1)</script>"
    customer = User.objects.get(email=LOGIN_CUSTOMER)
    admin = User.objects.get(email=LOGIN_COMPANY_ADMIN)
    for user in (customer, admin):
        t = Ticket.objects.filter(requester=user).order_by("-pk").first()
        Ticket.objects.filter(pk=t.pk).update(
            summary=h, details=h + " https://x.example/?a=<b>&c=1"
        )
        Comment.objects.filter(ticket=t).update(body=h + " http://evil.example/<x>")
        Attachment.objects.filter(ticket=t).update(file_name=h + ".txt")
    for email in (LOGIN_CUSTOMER, LOGIN_COMPANY_ADMIN):
        User.objects.filter(email=email).update(
            first_name='<i>Eve"</i>', last_name="&amp; <O'Neil>"
        )
    print("hostile content written")


def _tickets():
    own, _company = refs()
    return own[:8]


def cpu(c, urls, repeat):
    urls = [u for u in urls if c.get(u).status_code == 200]
    samples = []
    for i in range(repeat):
        u = urls[i % len(urls)]
        t0 = time.process_time()
        r = c.get(u)
        samples.append(time.process_time() - t0)
        assert r.status_code == 200, (u, r.status_code)
    return statistics.median(samples) * 1000


def timing(repeat):
    own, company = refs()
    cust = client(LOGIN_CUSTOMER)
    agent = client(LOGIN_AGENT)
    req = [f"/requests/{r}/" for r in own]
    tick = [f"/agent/tickets/{r}/" for r in own + company]
    print(f"request {cpu(cust, req, repeat):.1f} ticket {cpu(agent, tick, repeat):.1f}")


def template_counters() -> dict[str, int]:
    """From now on, count the template nodes, translate tags and ``{% url %}`` tags this process
    renders (the returned counts; set them to 0 between pages)."""
    from django.template import base, defaulttags
    from django.templatetags import i18n

    counts = {"nodes": 0, "translate": 0, "url": 0}

    def wrap(cls, attr, key):
        orig = getattr(cls, attr)

        def f(self, *a, **k):
            counts[key] += 1
            return orig(self, *a, **k)

        setattr(cls, attr, f)

    wrap(base.Node, "render_annotated", "nodes")
    wrap(i18n.TranslateNode, "render", "translate")
    wrap(i18n.BlockTranslateNode, "render", "translate")
    wrap(defaulttags.URLNode, "render", "url")
    return counts


def count():
    counts = template_counters()
    own, company = refs()
    for email, urls in (
        (LOGIN_CUSTOMER, [f"/requests/{r}/" for r in own]),
        (LOGIN_AGENT, [f"/agent/tickets/{r}/" for r in own + company]),
    ):
        c = client(email)
        for u in urls:
            c.get(u)
        for k in counts:
            counts[k] = 0
        for u in urls:
            c.get(u)
        print(email, {k: round(v / len(urls), 1) for k, v in counts.items()})


def parts(repeat):
    """CPU per request of the timeline and the SLA panel alone: the template's include
    (before) or the tag (after), each call timed."""
    from django.template import library, loader_tags

    spent = {"timeline": 0.0, "sla": 0.0}
    names = {
        "tickets/_timeline.html": "timeline",
        "sla/_panel.html": "sla",
        "timeline_html": "timeline",
        "sla_panel": "sla",
    }

    def timed(original, name_of):
        def render(self, context):
            key = names.get(name_of(self))
            if key is None:
                return original(self, context)
            start = time.process_time()
            try:
                return original(self, context)
            finally:
                spent[key] += time.process_time() - start

        return render

    include = loader_tags.IncludeNode
    include.render = timed(include.render, lambda node: getattr(node.template, "var", None))
    simple = library.SimpleNode
    simple.render = timed(simple.render, lambda node: node.func.__name__)
    own, company = refs()
    for email, urls in (
        (LOGIN_CUSTOMER, [f"/requests/{r}/" for r in own]),
        (LOGIN_AGENT, [f"/agent/tickets/{r}/" for r in own + company]),
    ):
        c = client(email)
        urls = [u for u in urls if c.get(u).status_code == 200]
        for key in spent:
            spent[key] = 0.0
        for i in range(repeat):
            c.get(urls[i % len(urls)])
        print(email.split("@")[0], {k: round(v * 1000 / repeat, 2) for k, v in spent.items()})


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "render":
        render(sys.argv[2])
    elif cmd == "hostile":
        hostile()
    elif cmd == "time":
        timing(int(sys.argv[2]))
    elif cmd == "parts":
        parts(int(sys.argv[2]))
    elif cmd == "count":
        count()
