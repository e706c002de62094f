"""The live channel (docs/workspace.md, Live updates): notices published only after the commit,
heard only by agents of the ticket's desk, over a real ASGI server's event stream, and the
polling fallback without Redis."""

from __future__ import annotations

import contextlib
import os
import time
import uuid

import pytest
import redis
from django.db import transaction
from django.test import override_settings

from supportal.tickets import services
from supportal.workspace import live
from supportal.workspace.tests.asgi_server import (
    asgi_server_running,
    redis_url_or_skip,
    session_cookie_for,
    stream_open,
)


@pytest.fixture
def live_redis():
    """The stream mode, on a channel of this test's own (other test processes share Redis)."""
    url = redis_url_or_skip()
    channel = f"supportal:live:test:{uuid.uuid4().hex}"
    with override_settings(REDIS_URL=url, SUPPORTAL_LIVE_CHANNEL=channel):
        live._publisher = None
        yield redis.Redis.from_url(url)
    live._publisher = None


def _listen(client):
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(live.channel_name())
    return pubsub


def _heard(pubsub, timeout: float = 0.5) -> list[live.Notice]:
    notices = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.05)
        notice = message and live.Notice.from_json(message["data"])
        if notice:
            notices.append(notice)
    return notices


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_announced_once_committed_and_a_rolled_back_one_never(cast, live_redis):
    ticket = cast.ticket()
    pubsub = _listen(live_redis)
    with transaction.atomic():
        services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Verificăm.")
        assert _heard(pubsub, 0.3) == []  # not before the commit
    heard = _heard(pubsub)
    last = ticket.events.order_by("-id").first()
    assert heard == [live.Notice(desk=cast.help_desk.pk, ticket=ticket.reference, id=last.pk)]

    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Anulat.")
        raise Undone
    assert _heard(pubsub) == []


@pytest.mark.django_db(transaction=True)
def test_an_action_of_several_events_is_one_notice_per_ticket_and_redis_down_breaks_nothing(
    cast, live_redis
):
    pubsub = _listen(live_redis)
    tickets = [cast.ticket(summary=f"Cerere {n}") for n in range(3)]
    assert {notice.ticket for notice in _heard(pubsub)} == {t.reference for t in tickets}

    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):  # nobody listens there
        live._publisher = None
        services.ticket_comment_add(ticket=tickets[0], author=cast.agent_help, body="Tot salvat.")
    live._publisher = None
    assert tickets[0].comments.filter(body="Tot salvat.").exists()


def test_an_agent_hears_of_the_desks_they_work_only():
    notice = live.Notice(desk=3, ticket="HELP-1", id=9)
    assert live.may_hear({3, 4}, notice)
    assert not live.may_hear({4}, notice)
    assert not live.may_hear(set(), notice)
    assert live.may_hear(None, notice)  # administrators: every desk
    assert live.Notice.from_json(notice.to_json()) == notice
    assert live.Notice.from_json(b"not json") is None


@pytest.mark.django_db
def test_without_redis_the_page_polls_the_last_event_id_with_an_etag(client, cast):
    ticket = cast.ticket()
    client.force_login(cast.agent_help)
    answer = client.get("/agent/live/last/", {"ticket": ticket.reference})
    first = answer.json()["id"]
    assert first == ticket.events.order_by("-id").first().pk
    same = client.get(
        "/agent/live/last/", {"ticket": ticket.reference}, HTTP_IF_NONE_MATCH=answer["ETag"]
    )
    assert same.status_code == 304
    assert same.content == b""

    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Mai e blocată.")
    moved = client.get(
        "/agent/live/last/", {"ticket": ticket.reference}, HTTP_IF_NONE_MATCH=answer["ETag"]
    )
    assert moved.status_code == 200
    assert moved.json()["id"] > first
    assert client.get("/agent/live/last/").json()["id"] == moved.json()["id"]

    # Another desk's agent: the ticket is not there for them, and their desks did not move.
    client.force_login(cast.agent_dev)
    assert client.get("/agent/live/last/", {"ticket": ticket.reference}).status_code == 404
    assert client.get("/agent/live/last/").json()["id"] < first
    client.force_login(cast.cristina)
    assert client.get("/agent/live/last/").status_code == 403


@pytest.mark.django_db
def test_the_poll_costs_the_same_few_queries_however_busy_the_desk(
    client, cast, django_assert_max_num_queries
):
    for n in range(5):
        cast.ticket(summary=f"Cerere {n}")
    client.force_login(cast.agent_help)
    # The site settings (cached after the first request), session, user, memberships, the max.
    with django_assert_max_num_queries(5):
        assert client.get("/agent/live/last/").status_code == 200


@pytest.mark.django_db
def test_the_stream_is_closed_politely_where_it_cannot_be_held(client, cast):
    """Without Redis (or under a WSGI server) the stream answers 204: EventSource stops and
    the page polls. A customer gets nothing, someone signed out neither."""
    client.force_login(cast.agent_help)
    with override_settings(REDIS_URL=""):
        assert client.get("/agent/live/").status_code == 204
    client.force_login(cast.cristina)
    assert client.get("/agent/live/").status_code == 403
    client.logout()
    assert client.get("/agent/live/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_event_stream_of_a_real_asgi_server_tells_each_agent_of_their_desks(cast, live_redis):
    with asgi_server_running() as server:
        help_stream = stream_open(server, session_cookie_for(cast.agent_help))
        dev_stream = stream_open(server, session_cookie_for(cast.agent_dev))
        customer = stream_open(server, session_cookie_for(cast.cristina))
        try:
            assert help_stream.status == 200
            assert help_stream.response.getheader("Content-Type") == "text/event-stream"
            assert customer.status == 403

            started = time.monotonic()
            ticket = cast.ticket(summary="Imprimanta nu merge")
            event = help_stream.next_event(timeout=2)
            delay = time.monotonic() - started
            assert event is not None, "no notice within 2 s"
            notice = live.Notice.from_json(event["data"])
            assert notice.ticket == ticket.reference
            assert event["id"] == str(notice.id)
            assert delay < 2

            # The DEV agent heard nothing of HELP; a DEV request reaches them, not HELP's agent.
            dev_ticket = cast.ticket(desk=cast.dev_desk, summary="Eroare la export")
            event = dev_stream.next_event(timeout=2)
            assert event is not None
            assert live.Notice.from_json(event["data"]).ticket == dev_ticket.reference
            assert help_stream.next_event(timeout=0.5) is None

            # Someone opens the HELP request: its desk's streams hear of the presence at once.
            from django.test import Client

            lead = Client()
            lead.force_login(cast.lead_help)
            lead.post(f"/agent/tickets/{ticket.reference}/presence/", {"typing": "0"})
            event = help_stream.next_event(timeout=2)
            assert event is not None
            presence_notice = live.Notice.from_json(event["data"])
            assert (presence_notice.what, presence_notice.ticket) == ("presence", ticket.reference)
            assert dev_stream.next_event(timeout=0.5) is None
            # A heartbeat that changes nothing others see is not announced again.
            lead.post(f"/agent/tickets/{ticket.reference}/presence/", {"typing": "0"})
            assert help_stream.next_event(timeout=0.5) is None
        finally:
            for stream in (help_stream, dev_stream, customer):
                stream.close()


@pytest.mark.django_db(transaction=True)
def test_a_lost_redis_subscription_is_made_again_and_the_pages_fetch_what_they_missed(
    cast, live_redis
):
    with asgi_server_running() as server:
        stream = stream_open(server, session_cookie_for(cast.agent_help))
        try:
            name = live.subscriber_name(live.channel_name())
            ours = [client for client in live_redis.client_list() if client["name"] == name]
            assert len(ours) == 1
            live_redis.client_kill_filter(_id=ours[0]["id"])
            event = stream.next_event(timeout=5)
            assert event is not None
            assert event.get("event") == "resync"  # the page fetches everything once
            # And notices flow again.
            ticket = cast.ticket(summary="După reconectare")
            event = stream.next_event(timeout=3)
            assert event is not None
            assert live.Notice.from_json(event["data"]).ticket == ticket.reference
        finally:
            stream.close()


def _database_url() -> str:
    """The test database, for a child process to serve the committed rows of this test."""
    from django.db import connection

    given = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{given['NAME']}"
    password = f":{given['PASSWORD']}" if given.get("PASSWORD") else ""
    return (
        f"postgres://{given['USER']}{password}@{given['HOST'] or '127.0.0.1'}:"
        f"{given['PORT'] or 5432}/{given['NAME']}"
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_stopping_server_ends_its_streams_at_once_instead_of_waiting_for_them(
    cast, live_redis, tmp_path
):
    """Streams never end by themselves: without ending them on SIGTERM, every restart of the
    production server waited its 30-second graceful time-out (docs/deploy.md)."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    from supportal.core.tests.test_jobs import child_env, free_port
    from supportal.workspace.tests.asgi_server import AsgiServer

    port = free_port()
    env = child_env(tmp_path)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        SUPPORTAL_LIVE_CHANNEL=live.channel_name(),
        SECRET_KEY=settings.SECRET_KEY,
        SUPPORTAL_STATIC_MANIFEST="false",
    )
    server = subprocess.Popen(  # noqa: S603
        [
            *(sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "run_web"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # gunicorn and its worker: one group, ended together
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                stream = stream_open(
                    AsgiServer(url="", port=port), session_cookie_for(cast.agent_help)
                )
                break
            except OSError:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.3)
        assert stream.status == 200
        ticket = cast.ticket(summary="Înainte de oprire")
        event = stream.next_event(timeout=5)
        assert event is not None
        assert live.Notice.from_json(event["data"]).ticket == ticket.reference

        stopped_at = time.monotonic()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        assert time.monotonic() - stopped_at < 10  # not the 30-second graceful time-out
        stream.reader.join(timeout=5)
        assert stream.ended_cleanly  # the stream was ended, not cut
        stream.close()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # the worker too, when the test failed
        server.wait(timeout=20)
