"""Guard configuration: one frozen object built once at init from defaults, a JSON file and environment variables.

Why strict: a typo in a security configuration (``"proces": "block"``) must not silently leave a policy at
its default, so unknown keys and bad values are errors, reported at init with the offending key named. What
happens after such an error (fail closed: the function refuses to start; fail open: it runs unguarded) is
read separately from ``FAASGUARD_ON_CONFIG_ERROR`` so that it still works when the rest of the config is
broken.

Precedence, lowest first: built-in defaults < ``FAASGUARD_CONFIG`` (path to a JSON file) <
``FAASGUARD_CONFIG_JSON`` (inline JSON) < individual ``FAASGUARD_*`` variables < keyword arguments of
``@guard(...)``.
"""

from __future__ import annotations

import json
import os
from operator import itemgetter
from types import MappingProxyType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

BLOCK = "block"
ALERT = "alert"
OFF = "off"
ACTIONS = (BLOCK, ALERT, OFF)

POLICIES = ("process", "network", "metadata", "files", "deserialization", "ctypes", "tamper")

# `metadata` is the part of egress no function code needs: the instance metadata service, the Lambda Runtime API
# and the container credentials endpoint reached from function code. It blocks by default even where the rest of
# `network` only alerts, because a request there is credential theft or invocation hijacking, never a feature.
DEFAULT_POLICIES: dict[str, str] = {
    "process": BLOCK,
    "network": ALERT,
    "metadata": BLOCK,
    "files": BLOCK,
    "deserialization": ALERT,
    "ctypes": ALERT,
    "tamper": ALERT,
}

# Process-wide: every guard in the process shares these (audit hooks are process-wide).
MAX_CONFIG_BYTES = 256 * 1024


class GuardConfigError(ValueError):
    """The guard's configuration is invalid; the message names the key and the source (file or variable)."""


_FIELDS: dict[str, Any] = {
    "mode": "enforce",  # "enforce" | "learn"
    "policies": DEFAULT_POLICIES,
    "allow_processes": (),
    "allow_hosts": (),
    "allow_aws": True,
    "region": None,
    "read_deny": (),
    "write_allow": ("/tmp", "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/shm"),
    "pickle_allow": (),
    "deserialization_during_init": False,
    "tmp_cleanup": True,
    "tmp_keep": (),
    "tmp_dir": "/tmp",
    "timeout_margin_ms": 1000,
    "redact": True,
    "redact_patterns": (),
    "events_stream": "stderr",  # "stderr" | "stdout"
    "summary": "always",  # "always" | "events" | "never"
    "learn_output": "/tmp/faasguard-learned.json",
    "learn_cloudtrail": "/tmp/faasguard-cloudtrail.json",
    "role_arn": None,
    "on_config_error": "closed",  # "closed" | "open"
}


class GuardConfig(tuple):  # type: ignore[type-arg]
    """The guard's settings. Read-only: changing a policy after init is impossible through this object.

    A tuple underneath (no instance dictionary, no slots to write): ``object.__setattr__(config, ...)`` has
    nowhere to write, which a frozen dataclass or a ``__slots__`` class cannot promise. Fields are properties
    generated from ``_FIELDS``; ``policies`` is a read-only view over a dictionary nothing else references.
    """

    __slots__ = ()
    mode: str
    policies: Mapping[str, str]
    allow_processes: tuple[str, ...]
    allow_hosts: tuple[str, ...]
    allow_aws: bool
    region: str | None
    read_deny: tuple[str, ...]
    write_allow: tuple[str, ...]
    pickle_allow: tuple[str, ...]
    deserialization_during_init: bool
    tmp_cleanup: bool
    tmp_keep: tuple[str, ...]
    tmp_dir: str
    timeout_margin_ms: int
    redact: bool
    redact_patterns: tuple[str, ...]
    events_stream: str
    summary: str
    learn_output: str
    learn_cloudtrail: str
    role_arn: str | None
    on_config_error: str

    def __new__(cls, **values: Any) -> GuardConfig:
        unknown = set(values) - set(_FIELDS)
        if unknown:
            raise TypeError(f"unknown GuardConfig fields: {sorted(unknown)}")
        items = []
        for name, default in _FIELDS.items():
            value = values.get(name, default)
            if name == "policies":
                value = MappingProxyType(dict(value))
            items.append(value)
        return tuple.__new__(cls, items)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("faasguard: the guard configuration is frozen after init")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("faasguard: the guard configuration is frozen after init")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GuardConfig) and self.as_dict() == other.as_dict()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_json(), sort_keys=True))

    def __repr__(self) -> str:
        return "GuardConfig(" + ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items()) + ")"

    def as_dict(self) -> dict[str, Any]:
        return {name: (dict(getattr(self, name)) if name == "policies" else getattr(self, name)) for name in _FIELDS}

    def replace(self, **changes: Any) -> GuardConfig:
        return GuardConfig(**{**self.as_dict(), **changes})

    def action(self, policy: str) -> str:
        """The action for `policy`; in learn mode nothing is blocked or alerted, only recorded."""
        return self.policies.get(policy, OFF)

    def to_json(self) -> dict[str, Any]:
        """The config in the JSON file schema (used by learn mode to write an allowlist config)."""
        return {
            "mode": self.mode,
            "policies": dict(self.policies),
            "process": {"allow": list(self.allow_processes)},
            "network": {"allow": list(self.allow_hosts), "allow_aws": self.allow_aws},
            "files": {"read_deny": list(self.read_deny), "write_allow": list(self.write_allow)},
            "deserialization": {"pickle_allow": list(self.pickle_allow),
                                "during_init": self.deserialization_during_init},
            "tmp": {"cleanup": self.tmp_cleanup, "keep": list(self.tmp_keep)},
            "timeout": {"margin_ms": self.timeout_margin_ms},
            "redaction": {"enabled": self.redact, "patterns": list(self.redact_patterns)},
            "events": {"stream": self.events_stream, "summary": self.summary},
        }


# JSON schema of the file: section -> key -> (GuardConfig field, kind)
_SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    "process": {"allow": ("allow_processes", "strings")},
    "network": {"allow": ("allow_hosts", "strings"), "allow_aws": ("allow_aws", "bool"),
                "region": ("region", "string")},
    "files": {"read_deny": ("read_deny", "strings"), "write_allow": ("write_allow", "strings")},
    "deserialization": {"pickle_allow": ("pickle_allow", "strings"),
                        "during_init": ("deserialization_during_init", "bool")},
    "tmp": {"cleanup": ("tmp_cleanup", "bool"), "keep": ("tmp_keep", "strings"), "dir": ("tmp_dir", "string")},
    "timeout": {"margin_ms": ("timeout_margin_ms", "int")},
    "redaction": {"enabled": ("redact", "bool"), "patterns": ("redact_patterns", "strings")},
    "events": {"stream": ("events_stream", "stream"), "summary": ("summary", "summary")},
    "learn": {"output": ("learn_output", "string"), "cloudtrail": ("learn_cloudtrail", "string")},
}
_TOP_LEVEL = {"mode": ("mode", "mode"), "role_arn": ("role_arn", "string"),
              "on_config_error": ("on_config_error", "on_error")}

# Individual environment variables: name -> (GuardConfig field, kind)
_ENV: dict[str, tuple[str, str]] = {
    "FAASGUARD_MODE": ("mode", "mode"),
    "FAASGUARD_ALLOW_PROCESSES": ("allow_processes", "csv"),
    "FAASGUARD_ALLOW_HOSTS": ("allow_hosts", "csv"),
    "FAASGUARD_ALLOW_AWS": ("allow_aws", "bool"),
    "FAASGUARD_TMP_CLEANUP": ("tmp_cleanup", "bool"),
    "FAASGUARD_TMP_KEEP": ("tmp_keep", "csv"),
    "FAASGUARD_TIMEOUT_MARGIN_MS": ("timeout_margin_ms", "int"),
    "FAASGUARD_REDACT": ("redact", "bool"),
    "FAASGUARD_EVENTS_STREAM": ("events_stream", "stream"),
    "FAASGUARD_SUMMARY": ("summary", "summary"),
    "FAASGUARD_LEARN_OUTPUT": ("learn_output", "string"),
    "FAASGUARD_LEARN_CLOUDTRAIL": ("learn_cloudtrail", "string"),
    "FAASGUARD_ROLE_ARN": ("role_arn", "string"),
}

_ENUMS = {"mode": ("enforce", "learn"), "stream": ("stderr", "stdout"), "summary": ("always", "events", "never"),
          "on_error": ("closed", "open")}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(kind: str, value: Any, where: str) -> Any:
    """Check and convert one value; `where` names the key and its source for the error message."""
    if kind in ("strings", "csv"):
        if kind == "csv" and isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise GuardConfigError(f"{where}: expected a list of strings, got {type(value).__name__}")
        return tuple(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise GuardConfigError(f"{where}: expected true or false, got {value!r}")
    if kind == "int":
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise GuardConfigError(f"{where}: expected an integer, got {value!r}") from None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise GuardConfigError(f"{where}: expected a non-negative integer, got {value!r}")
        return value
    if kind == "string":
        if not isinstance(value, str) or not value:
            raise GuardConfigError(f"{where}: expected a non-empty string, got {value!r}")
        return value
    allowed = _ENUMS[kind]
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise GuardConfigError(f"{where}: expected one of {', '.join(allowed)}, got {value!r}")
    return value.strip().lower()


def _policy_updates(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise GuardConfigError(f"{where}: expected an object mapping policy names to block/alert/off")
    out: dict[str, str] = {}
    for name, action in raw.items():
        if name not in POLICIES:
            raise GuardConfigError(f"{where}.{name}: unknown policy (known: {', '.join(POLICIES)})")
        if not isinstance(action, str) or action.lower() not in ACTIONS:
            raise GuardConfigError(f"{where}.{name}: expected block, alert or off, got {action!r}")
        out[name] = action.lower()
    return out


def updates_from_json(doc: Any, source: str) -> dict[str, Any]:
    """GuardConfig field updates from one JSON document (file or inline); `source` is named in errors."""
    if not isinstance(doc, dict):
        raise GuardConfigError(f"{source}: the configuration must be a JSON object")
    updates: dict[str, Any] = {}
    for key, value in doc.items():
        if key in _TOP_LEVEL:
            name, kind = _TOP_LEVEL[key]
            updates[name] = _coerce(kind, value, f"{source}: {key}")
        elif key == "policies":
            updates["policies"] = _policy_updates(value, f"{source}: policies")
        elif key in _SCHEMA:
            if not isinstance(value, dict):
                raise GuardConfigError(f"{source}: {key}: expected an object")
            for sub, sub_value in value.items():
                if sub not in _SCHEMA[key]:
                    known = ", ".join(sorted(_SCHEMA[key]))
                    raise GuardConfigError(f"{source}: {key}.{sub}: unknown key (known: {known})")
                name, kind = _SCHEMA[key][sub]
                updates[name] = _coerce(kind, sub_value, f"{source}: {key}.{sub}")
        else:
            known = ", ".join(sorted([*_TOP_LEVEL, "policies", *_SCHEMA]))
            raise GuardConfigError(f"{source}: {key}: unknown key (known: {known})")
    return updates


def updates_from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Updates from the file/inline JSON named in the environment, then from the individual variables."""
    updates: dict[str, Any] = {}
    path = environ.get("FAASGUARD_CONFIG")
    if path:
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            raise GuardConfigError(f"FAASGUARD_CONFIG={path}: cannot read: {exc.strerror or exc}") from None
        if len(data) > MAX_CONFIG_BYTES:
            raise GuardConfigError(f"FAASGUARD_CONFIG={path}: larger than {MAX_CONFIG_BYTES} bytes")
        updates.update(_merge(updates, updates_from_json(_parse(data, path), path)))
    inline = environ.get("FAASGUARD_CONFIG_JSON")
    if inline:
        updates.update(_merge(updates, updates_from_json(_parse(inline.encode(), "FAASGUARD_CONFIG_JSON"),
                                                         "FAASGUARD_CONFIG_JSON")))
    policies = dict(updates.get("policies", {}))
    for name in POLICIES:
        value = environ.get(f"FAASGUARD_POLICY_{name.upper()}")
        if value is not None:
            policies.update(_policy_updates({name: value.strip()}, f"FAASGUARD_POLICY_{name.upper()}"))
    if policies:
        updates["policies"] = policies
    for var, (name, kind) in _ENV.items():
        value = environ.get(var)
        if value is not None:
            updates[name] = _coerce(kind, value, var)
    return updates


def _merge(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Policies merge key by key; everything else replaces."""
    if "policies" in new and "policies" in current:
        new = {**new, "policies": {**current["policies"], **new["policies"]}}
    return new


def _parse(data: bytes, source: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise GuardConfigError(f"{source}: invalid JSON: {exc}") from None


_KWARGS: dict[str, tuple[str, str]] = {
    "mode": ("mode", "mode"), "allow_processes": ("allow_processes", "strings"),
    "allow_hosts": ("allow_hosts", "strings"), "allow_aws": ("allow_aws", "bool"),
    "read_deny": ("read_deny", "strings"), "write_allow": ("write_allow", "strings"),
    "pickle_allow": ("pickle_allow", "strings"), "tmp_cleanup": ("tmp_cleanup", "bool"),
    "tmp_keep": ("tmp_keep", "strings"), "tmp_dir": ("tmp_dir", "string"),
    "timeout_margin_ms": ("timeout_margin_ms", "int"), "redact": ("redact", "bool"),
    "events_stream": ("events_stream", "stream"), "summary": ("summary", "summary"),
    "role_arn": ("role_arn", "string"), "on_config_error": ("on_config_error", "on_error"),
    "region": ("region", "string"), "learn_output": ("learn_output", "string"),
    "learn_cloudtrail": ("learn_cloudtrail", "string"),
}


def updates_from_kwargs(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Updates from `@guard(...)` keywords: the field names, plus one keyword per policy (`process="alert"`)."""
    updates: dict[str, Any] = {}
    policies: dict[str, str] = {}
    for key, value in kwargs.items():
        if key in POLICIES:
            policies.update(_policy_updates({key: value}, "guard()"))
        elif key == "policies":
            policies.update(_policy_updates(value, "guard(policies=...)"))
        elif key in _KWARGS:
            name, kind = _KWARGS[key]
            updates[name] = _coerce(kind, list(value) if isinstance(value, tuple) else value, f"guard({key}=...)")
        else:
            raise GuardConfigError(f"guard(): unknown keyword {key!r}")
    if policies:
        updates["policies"] = policies
    return updates


def load_config(environ: Mapping[str, str] | None = None, **kwargs: Any) -> GuardConfig:
    """Build the frozen config; raises GuardConfigError with a message naming the bad key and its source."""
    env = os.environ if environ is None else environ
    updates = updates_from_env(env)
    updates.update(_merge(updates, updates_from_kwargs(kwargs)))
    policies = {**DEFAULT_POLICIES, **updates.pop("policies", {})}
    if "region" not in updates:
        updates["region"] = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
    if "on_config_error" not in updates:
        updates["on_config_error"] = on_config_error(env)
    return GuardConfig(policies=policies, **updates)


for _index, _name in enumerate(_FIELDS):
    setattr(GuardConfig, _name, property(itemgetter(_index), doc=f"the `{_name}` setting"))
del _index, _name


def on_config_error(environ: Mapping[str, str]) -> str:
    """Fail closed (default) or open when the config is broken; read on its own so it survives a broken config."""
    value = (environ.get("FAASGUARD_ON_CONFIG_ERROR") or "closed").strip().lower()
    return "open" if value == "open" else "closed"
