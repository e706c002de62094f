"""IMAP polling against a real Dovecot: a private server with its own config on a free port."""

from __future__ import annotations

import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command

from supportal.mail.imap import mailbox_parse
from supportal.mail.models import InboundChannel, InboundMessage, InboundState

DOVECOT = Path("/usr/sbin/dovecot")

pytestmark = pytest.mark.skipif(
    not DOVECOT.exists(),
    reason="Dovecot is not installed (apt-get install dovecot-imapd; .ci/services does it)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dovecot():
    """A Dovecot serving user ``alice`` (password ``secret``) over plain IMAP on 127.0.0.1."""
    # Not pytest's tmp_path: its parents are private (0700) and Dovecot's helpers run as
    # another user.
    root = Path(tempfile.mkdtemp(prefix="supportal-dovecot-"))
    root.chmod(0o755)
    port = _free_port()
    if os.getuid() == 0:
        # Dovecot refuses to run its helpers or mail access as root.
        internal, login = "dovecot", "dovenull"
        mail_user = pwd.getpwnam("dovecot")
    else:
        mail_user = pwd.getpwuid(os.getuid())
        internal = login = mail_user.pw_name
    home = root / "home" / "alice"
    for sub in ("cur", "new", "tmp"):
        (home / "Maildir" / sub).mkdir(parents=True)
    (root / "users").write_text("alice:{PLAIN}secret::::::\n")
    config = root / "dovecot.conf"
    config.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {mail_user.pw_uid}
last_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    if os.getuid() == 0:
        shutil.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
        for path in [home, *home.rglob("*")]:
            shutil.chown(path, mail_user.pw_uid, mail_user.pw_gid)
    process = subprocess.Popen(  # noqa: S603 (our own fixed command line)
        [str(DOVECOT), "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"dovecot did not start: {process.stderr.read().decode()}")
            time.sleep(0.1)
    else:
        process.terminate()
        pytest.fail("dovecot did not listen in time")

    def deliver(raw: bytes) -> None:
        name = f"{time.time_ns()}.{uuid.uuid4().hex}.test"
        path = home / "Maildir" / "new" / name
        path.write_bytes(raw)
        if os.getuid() == 0:
            shutil.chown(path, mail_user.pw_uid, mail_user.pw_gid)

    try:
        yield {"port": port, "deliver": deliver, "maildir": home / "Maildir"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


def _mail(subject: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Cristina Tănăsescu <cristina.tanasescu@example.com>"
    message["To"] = "support@localhost"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
    for name, value in headers.items():
        message[name] = value
    message.set_content("Am parola blocata")
    return message.as_bytes()


def test_mailbox_urls_name_the_desk_and_never_hold_the_password():
    mailbox = mailbox_parse("imaps://support%40firm.ro@mail.firm.ro/Support?desk=help")
    assert (mailbox.user, mailbox.host, mailbox.port) == ("support@firm.ro", "mail.firm.ro", 993)
    assert (mailbox.folder, mailbox.desk, mailbox.tls) == ("Support", "HELP", "ssl")
    assert mailbox.password_env == "SUPPORTAL_IMAP_PASSWORD"
    assert "secret" not in str(mailbox)


def test_fetch_mail_stores_processes_and_marks_seen_only_once(cast, dovecot, monkeypatch):
    monkeypatch.setenv("SUPPORTAL_IMAP_PASSWORD", "secret")
    dovecot["deliver"](_mail("Imprimanta nu merge"))
    dovecot["deliver"](_mail("Out of office", **{"Auto-Submitted": "auto-replied"}))
    url = f"imap://alice@127.0.0.1:{dovecot['port']}/INBOX?desk=help&tls=none"
    out = io.StringIO()
    call_command("fetch_mail", "--url", url, stdout=out)
    assert "2 message(s) stored" in out.getvalue()
    assert "new request HELP-1" in out.getvalue()
    messages = InboundMessage.objects.order_by("pk")
    assert [m.channel for m in messages] == [InboundChannel.IMAP] * 2
    assert {m.state for m in messages} == {InboundState.PROCESSED, InboundState.IGNORED}
    assert all(m.mailbox == "HELP" for m in messages)
    # Marked seen on the server once stored: a second poll fetches nothing.
    again = io.StringIO()
    call_command("fetch_mail", "--url", url, stdout=again)
    assert "0 message(s) stored" in again.getvalue()
    assert InboundMessage.objects.count() == 2
    seen = list((dovecot["maildir"] / "cur").iterdir())
    assert len(seen) == 2 and all(path.name.endswith("S") for path in seen)
