"""Project-wide pytest set-up (loaded with -p, before pytest-django reads the settings).

Tests that need something a machine may lack (PostgreSQL, Chromium, Dovecot) skip with a clear
reason. With SUPPORTAL_REQUIRE_ALL=1 (what .ci/run sets) every such skip becomes a failure, so
CI cannot go green by skipping.

Tests that drive a browser, need committed rows (threads, subprocesses, a live server) or start
a server of their own are marked ``slow`` here; ``make test-fast`` leaves them out. The test of
the container image (marked ``image``) runs only with ``SUPPORTAL_TEST_IMAGE`` set.

The slow tests that use no test database (subprocesses, servers, several workers: up to half a
minute each) run first. pytest-django orders the tests as Django does (database tests, then
those on committed rows, then those without a database), which put them last, where with
pytest-xdist one worker ran them alone while the others had finished.
"""

from __future__ import annotations

import gc
import os
import sys

import pytest

from supportal.core.heap import loading_finished, loading_started

# Tests run with DEBUG off, as production does; they need a key but must not write one to var/.
os.environ.setdefault("SECRET_KEY", "supportal-tests-only-not-secret")
# Templates name static files without the hashed-name manifest that collectstatic writes (one
# test collects and checks it: supportal/core/tests/test_production.py).
os.environ.setdefault("SUPPORTAL_STATIC_MANIFEST", "false")
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the test
# body are still synchronous, so its async-safety guard must be told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The packages whose asserts pytest rewrites besides the tests themselves (and conftests).
OWN_PACKAGES = ("supportal", "config", "bench")


def third_party_plugins_not_rewritten() -> None:
    """pytest rewrites the asserts of every module of each installed plugin's distribution
    (Hypothesis, Schemathesis, anyio, pytest-django, xdist), not only of the tests; where
    PYTHONDONTWRITEBYTECODE is set (our machines, CI) nothing caches the result, so each pytest
    process parsed and compiled some 280 modules of theirs again: about 10 s of CPU in each
    worker (docs/architecture.md, "Tests and their time"). Their asserts are their own checks,
    not ours to explain: they load as installed. Runs when this plugin is imported (``-p``),
    after pytest marked the plugins and before it imports them."""
    from _pytest.assertion.rewrite import AssertionRewritingHook

    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        # Private to pytest: a release that renames it only costs the time again.
        if isinstance(finder, AssertionRewritingHook) and isinstance(marked, set):
            finder._must_rewrite = {name for name in marked if name.split(".")[0] in OWN_PACKAGES}
            getattr(finder, "_marked_for_rewrite_cache", {}).clear()


third_party_plugins_not_rewritten()

# No garbage collection while the process loads: Django and its apps (until the last app is
# ready: supportal/core/heap.py), then the tests (until pytest_collection_finish).
loading_started()


def static_files_indexed_once(patch: pytest.MonkeyPatch) -> None:
    """WhiteNoise's middleware lists the static files (some 600) and builds a responder for each
    when it is made, and the test client makes its middleware anew for each client: 23 ms of
    CPU per client, which was most of the URL walks' time (docs/architecture.md, "Tests and
    their time"). The list is built once per folder state and configuration, and then shared,
    as one server process shares it between its requests: a folder whose files changed (names,
    sizes, times) or another configuration is listed again."""
    from whitenoise.base import WhiteNoise, scantree

    index = WhiteNoise.update_files_dictionary
    indexed: dict[tuple, dict] = {}

    def update_files_dictionary(self: WhiteNoise, root: str, prefix: str) -> None:
        state = tuple(sorted((path, st.st_size, st.st_mtime_ns) for path, st in scantree(root)))
        configuration = (
            type(self),
            self.max_age,
            self.allow_all_origins,
            self.charset,
            self.index_file,
            self.add_headers_function,
            self.__dict__.get("immutable_file_test"),
            tuple(sorted(self.media_types.types_map.items())),
        )
        key = (root, prefix, configuration, state)
        if key not in indexed:
            before = dict(self.files)
            index(self, root, prefix)
            indexed[key] = {url: f for url, f in self.files.items() if before.get(url) is not f}
        self.files.update(indexed[key])

    patch.setattr(WhiteNoise, "update_files_dictionary", update_files_dictionary)


_PATCHES = pytest.MonkeyPatch()


def pytest_configure(config: pytest.Config) -> None:
    from config import pytest_flush

    static_files_indexed_once(_PATCHES)
    pytest_flush.install(_PATCHES)


def pytest_unconfigure(config: pytest.Config) -> None:
    _PATCHES.undo()


# The garbage collector's thresholds once the tests are collected: a full collection after a
# thousand of the middle generation's instead of ten (see pytest_collection_finish).
TESTS_GC_THRESHOLDS = (700, 10, 1000)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session):
    """The collector off while the tests are collected (on again in pytest_collection_finish,
    or here if collection failed before it)."""
    loading_started()
    try:
        return (yield)
    finally:
        gc.enable()


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection loaded (Django, the apps, every test module and item) lives to the end
    of the process: frozen out of the garbage collector's scans, and full collections made
    rare. The tests' own cycles are still collected by the young generations. Measured: 13 %
    of a test process's CPU went to collections, 4 % after (docs/architecture.md, "Eleventh
    round: the garbage collector")."""
    gc.set_threshold(*TESTS_GC_THRESHOLDS)
    loading_finished()


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist load`` (xdist's default) with at most ``--maxschedchunk`` tests waiting on each
    worker (config/pytest_schedule.py); any other ``--dist`` is xdist's own."""
    if config.getvalue("dist") != "load" or config.getvalue("maxschedchunk") is None:
        return None
    from config.pytest_schedule import BoundedLoadScheduling

    return BoundedLoadScheduling(config, log)


# Each phase's report of a test (setup, call), kept on the item so that its fixtures' teardown
# knows whether it failed (the browser page's screenshot, supportal/conftest.py).
PHASE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def has_failed(item: pytest.Item) -> bool:
    """Whether the test's setup or call failed (asked from a fixture's teardown)."""
    return any(report.failed for report in item.stash.get(PHASE_REPORTS, {}).values())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    item.stash.setdefault(PHASE_REPORTS, {})[report.when] = report
    if (
        report.skipped
        and os.environ.get("SUPPORTAL_REQUIRE_ALL") == "1"
        and not hasattr(report, "wasxfail")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"SUPPORTAL_REQUIRE_ALL=1 turns this skip into a failure: {reason}"


# Fixtures that start a browser, a server of their own (mail, S3) or child processes on a
# migrated database of their own.
SLOW_FIXTURES = {
    "live_server",
    "chromium",
    "page",
    "dovecot",
    "oidc_provider",
    "smtp_server",
    "sink",
    "s3_endpoint",
    "child_sqlite",
    "migrated_sqlite",
    "migrated_postgres",
}


def is_transactional(item: pytest.Item) -> bool:
    """Whether the test runs on committed rows (pytest-django's TransactionTestCase)."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)):
        return True
    names = getattr(item, "fixturenames", ())
    return "transactional_db" in names or "live_server" in names


def uses_database(item: pytest.Item) -> bool:
    """Whether the test uses the test database (as pytest-django decides when it orders them)."""
    names = getattr(item, "fixturenames", ())
    return (
        item.get_closest_marker("django_db") is not None
        or "db" in names
        or is_transactional(item)
        or "module_rows" in names
    )


def _deselect(config: pytest.Config, items: list[pytest.Item], marker: str) -> None:
    """Leave out the tests marked ``marker``: deselected, not skipped."""
    left_out = [item for item in items if item.get_closest_marker(marker)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(marker)]


def own_database_check(items: list[pytest.Item]) -> None:
    """A test marked ``own_database`` must not use the suite's test database: run on another
    database, it would then test something else."""
    wrong = [
        item.nodeid
        for item in items
        if item.get_closest_marker("own_database") and uses_database(item)
    ]
    if wrong:
        raise pytest.UsageError(f"own_database, yet they use the test database: {wrong}")


def no_database_deselect(config: pytest.Config, items: list[pytest.Item]) -> None:
    """.ci/run's PostgreSQL pass: a test that uses no database (pytest-django refuses it one)
    and starts no process, server or browser (which might read DATABASE_URL) runs the same code
    on either database, and the SQLite pass has run it (docs/architecture.md, "Eighth round:
    the pipeline"). Deselected, not skipped."""
    left_out = [
        item
        for item in items
        if not uses_database(item)
        and not item.get_closest_marker("slow")
        and not item.get_closest_marker("postgres_only")
    ]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        chosen = set(left_out)
        items[:] = [item for item in items if item not in chosen]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The container image's test needs an image built beforehand (minutes): it runs when
    # given one (`make test-image`), and is otherwise left out — deselected, not skipped.
    if not os.environ.get("SUPPORTAL_TEST_IMAGE"):
        _deselect(config, items, "image")
    # Tests whose children run on databases of their own choosing (SQLite and PostgreSQL
    # alike) do the same whatever DATABASE_URL says: .ci/run's second pass of the suite, on
    # PostgreSQL, leaves them to its first (docs/architecture.md, "Tests and their time").
    own_database_check(items)
    if os.environ.get("SUPPORTAL_SKIP_OWN_DATABASE") == "1":
        _deselect(config, items, "own_database")
    for item in items:
        if (
            item.get_closest_marker("browser")
            or is_transactional(item)
            or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)
    if os.environ.get("SUPPORTAL_SKIP_NO_DATABASE") == "1":
        no_database_deselect(config, items)
    # After pytest-django's ordering (tryfirst): the slow tests without a database go first,
    # the rest keep their order (database tests in Django's order, each module's together).
    first = [item for item in items if item.get_closest_marker("slow") and not uses_database(item)]
    if first:
        chosen = set(first)
        items[:] = first + [item for item in items if item not in chosen]
