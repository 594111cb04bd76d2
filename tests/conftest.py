"""Test-wide settings."""

from __future__ import annotations

import os

# The scan cache replays a report when nothing a scan read has changed; a test that patches faasguard's code
# in-process (a crashing rule, a loader that raises) changes nothing the cache can see, so it is off for the
# suite and tests/test_scan_cache.py turns it on where it is the subject.
os.environ["FAASGUARD_NO_CACHE"] = "1"
