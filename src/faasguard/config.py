"""Scan configuration: `[tool.faasguard]` in pyproject.toml, or `.faasguard.toml`, then command-line options.

Validation is hand-written rather than pydantic because the file is small and flat, start-up time matters (the
pre-commit hook budget is 0.5 s), and every error must name the file and key the user has to fix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from faasguard.findings import Severity


class ConfigError(Exception):
    """A configuration or usage error: exit code 2."""


@dataclass(frozen=True, slots=True)
class CentralIgnore:
    """A suppression owned by a security team in the config: one rule on one resource (or all, with "*")."""

    rule: str
    resource: str
    reason: str
    until: str | None = None
    path: str | None = None
    """Only in this file (glob), when given."""


@dataclass(frozen=True, slots=True)
class Config:
    select: tuple[str, ...] = ()
    """Rule ids or prefixes (FG1, FG101); empty = all."""
    ignore: tuple[str, ...] = ()
    severity: Severity = Severity.LOW
    fail_on: Severity = Severity.LOW
    strict: bool = False
    baseline: str | None = None
    ignores: tuple[CentralIgnore, ...] = ()
    unsuppressible: tuple[str, ...] = ()
    max_timeout: int = 300
    """FG401: any function above this many seconds."""
    api_timeout: int = 29
    """FG401: API-triggered functions above this (API Gateway's integration limit)."""
    runtime_warning_days: int = 180
    """FG402: warn this many days before a runtime's deprecation date."""
    accounts: tuple[str, ...] = ()
    """The app's own accounts (foreign-account checks FG111/FG304/FG603)."""
    trusted_layer_accounts: tuple[str, ...] = ()
    advisories: tuple[str, ...] = ()
    """Offline OSV advisory sources (dirs or zips), relative to the config file."""
    online: bool = False
    resolve_env: bool = False
    exclude: tuple[str, ...] = ()
    """Extra directory/file globs to skip during discovery."""
    max_file_bytes: int = 20 * 1024 * 1024
    source: str | None = None
    """The config file this came from, for messages."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Keys of later features not yet typed here; kept so that a newer config does not fail an older tool."""

    def with_options(self, **options: Any) -> Config:
        """Command-line options override the file; `None` means "not given"."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})


_KNOWN_SIMPLE = {
    "select", "ignore", "severity", "fail_on", "strict", "baseline", "unsuppressible", "max_timeout",
    "api_timeout", "runtime_warning_days", "accounts", "trusted_layer_accounts", "advisories", "online",
    "resolve_env", "exclude", "max_file_bytes",
}


def _severity(value: Any, key: str, source: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ConfigError(f"{source}: {key} must be one of {', '.join(s.value for s in Severity)}, "
                          f"not {value!r}") from None


def _str_tuple(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    raise ConfigError(f"{source}: {key} must be a list of strings")


def parse_config(table: Mapping[str, Any], source: str, base_dir: Path | None = None) -> Config:
    values: dict[str, Any] = {"source": source}
    extra: dict[str, Any] = {}
    for key, value in table.items():
        norm = key.replace("-", "_")
        if norm in ("severity", "fail_on"):
            values[norm] = _severity(value, key, source)
        elif norm in ("strict", "online", "resolve_env"):
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: {key} must be true or false")
            values[norm] = value
        elif norm in ("max_timeout", "api_timeout", "runtime_warning_days", "max_file_bytes"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{source}: {key} must be a non-negative integer")
            values[norm] = value
        elif norm == "baseline":
            values[norm] = str(base_dir / value) if base_dir else str(value)
        elif norm == "advisories":
            paths = _str_tuple(value, key, source)
            values[norm] = tuple(str(base_dir / p) if base_dir else p for p in paths)
        elif norm == "ignore" and isinstance(value, list) and any(isinstance(i, dict) for i in value):
            # `ignore` is both "rule ids to skip" (strings) and the central suppression list (tables, written
            # [[tool.faasguard.ignore]]); tell them apart by shape.
            values["ignores"] = _central_ignores(value, source)
        elif norm == "ignores":
            values["ignores"] = _central_ignores(value, source)
        elif norm in _KNOWN_SIMPLE:
            values[norm] = _str_tuple(value, key, source)
        else:
            extra[key] = value
    values["extra"] = extra
    return Config(**values)


def _central_ignores(value: Any, source: str) -> tuple[CentralIgnore, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{source}: ignore must be a list")
    result = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ConfigError(f"{source}: ignore[{i}] must be a table with rule, resource and reason")
        rule, resource, reason = item.get("rule") or item.get("id"), item.get("resource"), item.get("reason")
        if not rule or not resource:
            raise ConfigError(f"{source}: ignore[{i}] needs `rule` and `resource`")
        if not reason or not str(reason).strip():
            raise ConfigError(f"{source}: ignore[{i}] ({rule} on {resource}) needs a `reason`")
        until = item.get("until")
        result.append(CentralIgnore(str(rule), str(resource), str(reason), str(until) if until else None,
                                    item.get("path")))
    return tuple(result)


def find_config_file(start: Path) -> Path | None:
    """The nearest `.faasguard.toml`, or pyproject.toml with a [tool.faasguard] table, from `start` upwards."""
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        candidate = directory / ".faasguard.toml"
        if candidate.is_file():
            return candidate
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "faasguard" in tomllib.loads(pyproject.read_text()).get("tool", {}):
                    return pyproject
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
                continue
        if (directory / ".git").exists():
            break
    return None


def load_config(path: Path | None, search_from: Path | None = None) -> Config:
    if path is None and search_from is not None:
        path = find_config_file(search_from)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("faasguard", {}) if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.faasguard] must be a table")
    return parse_config(table, str(path), path.parent)
