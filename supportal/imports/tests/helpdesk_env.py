"""A throwaway virtual environment with django-helpdesk from the package registry, and a
database made by django-helpdesk itself in it (docs/import.md#django-helpdesk).

Standard library only: ``.ci/services`` runs it as a script (``python3
supportal/imports/tests/helpdesk_env.py``) so CI has the environment before the tests, and the
tests call ``helpdesk_python()`` (which builds it when it is missing) and
``helpdesk_database()``. The environment lives under ``var/`` (or ``SUPPORTAL_HELPDESK_DIR``)
and is built once; a lock keeps parallel test workers from building it twice.

The SQLite database django-helpdesk makes is kept under ``var/`` too, named by what made it
(the version and ``helpdesk_make.py``), and built once, not by each test worker that needs it
(``helpdesk_sqlite``; docs/architecture.md, "Tests and their time"); ``.ci/services`` builds it
beside the environment.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

VERSION = "2.6.1"
ROOT = Path(__file__).resolve().parents[3]
# .ci/run keeps the environment and its database on the machine, outside the clone, between
# runs (SUPPORTAL_HELPDESK_DIR; docs/architecture.md, "Eighth round: the pipeline").
VENV = Path(os.environ.get("SUPPORTAL_HELPDESK_DIR") or ROOT / "var") / f"django-helpdesk-{VERSION}"
MAKER = Path(__file__).with_name("helpdesk_make.py")


class HelpdeskUnavailable(Exception):
    """django-helpdesk could not be installed here (no registry, no network)."""


def _python() -> Path:
    return VENV / "bin" / "python"


def helpdesk_python() -> Path:
    """The environment's interpreter, built first when missing."""
    stamp = VENV / ".installed"
    if stamp.exists() and _python().exists():  # kept outside the clone, Python may have moved
        return _python()
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV.parent / f".django-helpdesk-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (stamp.exists() and _python().exists()):
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


def _made_by() -> str:
    """What the kept database depends on: django-helpdesk's version and the script that fills it."""
    return hashlib.sha256(VERSION.encode() + MAKER.read_bytes()).hexdigest()[:12]


def helpdesk_sqlite(folder: Path) -> tuple[str, Path, dict[str, object]]:
    """django-helpdesk's SQLite database and media folder, copied into ``folder`` from the one
    kept under ``var/`` (built first when missing, under a lock, so that parallel test workers
    and ``.ci/services`` build it once): its URL, its media folder and what it made."""
    kept = VENV.parent / f"django-helpdesk-{VERSION}-{_made_by()}"
    if not kept.exists():
        helpdesk_python()
        with open(VENV.parent / f".django-helpdesk-{VERSION}-database.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not kept.exists():
                building = Path(tempfile.mkdtemp(prefix=f".{kept.name}-", dir=VENV.parent))
                try:
                    made = helpdesk_database(
                        f"sqlite:///{building / 'helpdesk.sqlite3'}", building / "media"
                    )
                    (building / "made.json").write_text(json.dumps(made))
                    building.rename(kept)
                finally:
                    shutil.rmtree(building, ignore_errors=True)
    shutil.copyfile(kept / "helpdesk.sqlite3", folder / "helpdesk.sqlite3")
    shutil.copytree(kept / "media", folder / "media")
    made = json.loads((kept / "made.json").read_text())
    return f"sqlite:///{folder / 'helpdesk.sqlite3'}", folder / "media", made


if __name__ == "__main__":
    try:
        print(helpdesk_python())
        with tempfile.TemporaryDirectory() as folder:
            helpdesk_sqlite(Path(folder))
    except HelpdeskUnavailable as exc:
        print(f"django-helpdesk {VERSION} could not be installed: {exc}", file=sys.stderr)
        sys.exit(1)
