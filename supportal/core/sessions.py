"""The database session store, reading its row with SQL compiled once per process.

Django's ``db`` store builds ``Session.objects.get(session_key=…, expire_date__gt=now)`` on every
request; this one reads the row by its key through :func:`supportal.core.statements.row_by` and
compares the expiry itself: the same row, the same answer (a missing or expired session is an
empty one), the same writes (docs/performance.md, "Seventh round").
"""

from __future__ import annotations

import logging

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.db import router
from django.utils import timezone

from supportal.core.statements import row_by


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        try:
            found = row_by(
                Session, "session_key", self.session_key, using=router.db_for_read(Session)
            )
        except SuspiciousOperation as exc:
            logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            found = None
        if found is None or found.expire_date <= timezone.now():
            self._session_key = None
            return None
        return found
