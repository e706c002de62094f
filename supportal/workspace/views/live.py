"""The live channel of the workspace's pages (docs/workspace.md, Live updates).

``live_stream``: server-sent events from an async view. It holds no thread and no database
connection while it waits: the agent and their desks are read once as it opens (and again
every ``DESKS_RECHECK_SECONDS``), then it only waits on its queue in the process's
:class:`~supportal.workspace.live.Hub`. ``live_last``: the fallback without Redis, the last
event id, answered ``304 Not Modified`` when the page already has it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.accounts.models import User
from supportal.core.errors import NotFound
from supportal.tickets.selectors import desk_ids_for_agent
from supportal.workspace import live
from supportal.workspace.views.common import agent_required, is_support


def _desks_now(user_id: int) -> tuple[bool, set[int] | None]:
    """Whether the user may still use the workspace, and the desks they work. The database
    connection is given back at once: a waiting stream must not hold one."""
    try:
        user = User.objects.filter(pk=user_id).first()
        if user is None or not is_support(user):
            return False, set()
        return True, desk_ids_for_agent(user)
    finally:
        _give_back_connection()


def _give_back_connection() -> None:
    # Not inside a transaction: a test's, or ATOMIC_REQUESTS (never set here).
    if not connection.in_atomic_block:
        connection.close()


async def _events(user_id: int, desks: set[int] | None) -> AsyncIterator[str]:
    hub = live.Hub.get()
    queue = await hub.subscribe()
    checked_at = time.monotonic()
    try:
        # The browser reconnects after this long when the connection drops.
        yield f"retry: 2000\n: {' ' * 2048}\n\n"  # padding: some proxies buffer the first 2 kB
        while True:
            try:
                notice = await asyncio.wait_for(queue.get(), timeout=live.HEARTBEAT_SECONDS)
            except TimeoutError:
                yield ": ping\n\n"
                continue
            if time.monotonic() - checked_at > live.DESKS_RECHECK_SECONDS:
                allowed, desks = await sync_to_async(_desks_now)(user_id)
                checked_at = time.monotonic()
                if not allowed:
                    return
            if notice is live.CLOSING:  # the process stops: the browser reconnects elsewhere
                return
            if notice is None:  # notices may have been missed: fetch everything once
                yield "event: resync\ndata: {}\n\n"
            elif live.may_hear(desks, notice):
                yield f"id: {notice.id}\ndata: {notice.to_json()}\n\n"
    finally:
        hub.unsubscribe(queue)


def _opening(request: HttpRequest) -> tuple[int | None, bool, set[int] | None]:
    user = request.user
    user_id = user.pk if user.is_authenticated else None
    try:
        if user_id is None:
            return None, False, set()
        return user_id, is_support(user), desk_ids_for_agent(user)  # type: ignore[arg-type]
    finally:
        # The session and the user were read by the middleware on this thread.
        _give_back_connection()


async def live_stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The notices of the agent's desks as ``text/event-stream``. 204 (the browser's
    EventSource then stops and the page polls instead) without Redis or under a WSGI server,
    which cannot hold a connection without holding a thread."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    user_id, allowed, desks = await sync_to_async(_opening)(request)
    if user_id is None:
        return HttpResponse(status=401)
    if not allowed:
        return HttpResponse(status=403)
    if live.live_mode() != "stream" or not isinstance(request, ASGIRequest):
        return HttpResponse(status=204)
    response = StreamingHttpResponse(_events(user_id, desks), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


@require_GET
@agent_required
def live_last(request: AuthenticatedHttpRequest) -> HttpResponse:
    """``{"id": …}``: the newest event of the page's ticket (``?ticket=REF``) or of the agent's
    desks. The id is the ETag: an unchanged answer is a bodiless 304."""
    try:
        last = live.last_event_id(request.user, request.GET.get("ticket", "")[:40])
    except NotFound as exc:
        raise Http404(exc.message) from exc
    etag = f'"{last}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = JsonResponse({"id": last})
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response
