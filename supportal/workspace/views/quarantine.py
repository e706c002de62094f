"""Quarantined mail: agents see their desks' set-aside messages and decide each one."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportal.accounts.http import AuthenticatedHttpRequest
from supportal.core.errors import DomainError, NotFound
from supportal.mail import quarantine
from supportal.mail.models import InboundMessage, InboundState
from supportal.mail.selectors import inbound_original_for_user
from supportal.workspace.views.common import agent_required

QUARANTINE_PAGE_SIZE = 100


def _message_or_404(request: AuthenticatedHttpRequest, message_id: int) -> InboundMessage:
    try:
        return quarantine.quarantine_get_for_user(request.user, message_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@agent_required
def mail_original(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponse:
    """A received mail as it arrived (the bytes stored first), as a download: one click from
    its timeline entry or its quarantine page (docs/email.md, "One entry per mail")."""
    try:
        message = inbound_original_for_user(request.user, message_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response.headers["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    return response


@agent_required
def quarantine_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = quarantine.quarantine_list_for_user(request.user)[:QUARANTINE_PAGE_SIZE]
    rules = quarantine.discarded_senders_for_user(request.user)
    return render(request, "workspace/quarantine_list.html", {"rows": rows, "rules": rules})


@agent_required
def quarantine_detail(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponse:
    message = _message_or_404(request, message_id)
    context = {"item": message, "text": quarantine.quarantine_text(message)}
    return render(request, "workspace/quarantine_detail.html", context)


def _decided(message: InboundMessage) -> str:
    outcome = message.outcome or {}
    reference = outcome.get("reference", "")
    if message.state == InboundState.IGNORED:
        return _("The message was discarded.")
    if outcome.get("result") == "created":
        return _("The message became the new request %(reference)s.") % {"reference": reference}
    if outcome.get("result") in {"commented", "noted"}:
        return _("The message was attached to %(reference)s.") % {"reference": reference}
    return _("The message is still quarantined: %(reason)s") % {"reason": outcome.get("reason", "")}


@require_POST
@agent_required
def quarantine_decide(
    request: AuthenticatedHttpRequest, message_id: int, decision: str
) -> HttpResponse:
    message = _message_or_404(request, message_id)
    try:
        message = quarantine.inbound_decide(message=message, decision=decision, actor=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("workspace:quarantine")
    level = messages.WARNING if message.state == InboundState.QUARANTINED else messages.SUCCESS
    messages.add_message(request, level, _decided(message))
    return redirect("workspace:quarantine")


@require_POST
@agent_required
def quarantine_discard_selected(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Discard the selected messages at once (each through ``inbound_decide``; one the agent
    may not decide, or already decided, is left and counted)."""
    ids = [int(v) for v in request.POST.getlist("message") if v.isdigit()]
    if not ids:
        messages.error(request, _("Select at least one message."))
        return redirect("workspace:quarantine")
    done = 0
    for message in quarantine.quarantine_list_for_user(request.user).filter(pk__in=ids):
        try:
            quarantine.inbound_decide(
                message=message, decision=quarantine.DISCARD, actor=request.user
            )
        except DomainError:
            continue
        done += 1
    if done:
        messages.success(
            request,
            ngettext("%(count)d message discarded.", "%(count)d messages discarded.", done)
            % {"count": done},
        )
    if done < len(ids):
        messages.warning(
            request,
            ngettext(
                "%(count)d selected message was not discarded (decided meanwhile, or not yours).",
                "%(count)d selected messages were not discarded (decided meanwhile, or not yours).",
                len(ids) - done,
            )
            % {"count": len(ids) - done},
        )
    return redirect("workspace:quarantine")


@require_POST
@agent_required
def quarantine_discard_sender(request: AuthenticatedHttpRequest, message_id: int) -> HttpResponse:
    """The desk's rule "always discard from this sender", and the sender's waiting mail
    discarded now."""
    message = _message_or_404(request, message_id)
    try:
        rule, done = quarantine.sender_discard_always(message=message, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("workspace:quarantine")
    messages.success(
        request,
        ngettext(
            "Mail from %(address)s to %(desk)s will always be discarded; %(count)d waiting"
            " message was discarded.",
            "Mail from %(address)s to %(desk)s will always be discarded; %(count)d waiting"
            " messages were discarded.",
            done,
        )
        % {"address": rule.address, "desk": rule.desk.key, "count": done},
    )
    return redirect("workspace:quarantine")


@require_POST
@agent_required
def quarantine_sender_rule_remove(request: AuthenticatedHttpRequest, rule_id: int) -> HttpResponse:
    try:
        rule = quarantine.sender_discard_remove(rule_id=rule_id, actor=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(
        request,
        _("Mail from %(address)s to %(desk)s is no longer discarded.")
        % {"address": rule.address, "desk": rule.desk.key},
    )
    return redirect("workspace:quarantine")
