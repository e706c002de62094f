"""The test processes' garbage collector (config/pytest_plugin.py): what collection loaded is
frozen out of its scans, and full collections are rare."""

from __future__ import annotations

import gc

from config.pytest_plugin import TESTS_GC_THRESHOLDS


def test_what_collection_loaded_is_frozen_out_of_the_garbage_collectors_scans():
    assert gc.get_freeze_count() > 10_000  # Django, the apps and the collected tests
    assert gc.isenabled()  # off while the process loaded and collected, on for the tests
    assert gc.get_threshold() == TESTS_GC_THRESHOLDS
