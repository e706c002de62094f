"""Admin for the outbox: read-only, except sending failed or held mail again."""

from __future__ import annotations

import dataclasses
import ipaddress
import secrets
import urllib.parse
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from supportal.accounts.http import signed_in_user
from supportal.audit.admin import AuditedAdmin
from supportal.core.admin import ReadOnlyAdmin
from supportal.core.errors import DomainError
from supportal.mail import oauth2
from supportal.mail.mailboxes import mailbox_check, mailbox_secrets_set
from supportal.mail.models import (
    DiscardedSender,
    InboundMessage,
    InboundState,
    Mailbox,
    MailboxAuth,
    OutboundEmail,
    OutboundState,
    OutgoingAccount,
    PersonalReplyAddress,
    SignIn,
)
from supportal.mail.outbox import outgoing_account_check

RETRYABLE_STATES = (OutboundState.FAILED, OutboundState.HELD)
CONNECTING_SESSION_KEY = "mail:mailbox-connecting"


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = (
        "subject",
        "recipients",
        "state",
        "attempts",
        "next_attempt_at",
        "created_at",
        "sent_at",
    )
    list_filter = ("state", "template", "language", "created_at", "sent_at")
    search_fields = ("subject", "to", "message_id", "ticket__reference")
    actions = ("retry_now",)

    @admin.display(description=_("to"))
    def recipients(self, email: OutboundEmail) -> str:
        return ", ".join(email.to)

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.change_outboundemail")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        # Attempts start again from zero: a row that failed for good has used them all, and
        # the worker would give up on it at once.
        count = queryset.filter(state__in=RETRYABLE_STATES).update(
            state=OutboundState.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            claim_token="",
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail will be sent again.",
                "%(count)d e-mails will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    """Received mail as stored; failed messages are listed here with their error."""

    list_display = (
        "received_at",
        "message_id",
        "envelope_from",
        "channel",
        "state",
        "sender_verified",
        "what_became_of_it",
        "size",
    )
    list_filter = ("state", "channel", "sender_verified")
    actions = ("process_again", "attach_to_named_request", "make_new_request", "discard")
    search_fields = ("message_id", "envelope_from", "sha256")
    date_hierarchy = "received_at"
    exclude = ("raw",)
    readonly_fields = (
        "received_at",
        "message_id",
        "envelope_from",
        "recipients",
        "mailbox",
        "channel",
        "peer_ip",
        "helo",
        "sender_verified",
        "authentication",
        "marked_unverified",
        "size",
        "sha256",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "outcome",
        "processed_at",
        "original",
    )

    @admin.display(description=_("original e-mail"))
    def original(self, message: InboundMessage) -> str:
        # The stored bytes, once: downloaded through the workspace's permission check.
        url = reverse("workspace:mail_original", args=[message.pk])
        return format_html('<a href="{}" download>message-{}.eml</a>', url, message.pk)

    @admin.display(description=_("outcome"))
    def what_became_of_it(self, message: InboundMessage) -> str:
        from supportal.mail.inbound import outcome_describe

        return outcome_describe(message)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mail.change_inboundmessage")

    def _process(self, request: HttpRequest, queryset: QuerySet, *, decision: str = "") -> None:
        from supportal.mail.inbound import inbound_process_one, outcome_describe
        from supportal.mail.quarantine import inbound_decide

        actor = signed_in_user(request)
        for message in queryset.exclude(state=InboundState.PROCESSED).order_by("pk"):
            if decision:
                message = inbound_decide(message=message, decision=decision, actor=actor)
            else:
                message = inbound_process_one(message.pk, again=True)
            self.message_user(
                request,
                _("Message #%(id)s: %(outcome)s")
                % {"id": message.pk, "outcome": outcome_describe(message)},
            )

    @admin.action(description=_("Process again"), permissions=["decide"])
    def process_again(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        self._process(request, queryset)

    @admin.action(
        description=_("Attach to the request it names (as an internal note for strangers)"),
        permissions=["decide"],
    )
    def attach_to_named_request(
        self, request: HttpRequest, queryset: QuerySet[InboundMessage]
    ) -> None:
        self._process(request, queryset.filter(state=InboundState.QUARANTINED), decision="attach")

    @admin.action(description=_("Make a new request"), permissions=["decide"])
    def make_new_request(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        self._process(request, queryset.filter(state=InboundState.QUARANTINED), decision="new")

    @admin.action(description=_("Discard"), permissions=["decide"])
    def discard(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        from supportal.mail.quarantine import DISCARD, inbound_decide

        actor = signed_in_user(request)
        for message in queryset.filter(state__in=[InboundState.QUARANTINED, InboundState.FAILED]):
            inbound_decide(message=message, decision=DISCARD, actor=actor)
        self.message_user(request, _("Discarded."))


@admin.register(PersonalReplyAddress)
class PersonalReplyAddressAdmin(ReadOnlyAdmin):
    """Which reply address was issued to whom, for a request (docs/security.md)."""

    list_display = ("token", "ticket", "user", "created_at")
    list_select_related = ("ticket", "user")
    search_fields = ("token", "ticket__reference", "user__email")
    date_hierarchy = "created_at"


class SignInForm(forms.ModelForm):
    """The sign-in of a mailbox or an outgoing account; secrets are only ever replaced, never
    shown."""

    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the current one."),
    )
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "OAuth2: the application's secret, if the provider gave one. Stored encrypted and"
            " never shown again. Leave empty to keep the current one."
        ),
    )

    oauth_authorize_url = forms.URLField(
        label=_("authorization URL"), required=False, assume_scheme="https", max_length=500
    )
    oauth_token_url = forms.URLField(
        label=_("token URL"), required=False, assume_scheme="https", max_length=500
    )

    password_missing = _("Enter the mailbox's password.")
    SIGN_IN_FIELDS = [
        "username",
        "auth",
        "password",
        "oauth_tenant",
        "oauth_client_id",
        "client_secret",
        "oauth_authorize_url",
        "oauth_token_url",
        "oauth_scope",
    ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        is_password = self.cleaned_data.get("auth") == MailboxAuth.PASSWORD
        has_password = self.instance.password_encrypted or self.cleaned_data.get("password")
        if is_password and not has_password:
            self.add_error("password", self.password_missing)
        if self.cleaned_data.get("auth") == MailboxAuth.OAUTH2:
            for name in ("oauth_authorize_url", "oauth_token_url", "oauth_scope"):
                if not self.cleaned_data.get(name):
                    self.add_error(name, _("Another OAuth2 provider needs this."))
        if not is_password and not self.cleaned_data.get("oauth_client_id"):
            self.add_error("oauth_client_id", _("OAuth2 needs the application's client id."))
        return self.cleaned_data


class MailboxForm(SignInForm):
    class Meta:
        model = Mailbox
        fields = [
            "name",
            "host",
            "port",
            "security",
            *SignInForm.SIGN_IN_FIELDS,
            "folder",
            "move_to",
            "desk",
            "poll_minutes",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        if self.cleaned_data.get("poll_minutes") == 0:
            self.add_error("poll_minutes", _("Check at least every minute: enter 1 or more."))
        return self.cleaned_data


class OutgoingAccountForm(SignInForm):
    password_missing = _("Enter the account's password.")

    class Meta:
        model = OutgoingAccount
        fields = [
            "name",
            "host",
            "port",
            "security",
            *SignInForm.SIGN_IN_FIELDS,
            "desk",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        others = OutgoingAccount.objects.exclude(pk=self.instance.pk)
        is_for_every_desk = self.cleaned_data.get("is_active") and not self.cleaned_data.get("desk")
        if is_for_every_desk and others.filter(desk__isnull=True, is_active=True).exists():
            self.add_error(
                "desk",
                _("Another active account already serves every desk: choose a desk."),
            )
        return self.cleaned_data


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def oauth2_redirect_uri() -> str:
    """The one redirect URI of every OAuth2 sign-in (mailboxes and outgoing accounts), on the
    public address (SUPPORTAL_BASE_URL): what the administrator registers with the provider."""
    return settings.SUPPORTAL_BASE_URL + reverse("admin:mail_mailbox_oauth2_callback")


class SignInAdmin(AuditedAdmin):
    """What mailboxes and outgoing accounts share in the admin: the secrets set on save (never
    shown), the OAuth2 "Connect" and the redirect URI to register."""

    connect_label = _("Connect: sign in to the mailbox")
    readonly_fields = (
        "connection",
        "redirect_uri",
        "last_checked_at",
        "last_success_at",
        "last_error",
        "last_error_at",
    )

    def save_model(self, request: HttpRequest, obj: Any, form: SignInForm, change: bool) -> None:
        mailbox_secrets_set(
            mailbox=obj,
            password=form.cleaned_data.get("password") or "",
            client_secret=form.cleaned_data.get("client_secret") or "",
        )
        super().save_model(request, obj, form, change)  # audited: changed fields, no secret

    @admin.display(description=_("state"))
    def status(self, obj: SignIn) -> str:
        if not getattr(obj, "is_active", True):
            return str(_("Off"))
        if obj.last_checked_at is None:
            return str(_("Not checked yet"))
        if obj.last_error:
            return str(_("Failing: %(error)s") % {"error": obj.last_error})
        return str(_("Working"))

    @admin.display(description=_("OAuth2 connection"))
    def connection(self, obj: SignIn) -> str:
        if not obj.pk or obj.auth == MailboxAuth.PASSWORD:
            return "—"
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_connect", args=[obj.pk])
        if obj.oauth_connected_at:
            state = _("Connected %(when)s.") % {
                "when": date_format(timezone.localtime(obj.oauth_connected_at), "DATETIME_FORMAT")
            }
            return format_html('{} <a href="{}">{}</a>', state, url, _("Connect again"))
        return format_html('<a href="{}">{}</a>', url, self.connect_label)

    @admin.display(description=_("OAuth2 redirect URI"))
    def redirect_uri(self, obj: SignIn) -> str:
        """The address to register with the provider, and whether the provider will take it:
        Microsoft and Google accept http:// only for this machine (loopback)."""
        uri = oauth2_redirect_uri()
        parts = urllib.parse.urlsplit(uri)
        if parts.scheme == "https":
            note = _("Register this address with the provider as the redirect URI.")
        elif _is_loopback(parts.hostname or ""):
            note = _(
                "Register this address with the provider as the redirect URI. It starts with"
                " http://, which providers accept only for this machine (localhost): fine for a"
                " trial, not for browsers elsewhere."
            )
        else:
            note = _(
                "This address starts with http:// and is not on this machine: Microsoft and"
                " Google refuse such a redirect URI. Serve Supportal over https and set"
                " SUPPORTAL_BASE_URL to its https:// address before connecting."
            )
        return format_html("<code>{}</code><br>{}", uri, note)

    def connect_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Send the administrator to the provider to sign in to the mailbox or account."""
        obj = get_object_or_404(self.model, pk=object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse(
            f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]
        )
        try:
            url, connecting = oauth2.connect_start(obj, redirect_uri=oauth2_redirect_uri())
        except DomainError as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return redirect(change_url)
        request.session[CONNECTING_SESSION_KEY] = dataclasses.asdict(connecting)
        return redirect(url)

    def _connect_url(self) -> URLPattern:
        info = self.model._meta.app_label, self.model._meta.model_name
        return path(
            "<int:object_id>/connect/",
            self.admin_site.admin_view(self.connect_view),
            name="{}_{}_connect".format(*info),
        )


@admin.register(Mailbox)
class MailboxAdmin(SignInAdmin):
    form = MailboxForm
    list_display = ("name", "username", "host", "desk", "is_active", "last_success_at", "status")
    list_filter = ("is_active", "desk")
    search_fields = ("name", "username", "host")
    actions = ("check_now",)

    def get_urls(self) -> list[URLPattern]:
        own = [
            self._connect_url(),
            path(
                "oauth2/callback/",
                self.admin_site.admin_view(self.callback_view),
                name="mail_mailbox_oauth2_callback",
            ),
        ]
        return own + super().get_urls()

    def callback_view(self, request: HttpRequest) -> HttpResponse:
        """The provider's answer, for a mailbox or an outgoing account: exchange the code for
        tokens (the state must be ours)."""
        kept = request.session.pop(CONNECTING_SESSION_KEY, None) or {}
        state = request.GET.get("state", "")
        model = apps.get_model(str(kept.get("model") or "mail.mailbox")) if kept else None
        if model not in (Mailbox, OutgoingAccount) or not secrets.compare_digest(
            str(kept.get("state", "")), state
        ):
            self.message_user(
                request,
                _("This sign-in was not started here, or is finished: start again."),
                messages.ERROR,
            )
            return redirect(reverse("admin:mail_mailbox_changelist"))
        connecting = oauth2.Connecting(**kept)
        obj = get_object_or_404(model, pk=connecting.mailbox_id)
        model_admin = self.admin_site._registry[model]
        if not model_admin.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = reverse(f"admin:mail_{model._meta.model_name}_change", args=[obj.pk])
        if request.GET.get("error") or not request.GET.get("code"):
            reason = request.GET.get("error_description") or request.GET.get("error") or ""
            self.message_user(
                request,
                _("The provider did not connect the mailbox: %(reason)s")
                % {"reason": reason[:300]},
                messages.ERROR,
            )
            return redirect(change_url)
        try:
            oauth2.connect_finish(
                obj,
                actor=request.user,
                code=request.GET["code"],
                connecting=connecting,
                redirect_uri=oauth2_redirect_uri(),
                now=timezone.now(),
            )
        except DomainError as refused:
            self.message_user(request, refused.message, messages.ERROR)
        else:
            connected = _("The mailbox is connected.")
            if model is OutgoingAccount:
                connected = _("The account is connected.")
            self.message_user(request, connected)
        return redirect(change_url)

    @admin.action(description=_("Check the selected mailboxes now"))
    def check_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        now = timezone.now()
        for mailbox in queryset.select_related("desk"):
            stored = mailbox_check(mailbox, now=now)
            mailbox.refresh_from_db()
            if mailbox.last_error:
                self.message_user(
                    request,
                    _("%(mailbox)s: %(error)s") % {"mailbox": mailbox, "error": mailbox.last_error},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(mailbox)s: %(count)d message stored.",
                        "%(mailbox)s: %(count)d messages stored.",
                        stored,
                    )
                    % {"mailbox": mailbox, "count": stored},
                )


@admin.register(OutgoingAccount)
class OutgoingAccountAdmin(SignInAdmin):
    """The SMTP accounts desks send through (docs/email.md, "Outgoing accounts")."""

    form = OutgoingAccountForm
    connect_label = _("Connect: sign in to the account")
    list_display = ("name", "username", "host", "desk", "is_active", "last_success_at", "status")
    list_filter = ("is_active",)
    list_select_related = ("desk",)
    search_fields = ("name", "username", "host")
    actions = ("sign_in_now",)

    def get_urls(self) -> list[URLPattern]:
        return [self._connect_url(), *super().get_urls()]

    @admin.action(description=_("Sign in to the selected accounts now"))
    def sign_in_now(self, request: HttpRequest, queryset: QuerySet[OutgoingAccount]) -> None:
        now = timezone.now()
        for account in queryset:
            error = outgoing_account_check(account, now=now)
            if error:
                self.message_user(
                    request,
                    _("%(account)s: %(error)s") % {"account": account, "error": error},
                    messages.ERROR,
                )
            else:
                self.message_user(request, _("%(account)s: signed in.") % {"account": account})


@admin.register(DiscardedSender)
class DiscardedSenderAdmin(admin.ModelAdmin):
    """Agents' "always discard from this sender" rules, per desk (docs/workspace.md)."""

    list_display = ("address", "desk", "created_by", "created_at")
    list_filter = ("desk",)
    list_select_related = ("desk", "created_by")
    search_fields = ("address",)
    raw_id_fields = ("created_by",)
