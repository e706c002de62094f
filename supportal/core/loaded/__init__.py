"""The last of INSTALLED_APPS: its ready() marks the end of a process's loading
(supportal/core/heap.py)."""
