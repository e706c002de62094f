"""The outbox: every e-mail Supportal sends is first a row here, written in the caller's
transaction, and sent by the worker after commit (so a rolled-back action sends nothing and a
crashed send is retried)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from supportal.core.models import DueWork


class OutboundState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed for good")
    HELD = "held", _("Held")


class OutboundEmail(DueWork):
    to = models.JSONField(_("to"), default=list)
    cc = models.JSONField(_("cc"), default=list, blank=True)
    from_email = models.CharField(_("from"), max_length=320)
    reply_to = models.CharField(_("reply to"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    headers = models.JSONField(_("other headers"), default=dict, blank=True)
    # Storage references, not contents: [{"path", "name", "content_type"}], read from
    # default_storage when sending so a large file does not sit in every row of a mailing.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    template = models.CharField(_("template"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_emails",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=OutboundState.choices, default=OutboundState.PENDING
    )
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at"]
        indexes = [
            # Workers read only what is due to be sent.
            models.Index(
                fields=["next_attempt_at"],
                name="outbound_due",
                condition=Q(state="pending"),
            ),
            models.Index(fields=["claim_token"], name="outbound_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"


class InboundState(models.TextChoices):
    RECEIVED = "received", _("Received, waiting to be processed")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    QUARANTINED = "quarantined", _("Quarantined")
    FAILED = "failed", _("Failed; can be processed again")


class InboundChannel(models.TextChoices):
    SMTP = "smtp", _("SMTP listener")
    IMAP = "imap", _("IMAP mailbox")
    STDIN = "stdin", _("Piped by the mail server")


class InboundMessage(DueWork):
    """The inbox: a received message's exact bytes, stored before anything parses them.

    A message is stored once (by the SHA-256 of its bytes); processing it into a request or a
    comment happens afterwards, from this row, and can be re-run after a failure. Nothing that
    arrives is lost to a parsing bug: the bytes are here.
    """

    raw = models.BinaryField(_("raw message"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveIntegerField(_("size"))
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True, db_index=True)
    channel = models.CharField(_("received by"), max_length=10, choices=InboundChannel.choices)
    envelope_from = models.CharField(_("envelope sender"), max_length=998, blank=True)
    recipients = models.JSONField(_("envelope recipients"), default=list)
    mailbox = models.CharField(_("mailbox"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    last_error = models.TextField(_("last error"), blank=True)
    outcome = models.JSONField(_("outcome"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    # The connecting host, when our own SMTP listener received it (for SPF).
    peer_ip = models.GenericIPAddressField(_("sent from (IP)"), null=True, blank=True)
    helo = models.CharField(_("HELO name"), max_length=255, blank=True)
    # Sender authentication (docs/security.md): the checks' results, and the verdict on the
    # From address — None until checked.
    authentication = models.JSONField(_("sender authentication"), default=dict, blank=True)
    sender_verified = models.BooleanField(_("sender verified"), null=True, blank=True)
    # Shown to agents as "sender not verified" on what it became (the desk's choice).
    marked_unverified = models.BooleanField(_("marked “sender not verified”"), default=False)
    # What it was written into, so that pages can show agents an unverified sender.
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    comment = models.ForeignKey(
        "tickets.Comment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="inbound_due", condition=Q(state="received")
            ),
            models.Index(fields=["claim_token"], name="inbound_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.sha256[:12]} ({self.get_state_display()})"


class PersonalReplyAddress(models.Model):
    """A reply address issued to one person for one request (``support+<token>@domain``):
    mail arriving on it from that person's address is theirs (docs/security.md)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="personal_reply_addresses"
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="personal_reply_addresses"
    )
    token = models.CharField(_("token"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal reply address")
        verbose_name_plural = _("personal reply addresses")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="personal_reply_once")
        ]

    def __str__(self) -> str:
        return self.token


class MailboxSecurity(models.TextChoices):
    SSL = "ssl", _("TLS from the start (port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    NONE = "none", _("None (only for a server on this machine)")


class MailboxAuth(models.TextChoices):
    PASSWORD = "password", _("Password")
    MICROSOFT = "microsoft", _("Microsoft 365 (OAuth2)")
    GOOGLE = "google", _("Google Workspace (OAuth2)")
    OAUTH2 = "oauth2", _("Another OAuth2 provider")


class SignIn(models.Model):
    """How Supportal signs in to a mail server: a password, or OAuth2 (SASL ``XOAUTH2``) with
    Microsoft 365, Google Workspace or another provider (docs/email.md, "Mailboxes with
    OAuth2"). Shared by the IMAP mailboxes and the outgoing SMTP accounts; every secret is
    stored encrypted (``core.secrets``) and never shown again."""

    username = models.CharField(_("user name"), max_length=255)
    auth = models.CharField(
        _("sign-in"), max_length=12, choices=MailboxAuth, default=MailboxAuth.PASSWORD
    )
    password_encrypted = models.TextField(_("password (encrypted)"), blank=True, editable=False)
    # OAuth2 (XOAUTH2): the application registered with the provider, and the tokens the
    # administrator's "Connect" obtained; secrets encrypted like the password.
    oauth_tenant = models.CharField(
        _("Microsoft tenant"),
        max_length=100,
        blank=True,
        help_text=_("The directory (tenant) id or domain; empty: “organizations”."),
    )
    oauth_authorize_url = models.URLField(_("authorization URL"), max_length=500, blank=True)
    oauth_token_url = models.URLField(_("token URL"), max_length=500, blank=True)
    oauth_scope = models.CharField(_("scope"), max_length=500, blank=True)
    oauth_client_id = models.CharField(_("client id"), max_length=255, blank=True)
    oauth_client_secret_encrypted = models.TextField(blank=True, editable=False)
    oauth_refresh_token_encrypted = models.TextField(blank=True, editable=False)
    oauth_access_token_encrypted = models.TextField(blank=True, editable=False)
    oauth_access_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    oauth_connected_at = models.DateTimeField(_("connected"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    # Every field core.secrets encrypts: what `manage.py secrets_rotate` re-encrypts.
    ENCRYPTED_FIELDS = (
        "password_encrypted",
        "oauth_client_secret_encrypted",
        "oauth_refresh_token_encrypted",
        "oauth_access_token_encrypted",
    )
    # The scope asked of Microsoft and Google when the administrator leaves it empty.
    OAUTH_SCOPES: ClassVar[dict[str, str]] = {}

    class Meta:
        abstract = True

    @property
    def is_oauth2(self) -> bool:
        return self.auth != MailboxAuth.PASSWORD


class Mailbox(SignIn):
    """An IMAP mailbox the worker polls, managed by administrators in the web (docs/email.md,
    "Mailboxes"). The password is stored encrypted (``core.secrets``) and never shown again;
    the last success and the last error are shown where the mailbox is edited."""

    OAUTH_SCOPES: ClassVar[dict[str, str]] = {
        MailboxAuth.MICROSOFT: "https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
        MailboxAuth.GOOGLE: "https://mail.google.com/",
    }

    name = models.CharField(_("name"), max_length=100)
    host = models.CharField(_("server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("security"), max_length=10, choices=MailboxSecurity, default=MailboxSecurity.SSL
    )
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    move_to = models.CharField(
        _("move fetched mail to"),
        max_length=255,
        blank=True,
        help_text=_("A folder; empty: fetched mail stays in place, marked as read."),
    )
    desk = models.ForeignKey(
        "desks.Desk",
        verbose_name=_("desk"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("The desk new requests from this mailbox go to; empty: the default desk."),
    )
    poll_minutes = models.PositiveIntegerField(_("check every (minutes)"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:  # never the password
        return f"{self.name} ({self.username}@{self.host})"


class SmtpSecurity(models.TextChoices):
    STARTTLS = "starttls", _("STARTTLS (port 587)")
    SSL = "ssl", _("TLS from the start (port 465)")
    NONE = "none", _("None (only for a server on this machine)")


class OutgoingAccount(SignIn):
    """The SMTP account a desk's mail is sent through, signing in with a password or with
    OAuth2 (docs/email.md, "Outgoing accounts"). Without an account for its desk (or one for
    every desk), mail goes through EMAIL_URL."""

    OAUTH_SCOPES: ClassVar[dict[str, str]] = {
        MailboxAuth.MICROSOFT: "https://outlook.office.com/SMTP.Send offline_access",
        MailboxAuth.GOOGLE: "https://mail.google.com/",
    }

    name = models.CharField(_("name"), max_length=100)
    host = models.CharField(_("server"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=587)
    security = models.CharField(
        _("security"), max_length=10, choices=SmtpSecurity, default=SmtpSecurity.STARTTLS
    )
    desk = models.OneToOneField(
        "desks.Desk",
        verbose_name=_("desk"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outgoing_account",
        help_text=_(
            "The desk whose mail goes through this account; empty: every desk without its own"
            " account, and mail of no desk."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing account")
        verbose_name_plural = _("outgoing accounts")
        ordering = ["name"]

    def __str__(self) -> str:  # never the password
        return f"{self.name} ({self.username}@{self.host})"


class DiscardedSender(models.Model):
    """An agent's "always discard from this sender" for one desk: the inbox ignores that
    address's mail to the desk from then on (kept, marked ignored, never a request or a note).
    Removed in the quarantine page's list of rules or the admin."""

    desk = models.ForeignKey(
        "desks.Desk", on_delete=models.CASCADE, related_name="discarded_senders"
    )
    address = models.EmailField(_("sender address"), max_length=254)  # stored lower-case
    created_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("always discarded sender")
        verbose_name_plural = _("always discarded senders")
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(fields=["desk", "address"], name="discarded_sender_once")
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.desk_id})"
