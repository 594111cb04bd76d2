"""Rules of this family; see faasguard/rules/__init__.py for the ids it holds."""

from __future__ import annotations
