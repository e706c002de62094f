"""A throwaway virtual environment with django-helpdesk from the package registry, and a
database made by django-helpdesk itself in it (docs/import.md#django-helpdesk).

Standard library only: ``.ci/services`` runs it as a script (``python3
supportal/imports/tests/helpdesk_env.py``) so CI has the environment before the tests, and the
tests call ``helpdesk_python()`` (which builds it when it is missing) and
``helpdesk_database()``. The environment lives under ``var/`` and is built once; a lock keeps
parallel test workers from building it twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

VERSION = "2.6.1"
ROOT = Path(__file__).resolve().parents[3]
VENV = ROOT / "var" / f"django-helpdesk-{VERSION}"
MAKER = Path(__file__).with_name("helpdesk_make.py")


class HelpdeskUnavailable(Exception):
    """django-helpdesk could not be installed here (no registry, no network)."""


def _python() -> Path:
    return VENV / "bin" / "python"


def helpdesk_python() -> Path:
    """The environment's interpreter, built first when missing."""
    stamp = VENV / ".installed"
    if stamp.exists():
        return _python()
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f".django-helpdesk-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            venv.create(VENV, with_pip=True, clear=True)
            pip = [str(_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
                [*pip, f"django-helpdesk=={VERSION}", "psycopg[binary]"],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if done.returncode != 0:
                raise HelpdeskUnavailable(done.stderr.strip()[-500:] or "pip failed")
            stamp.write_text(VERSION)
    return _python()


def helpdesk_database(database_url: str, media_dir: Path) -> dict[str, object]:
    """Migrate django-helpdesk's tables into ``database_url`` and fill them through its own
    models (``helpdesk_make.py`` in the environment); returns what it made (ids, files)."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [str(helpdesk_python()), str(MAKER), database_url, str(media_dir)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": "", "DJANGO_SETTINGS_MODULE": ""},
    )
    if done.returncode != 0:
        raise RuntimeError(f"helpdesk_make.py failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    try:
        print(helpdesk_python())
    except HelpdeskUnavailable as exc:
        print(f"django-helpdesk {VERSION} could not be installed: {exc}", file=sys.stderr)
        sys.exit(1)
