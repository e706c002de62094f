"""The audit log: who did what, when, from where, with the values before and after
(docs/audit.md).

``audit.record(...)`` is the one way in. Services call it inside the transaction of the change
they make, so an entry exists exactly when the change does.
"""

from __future__ import annotations

from typing import Any


def record(**kwargs: Any) -> Any:
    """Write one entry (``supportal.audit.services.audit_record``; imported late, because this
    package is imported before the models are ready)."""
    from supportal.audit.services import audit_record

    return audit_record(**kwargs)
