"""The shared cast every test uses: two desks with their agents and a team lead,
two customer companies with customers and a customer admin, an outsider and an administrator.

    desk HELP: agent_help (agent), lead_help (team lead)    desk DEV: agent_dev (agent)
    company Cristina SRL: cristina (requester), colleague, cristina_admin (customer admin)
    company Other SA: other_customer                          outsider: no company
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.test import override_settings

from config.pytest_plugin import has_failed, is_transactional
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

    def ticket(self, requester: User | None = None, desk: Desk | None = None, **given) -> Ticket:
        """A new ticket, created through the service as the requester would."""
        requester = requester or self.cristina
        given.setdefault("summary", "Parola blocată")
        given.setdefault("details", "Am parola blocata, rog deblocare")
        return services.ticket_create(
            desk=desk or self.help_desk,
            requester=requester,
            actor=given.pop("actor", requester),
            **given,
        )

    def refreshed(self) -> Cast:
        """The same cast read again from the database (after a test changed its rows)."""
        return refreshed(self)


Built = TypeVar("Built")


def refreshed(built: Built) -> Built:
    """A copy of rows (a model instance, a dataclass of them such as a cast or a world, lists
    and dicts of them) with every model instance read again from the database.

    A world shared by a module's tests outlives each test's rollback; its Python objects must not
    carry one test's unsaved or rolled-back changes into the next.
    """
    if isinstance(built, models.Model):
        return type(built)._default_manager.get(pk=built.pk)
    if is_dataclass(built) and not isinstance(built, type):
        return type(built)(**{f.name: refreshed(getattr(built, f.name)) for f in fields(built)})
    if isinstance(built, dict):
        return {key: refreshed(item) for key, item in built.items()}  # type: ignore[return-value]
    if isinstance(built, list):
        return [refreshed(item) for item in built]  # type: ignore[return-value]
    return built


@pytest.fixture(autouse=True)
def _empty_cache():
    # Each test starts cold: what an earlier test left in the cache (the footer's opening
    # hours, throttle counters, presence) must not change this test's queries or answers.
    from django.core.cache import cache

    from supportal.core.names import site_language_changed
    from supportal.desks.choices import forget_kept

    cache.clear()
    site_language_changed()
    # The desks' choices kept per process: a rolled-back test's rows may share their version.
    forget_kept()
    # A test starts with no webhook endpoint, as the routing cache then says (the first ticket
    # action of a test must cost what every later one costs).
    from supportal.webhooks.services import endpoints_cache_known_empty

    endpoints_cache_known_empty()
    yield
    cache.clear()
    site_language_changed()


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


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _test_settings(_local_dns_server) -> Iterator[None]:
    """The settings every test runs with, set once per process: sender authentication asks only
    the local DNS server, and passwords are hashed with MD5 (PBKDF2's deliberate slowness would
    dominate the suite's run time). A test that changes one (``settings``, ``override_settings``)
    gets these back after it. Set for each test, they cost eight ``setting_changed`` signals per
    test, 0.3 ms of CPU (docs/architecture.md, "Ninth round: the suite's own CPU")."""
    with override_settings(
        PASSWORD_HASHERS=FAST_HASHERS,
        SUPPORTAL_MAIL_DNS_SERVERS=[_local_dns_server.address],
        SUPPORTAL_MAIL_DNS_TIMEOUT=1,
        SUPPORTAL_MAIL_TRUSTED_AUTHSERV_IDS=[],
    ):
        yield


@pytest.fixture(autouse=True)
def local_dns(_local_dns_server, _test_settings):
    """Sender authentication asks only this server on 127.0.0.1 (empty: every name unknown);
    tests add the records they need with ``local_dns.add(name, type, value)``."""
    from supportal.mail.inbound.auth import dns_cache_clear

    _local_dns_server.clear()
    dns_cache_clear()
    return _local_dns_server


PASSWORD = "parola123"


def _password_hash() -> str:
    """The cast's password hashed once per hasher configuration: every person of the cast has
    it, and a child process (``manage.py shell``) hashes with the production hasher, about 0.3 s
    of CPU for each of ten people (docs/architecture.md, "Seventeenth round: tests that
    waited")."""
    return _password_hash_with(tuple(settings.PASSWORD_HASHERS))


@functools.cache
def _password_hash_with(hashers: tuple[str, ...]) -> str:
    # ``hashers`` is the cache's key: make_password reads the same list from the settings.
    return make_password(PASSWORD)


def _user(email: str, first: str, last: str, **fields) -> User:
    return User.objects.create(
        email=email, password=_password_hash(), first_name=first, last_name=last, **fields
    )


def cast_build() -> Cast:
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
        # What create_superuser makes, with the shared password's hash.
        admin=_user("admin@support.test", "", "", is_staff=True, is_superuser=True, is_agent=True),
        # The customers chose English in their profiles, so pages and mails read as the tests
        # expect although their requests are written in Romanian; the language chain
        # (docs/languages.md) is tested with people of its own.
        cristina=_user(
            "cristina.tanasescu@example.com",
            "Cristina",
            "Tănăsescu",
            organization=cristina_srl,
            language="en",
        ),
        colleague=_user(
            "ion.popescu@example.com", "Ion", "Popescu", organization=cristina_srl, language="en"
        ),
        cristina_admin=_user(
            "admin@example.com",
            "Ana",
            "Admin",
            organization=cristina_srl,
            is_customer_admin=True,
            language="en",
        ),
        other_customer=_user(
            "petr@other.test", "Petr", "Novák", organization=other_sa, language="en"
        ),
        outsider=_user("outsider@nowhere.test", "Out", "Sider", language="en"),
        **agents,
    )


# ---- rows built once per module ----------------------------------------------------------------
#
# Building the cast (nine users, two desks, two companies) for each of some three thousand tests
# was a large share of the suite's time. The tests of a module that ask for the cast share one,
# built in a transaction opened before the first of them and rolled back after the module; each
# test still runs in its own savepoint (pytest-django's ``db``), so what a test writes is undone
# before the next. The shared rows are there only for the tests that ask for them: before any
# other test, and before a test on committed rows (``transaction=True``, ``live_server``:
# threads, subprocesses, the browser; those build their own cast), the transaction is rolled
# back, and it is opened and built again for the next test that asks.


class ModuleRows:
    """Rows shared by the tests of one module, in a transaction rolled back after them."""

    current: ModuleRows | None = None
    # The test being set up (a module fixture is set up for the first test that needs it).
    setting_up: pytest.Item | None = None

    def __init__(self, blocker, module: pytest.Module) -> None:
        self._blocker = blocker
        self.module = module
        self._stack: ExitStack | None = None
        self._builders: dict[str, Callable[[ModuleRows], Any]] = {}
        self._built: dict[str, Any] = {}
        # What each set of rows holds in the database after the last build, read back once;
        # a test gets a deep copy of it (no query per test, nothing carried between tests).
        self._stored: dict[str, Any] = {}

    @property
    def is_open(self) -> bool:
        return self._stack is not None

    def open(self) -> None:
        """Open the module's transaction and build every registered set of rows in it."""
        assert self._stack is None
        self._stack = ExitStack()
        self._stack.enter_context(self._blocker.unblock())
        self._stack.enter_context(transaction.atomic())
        for name in self._builders:
            self._build(name)

    def _build(self, name: str) -> None:
        # Built as a test's own rows would be (the suite's fast hasher).
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            self._built[name] = self._builders[name](self)
        # A builder may change rows an earlier one built (a desk's ticket counter): read every
        # set back, still outside any test's savepoint.
        self._stored = {built: refreshed(rows) for built, rows in self._built.items()}

    def register(self, name: str, build: Callable[[ModuleRows], Any]) -> None:
        """Rows the module's tests share: ``build(rows)`` runs now and again at each reopening
        (in registration order, so a builder may read ``rows.get`` of an earlier one)."""
        self._builders[name] = build
        if self.is_open:
            self._build(name)

    def get(self, name: str) -> Any:
        """The rows ``name`` as built, or None when the transaction is not open."""
        return self._built.get(name) if self.is_open else None

    def copy(self, name: str) -> Any:
        """A test's own copy of the rows ``name`` as the database holds them (every model
        instance a fresh object, as if read again), or None when the transaction is not open.
        A deep copy costs no query; reading the cast back for each test was 18."""
        return copy.deepcopy(self._stored[name]) if self.is_open and name in self._stored else None

    def close(self) -> None:
        if self._stack is None:
            return
        transaction.set_rollback(True)
        self._stack.close()
        self._stack = None
        self._built.clear()
        self._stored.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Runs before the test's fixtures, so outside any test's savepoint.
    ModuleRows.setting_up = item
    rows = ModuleRows.current
    if rows is None:
        return
    wants_rows = "module_rows" in getattr(item, "fixturenames", ())
    if not wants_rows or is_transactional(item) or item.getparent(pytest.Module) is not rows.module:
        rows.close()
    elif not rows.is_open:
        rows.open()


@pytest.fixture(scope="module")
def module_rows(request, django_db_setup, django_db_blocker) -> Iterator[ModuleRows]:
    """Rows shared by a module's tests (see ``ModuleRows``); set up before any test's own
    transaction, since a module fixture comes before ``db``."""
    rows = ModuleRows(django_db_blocker, request.node)
    ModuleRows.current = rows
    if ModuleRows.setting_up is None or not is_transactional(ModuleRows.setting_up):
        rows.open()
    yield rows
    rows.close()
    ModuleRows.current = None


@pytest.fixture(scope="module")
def _module_cast(module_rows) -> None:
    module_rows.register("cast", lambda rows: cast_build())


@pytest.fixture
def cast(module_rows, _module_cast, db) -> Cast:
    shared = module_rows.copy("cast")
    return shared if shared is not None else cast_build()


# Debian's Chromium, as its headless shell where that is installed (.ci/services installs both):
# the same engine and version without the full browser's windowing and compositing, which is
# what Playwright itself runs for headless Chromium; 36 % less CPU for the suite's browser tests
# (docs/architecture.md, "Seventeenth round: the browser's headless shell").
CHROMIUMS = (Path("/usr/bin/chromium-headless-shell"), Path("/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    executable = next((path for path in CHROMIUMS if path.exists()), None)
    if executable is None:
        pytest.skip(
            "Chromium is not installed (apt-get install chromium-headless-shell or chromium;"
            " .ci/services does it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable),
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
    """A fresh browser page; where the test failed, a screenshot of the page's last state is
    kept as a test artefact (var/test-artifacts/). Only then: a full page's screenshot after each
    of the suite's browser tests cost about 7 s of CPU a pass (docs/architecture.md, "Thirteenth
    round: the pipeline")."""
    from playwright.sync_api import expect

    context = chromium.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    # CI machines have two cores shared by a live server, Chromium and PostgreSQL: give
    # assertions the same patience as actions.
    expect.set_options(timeout=10_000)
    yield page
    if has_failed(request.node):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
