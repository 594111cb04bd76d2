"""Scan configuration: `[tool.faasguard]` in pyproject.toml, or `.faasguard.toml`, then command-line options.

Validation is hand-written rather than pydantic because the file is small and flat, start-up time matters (the
pre-commit hook budget is 0.5 s), and every error must name the file and key the user has to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from faasguard._record import record
from faasguard.findings import Severity
from faasguard.safeio import read_regular


class ConfigError(Exception):
    """A configuration or usage error: exit code 2."""


@record
class CentralIgnore:
    """A suppression owned by a security team in the config: one rule on one resource (or all, with "*")."""

    rule: str
    resource: str
    reason: str
    until: str | None = None
    path: str | None = None
    """Only in this file (glob), when given."""


DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024


@record
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
    images: tuple[str, ...] = ()
    """Container images to read (`PATH` or `NAME=PATH`): from `--image` and discovery only, never from a config
    file, which arrives with the code under review and must not widen what is read."""
    image_owners: tuple[tuple[str, str], ...] = ()
    """(image path, application root) for images no application deploys: each is reported once, standalone, by
    the application whose root is nearest to it. Set by the pipeline (`faasguard.analysis.images.plan`)."""
    resolve_env: bool = False
    exclude: tuple[str, ...] = ()
    """Paths to skip during discovery, gitignore patterns matched below each scanned root (`src/`, `**/tests/`,
    `*.generated.yaml`, `!keep.yaml`); `--exclude` adds to the file's list."""
    statistics: bool = False
    """`--statistics`: the console and concise formats print a count per rule instead of the findings. Command
    line only."""
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    source: str | None = None
    """The config file this came from, for messages."""
    warnings: tuple[str, ...] = ()
    """What the user must know about where the configuration came from (options a config found in the
    scanned tree may not set, config files not used); reported as diagnostics."""
    jobs: int | None = None
    """At most this many processes for a scan (`faasguard.parallel`); a config file may only lower the number
    `--jobs` or the automatic choice gives (1: always serial)."""
    today: date | None = None
    """The date FG402 compares runtime deprecations against (`today = "2026-11-23"`), for reproducible CI."""

    def with_options(self, **options: Any) -> Config:
        """Command-line options override the file; `None` means "not given"."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})


_KNOWN_SIMPLE = {
    "select", "ignore", "severity", "fail_on", "strict", "baseline", "unsuppressible", "max_timeout",
    "api_timeout", "runtime_warning_days", "accounts", "trusted_layer_accounts", "advisories", "online",
    "resolve_env", "exclude", "max_file_bytes", "jobs",
}
KNOWN_KEYS = (*sorted(_KNOWN_SIMPLE), "ignores", "today")
"""Every key a config file may hold (hyphens and underscores are the same)."""


def _severity(value: Any, key: str, source: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ConfigError(f"{source}: {key} must be one of {', '.join(s.value for s in Severity)}, "
                          f"not {value!r}{nearest(str(value).lower(), [s.value for s in Severity], 'severities')}"
                          ) from None


def _str_tuple(value: Any, key: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return tuple(str(v) for v in value)
    raise ConfigError(f"{source}: {key} must be a list of strings")


def parse_config(table: Mapping[str, Any], source: str, base_dir: Path | None = None) -> Config:
    values: dict[str, Any] = {"source": source}
    for key, value in table.items():
        norm = key.replace("-", "_")
        if norm in ("severity", "fail_on"):
            values[norm] = _severity(value, key, source)
        elif norm in ("strict", "online", "resolve_env"):
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: {key} must be true or false")
            values[norm] = value
        elif norm == "jobs":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{source}: {key} must be a positive integer")
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
        elif norm == "today":
            values[norm] = _date(value, key, source)
        elif norm in _KNOWN_SIMPLE:
            values[norm] = _str_tuple(value, key, source)
        else:
            # A misspelt key silently ignored is a gate that passes by mistake (`unsupressible = [...]`).
            raise ConfigError(f"{source}: unknown key `{key}`{nearest(norm, KNOWN_KEYS)}")
    return Config(**values)


def nearest(name: str, valid: Sequence[str], what: str = "keys") -> str:
    """`; did you mean `x`?` for the closest valid name, or the list of valid names (`what` names them)."""
    import difflib

    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    if close:
        return f"; did you mean `{close[0]}`?"
    shown = ", ".join(valid[:12]) + (", ..." if len(valid) > 12 else "")
    return f" (valid {what}: {shown})"


def _date(value: Any, key: str, source: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{source}: {key} must be a date (YYYY-MM-DD), not {value!r}") from None


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


TRUSTED_ONLY_KEYS = ("resolve_env", "online")
"""Options that widen what the scanner reads or sends: honoured from the command line or a config file the
user names with `--config`, never from a file found in the scanned tree (DESIGN.md "The scanner is attack
surface too"). `advisories`, `baseline` and `max_file_bytes` are narrowed instead of dropped; see
`_distrust`."""


def config_candidates(start: Path) -> list[Path]:
    """Every config file from `start` upwards to the repository top, in precedence order.

    Nearest directory first; within one directory `pyproject.toml` with a `[tool.faasguard]` table comes
    before `.faasguard.toml`, so that adding a `.faasguard.toml` (the easy, quiet change in a pull request)
    never replaces the project's existing `[tool.faasguard]` table. Only the first is used; the others are
    reported (see `load_config`).
    """
    start = start.resolve()
    found: list[Path] = []
    for directory in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            import tomllib  # here: a scan outside any Python project does not pay its import (~4 ms)

            try:
                if "faasguard" in tomllib.loads(read_regular(pyproject).decode()).get("tool", {}):
                    found.append(pyproject)
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
                pass
        candidate = directory / ".faasguard.toml"
        if candidate.is_file():
            found.append(candidate)
        if (directory / ".git").exists():
            break
    return found


def find_config_file(start: Path) -> Path | None:
    """The config file a scan of `start` uses when none is named (see `config_candidates`)."""
    candidates = config_candidates(start)
    return candidates[0] if candidates else None


def _read_table(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        data = tomllib.loads(read_regular(path).decode())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    table = data.get("tool", {}).get("faasguard", {}) if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.faasguard] must be a table")
    if path.name != "pyproject.toml" and isinstance(data.get("tool"), dict) and "faasguard" in data["tool"]:
        raise ConfigError(f"{path}: a .faasguard.toml takes its keys at the top level, not under "
                          "[tool.faasguard] (that table is for pyproject.toml)")
    return table


def _inside(path: str, root: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):
        return False


def _distrust(config: Config, path: Path) -> tuple[Config, list[str]]:
    """A config found in the scanned tree arrives with the code under review: it may narrow the scan, never
    widen what is read or sent. Returns the narrowed config and one warning per option it could not keep."""
    warnings: list[str] = []
    changes: dict[str, Any] = {}
    why = ("comes from a config file found in the scanned tree, which a pull request can change; give it on "
           "the command line or name a trusted file with --config")
    for key in TRUSTED_ONLY_KEYS:
        if getattr(config, key):
            changes[key] = False
            warnings.append(f"{path}: `{key}` ignored: it {why}")
    root = path.parent
    kept = tuple(p for p in config.advisories if _inside(p, root))
    if kept != config.advisories:
        changes["advisories"] = kept
        outside = ", ".join(p for p in config.advisories if p not in kept)
        warnings.append(f"{path}: advisory paths outside the project ignored ({outside}): an advisory path "
                        f"outside {root} {why}")
    if config.baseline and not _inside(config.baseline, root):
        changes["baseline"] = None
        warnings.append(f"{path}: baseline {config.baseline} ignored: it is outside {root}; a baseline outside "
                        f"the project {why}")
    if config.max_file_bytes > DEFAULT_MAX_FILE_BYTES:
        changes["max_file_bytes"] = DEFAULT_MAX_FILE_BYTES
        warnings.append(f"{path}: max_file_bytes can only be lowered by a config file found in the scanned tree "
                        f"(kept at {DEFAULT_MAX_FILE_BYTES})")
    return (replace(config, **changes) if changes else config), warnings


def load_config(path: Path | None, search_from: Path | None = None) -> Config:
    """The configuration of a scan, and what the user must know about where it came from.

    A file named by the user (`path`, i.e. `--config`) is trusted and is the whole configuration. Otherwise
    the first of `config_candidates` is used, distrusted (see `_distrust`); `unsuppressible` is the union of
    every candidate's, so no file added or found later can weaken what another fixed, and every other
    candidate is reported as not used. The messages are in `Config.warnings` for the report.
    """
    if path is not None:
        return parse_config(_read_table(path), str(path), path.parent)
    candidates = config_candidates(search_from) if search_from is not None else []
    if not candidates:
        return Config()
    chosen, others = candidates[0], candidates[1:]
    config, warnings = _distrust(parse_config(_read_table(chosen), str(chosen), chosen.parent), chosen)
    unsuppressible = list(config.unsuppressible)
    for other in others:
        warnings.append(f"{other}: config file not used ({chosen} takes precedence: the nearest directory "
                        "first, pyproject.toml [tool.faasguard] before .faasguard.toml); its `unsuppressible` "
                        "rules still apply")
        try:
            unsuppressible += parse_config(_read_table(other), str(other), other.parent).unsuppressible
        except ConfigError as exc:
            warnings.append(f"{other}: {exc}")
    return replace(config, unsuppressible=tuple(dict.fromkeys(unsuppressible)), warnings=tuple(warnings))
