"""Agent pages. Thin: parse, select through selectors, change through services, render.

queue.py: the queues, filters, bulk actions and saved views; ticket.py: working one ticket
(replies, actions, collisions, export); register.py: phone and e-mail requests; canned.py:
canned replies for team leads.
"""
