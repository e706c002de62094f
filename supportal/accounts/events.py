"""Who hears that a customer account came to be (docs/api.md, "Webhooks"): one ordered
listener list, like the tickets' events (``core.listeners``), told by
``accounts.services.registration`` in the transaction that creates the account — an agent's
phone registration, a new sender's mail, an invitation. The webhooks app registers here; a
listener's failure rolls the registration back.
"""

from __future__ import annotations

from supportal.accounts.models import User
from supportal.core.listeners import ListenerList

customer_listeners: ListenerList[User] = ListenerList("new customer accounts", ("webhooks",))
