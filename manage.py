#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    # No garbage collection until every app is ready (supportal/core/heap.py).
    from supportal.core.heap import loading_started

    loading_started()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
