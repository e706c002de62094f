"""The shared cast every test uses (STYLE.md): two desks with their agents and a team lead,
two customer companies with customers and a customer admin, an outsider and an administrator.

    desk HELP: agent_help (agent), lead_help (team lead)    desk DEV: agent_dev (agent)
    company Cristina SRL: cristina (requester), colleague, cristina_admin (customer admin)
    company Other SA: other_customer                          outsider: no company
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from supportal.accounts.models import Organization, User
from supportal.desks.models import Desk, DeskMembership, DeskRole, Priority, Product, RequestType
from supportal.tickets import services
from supportal.tickets.models import Ticket


@dataclass
class Cast:
    help_desk: Desk
    dev_desk: Desk
    product: Product
    question: RequestType
    bug: RequestType
    high: Priority
    normal: Priority
    cristina_srl: Organization
    other_sa: Organization
    admin: User
    agent_help: User
    lead_help: User
    agent_dev: User
    cristina: User
    colleague: User
    cristina_admin: User
    other_customer: User
    outsider: User

    def ticket(self, requester: User | None = None, desk: Desk | None = None, **fields) -> Ticket:
        """A new ticket, created through the service as the requester would."""
        requester = requester or self.cristina
        fields.setdefault("summary", "Parola blocată")
        fields.setdefault("details", "Am parola blocata, rog deblocare")
        return services.ticket_create(
            desk=desk or self.help_desk,
            requester=requester,
            actor=fields.pop("actor", requester),
            **fields,
        )


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test starts cold: what an earlier test left in the cache (the footer's opening
    # hours, throttle counters, presence) must not change this test's queries or answers.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language_and_time_zone():
    # A request activates its user's language and time zone on the test's thread; the next
    # test must not inherit them.
    from django.utils import timezone, translation

    yield
    translation.deactivate()
    timezone.deactivate()


@pytest.fixture(scope="session")
def _local_dns_server():
    from supportal.mail.testing import LocalDns

    return LocalDns()


@pytest.fixture(autouse=True)
def local_dns(_local_dns_server, settings):
    """Sender authentication asks only this server on 127.0.0.1 (empty: every name unknown);
    tests add the records they need with ``local_dns.add(name, type, value)``."""
    _local_dns_server.clear()
    settings.SUPPORTAL_MAIL_DNS_SERVERS = [_local_dns_server.address]
    settings.SUPPORTAL_MAIL_DNS_TIMEOUT = 1
    settings.SUPPORTAL_MAIL_TRUSTED_AUTHSERV_IDS = []
    return _local_dns_server


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(email: str, first: str, last: str, **fields) -> User:
    return User.objects.create_user(
        email, password="parola123", first_name=first, last_name=last, **fields
    )


@pytest.fixture
def cast(db) -> Cast:
    help_desk = Desk.objects.create(name="Helpdesk", key="HELP", email_address="support@localhost")
    dev_desk = Desk.objects.create(name="Development", key="DEV")
    product = Product.objects.create(name="Tecnet Web")
    help_desk.products.add(product)
    cristina_srl = Organization.objects.create(name="Cristina SRL", registration_number="RO123")
    other_sa = Organization.objects.create(name="Other SA")
    agents = {
        "agent_help": _user("bogdan.moraru@support.test", "Bogdan", "Moraru", is_agent=True),
        "lead_help": _user("lead@support.test", "Lena", "Lead", is_agent=True),
        "agent_dev": _user("dev@support.test", "Dan", "Dev", is_agent=True),
    }
    DeskMembership.objects.create(desk=help_desk, user=agents["agent_help"])
    DeskMembership.objects.create(desk=help_desk, user=agents["lead_help"], role=DeskRole.TEAM_LEAD)
    DeskMembership.objects.create(desk=dev_desk, user=agents["agent_dev"])
    return Cast(
        help_desk=help_desk,
        dev_desk=dev_desk,
        product=product,
        question=RequestType.objects.create(desk=help_desk, name="Question"),
        bug=RequestType.objects.create(desk=help_desk, name="Bug"),
        high=Priority.objects.create(name="High", rank=20),
        normal=Priority.objects.create(name="Normal", rank=10, is_default=True),
        cristina_srl=cristina_srl,
        other_sa=other_sa,
        admin=User.objects.create_superuser("admin@support.test", "parola123"),
        cristina=_user(
            "cristina.tanasescu@example.com", "Cristina", "Tănăsescu", organization=cristina_srl
        ),
        colleague=_user("ion.popescu@example.com", "Ion", "Popescu", organization=cristina_srl),
        cristina_admin=_user(
            "admin@example.com", "Ana", "Admin", organization=cristina_srl, is_customer_admin=True
        ),
        other_customer=_user("petr@other.test", "Petr", "Novák", organization=other_sa),
        outsider=_user("outsider@nowhere.test", "Out", "Sider"),
        **agents,
    )


CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/services does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser page; a screenshot of its last state is kept as a test artefact."""
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    # CI machines have two cores shared by a live server, Chromium and PostgreSQL: give
    # assertions the same patience as actions.
    expect.set_options(timeout=10_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
