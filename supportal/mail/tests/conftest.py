"""The mail tests' own real servers: a private Dovecot (IMAP) on a free port."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
DOVECOT_MISSING = "Dovecot is not installed (apt-get install dovecot-imapd; .ci/services does it)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dovecot():
    """A Dovecot serving user ``alice`` (password ``secret``) over plain IMAP on 127.0.0.1."""
    yield from _dovecot()


@pytest.fixture
def oauth_provider():
    """A local OAuth2 provider (``mail.testing_oauth``): token and introspection endpoints."""
    from supportal.mail.testing_oauth import OAuthProvider

    with OAuthProvider() as provider:
        yield provider


@pytest.fixture
def dovecot_oauth2(oauth_provider):
    """The same Dovecot, also accepting XOAUTH2: it asks the local provider's introspection
    endpoint whether a bearer token is alive and whose it is (a real SASL exchange)."""
    for server in _dovecot(introspection_url=oauth_provider.url + "/introspect"):
        yield {**server, "provider": oauth_provider}


def _dovecot(*, introspection_url: str = ""):
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
auth_mechanisms = plain{" xoauth2 oauthbearer" if introspection_url else ""}
# No pause after a refused log-in (2 s, doubled per failure from the same address up to 15 s,
# against guessing: the delay here, the penalty in anvil's listener below): the tests log in
# wrongly on purpose and would wait it out, as would every log-in after it.
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {mail_user.pw_uid}
last_valid_uid = 0
mail_location = maildir:~/Maildir
{_oauth2_passdb(root, introspection_url)}passdb {{
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
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
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
        # A group of its own, which the end of the test kills whole: a throwaway server owes no
        # one an orderly shutdown, and Dovecot's took a second a test (docs/architecture.md,
        # "Nineteenth round: the pipeline").
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"dovecot did not start: {stderr}")
            time.sleep(0.1)
    else:
        os.killpg(process.pid, signal.SIGKILL)
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
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _oauth2_passdb(root: Path, introspection_url: str) -> str:
    if not introspection_url:
        return ""
    (root / "oauth2.conf.ext").write_text(
        f"""introspection_mode = post
introspection_url = {introspection_url}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
"""
    )
    return f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
"""
