"""The decisions: given what an audit event says, is it allowed? Pure functions over a compiled config.

Kept apart from the hook (``_core``) so every rule can be unit-tested without installing a process-wide audit
hook, and so the hook's hot path is a dictionary lookup plus one of these small checks. Each check returns
``None`` (allowed) or a ``Verdict`` naming the policy and a detail dict that becomes the security event.
"""

from __future__ import annotations

import os
import re
import sys
from fnmatch import fnmatchcase

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Mapping

    from faasguard.guard._config import GuardConfig

# The instance metadata service (EC2/ECS hosts; absent in Lambda but a classic SSRF target), the ECS task
# credentials address, and names that resolve to them. Always flagged, whatever the allowlist says.
METADATA_ADDRESSES = frozenset({"169.254.169.254", "fd00:ec2::254", "169.254.170.2", "169.254.170.23",
                                "metadata.google.internal", "instance-data", "instance-data.ec2.internal"})
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"})
INTERPRETERS = SHELLS | frozenset({"python", "python3", "perl", "ruby", "node", "php", "lua"})
# libc entry points that start programs or open connections: resolving one of them through ctypes is the
# classic way around the audit hooks (ctypes.CDLL(None).system(b"...")).
LIBC_PROCESS_SYMBOLS = frozenset({"system", "popen", "execv", "execve", "execvp", "execvpe", "execl", "execle",
                                  "execlp", "fork", "vfork", "posix_spawn", "posix_spawnp", "clone", "clone3",
                                  "fexecve", "execveat"})
_SENSITIVE_PROC = re.compile(r"^/proc/(?:self|thread-self|\d+)(?:/task/(?:\d+|self))?/(?:environ|mem)$")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
SAFE_PICKLE_GLOBALS = frozenset({
    "builtins.set", "builtins.frozenset", "builtins.bytearray", "builtins.complex", "builtins.slice",
    "builtins.range", "builtins.object", "builtins.bytes", "copyreg._reconstructor", "_codecs.encode",
    "collections.OrderedDict", "collections.deque", "collections.Counter", "collections.defaultdict",
    "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone",
    "decimal.Decimal", "uuid.UUID", "fractions.Fraction",
})
_PYTHON_NAME = re.compile(r"^python[0-9.]*$")


class Verdict:
    """A flagged operation: the policy that flagged it and what to put in the event's detail."""

    __slots__ = ("detail", "policy", "type")

    def __init__(self, policy: str, type: str, detail: dict[str, Any]) -> None:
        self.policy = policy
        self.type = type
        self.detail = detail

    def __repr__(self) -> str:
        return f"Verdict({self.policy!r}, {self.type!r}, {self.detail!r})"


def _short(value: Any, limit: int = 300) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return text if len(text) <= limit else text[:limit] + "...(truncated)"


def fspath(path: Any) -> str | None:
    """An audit event's path argument as text; None for file descriptors and anything unexpected."""
    if isinstance(path, str):
        return path
    if isinstance(path, bytes):
        return os.fsdecode(path)
    if isinstance(path, int):
        return None
    try:
        value = os.fspath(path)
    except TypeError:
        return None
    return os.fsdecode(value) if isinstance(value, bytes) else value


def aws_endpoint_patterns(region: str | None) -> tuple[str, ...]:
    """Hostname patterns of the AWS service endpoints a function in `region` normally talks to (port 443)."""
    patterns = ["sts.amazonaws.com", "s3.amazonaws.com", "*.s3.amazonaws.com", "iam.amazonaws.com"]
    if region:
        patterns += [f"*.{region}.amazonaws.com", f"*.{region}.api.aws", f"*.{region}.amazonaws.com.cn",
                     f"*.{region}.on.aws"]
    return tuple(patterns)


class CompiledPolicies:
    """The config turned into sets and patterns once, so each check is a few lookups."""

    def __init__(self, config: GuardConfig, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.config = config
        self.tmp_dir = config.tmp_dir.rstrip("/") or "/tmp"
        self.process_names = frozenset(p for p in config.allow_processes if "/" not in p)
        self.process_paths = frozenset(os.path.normpath(p) for p in config.allow_processes if "/" in p)
        exact: set[tuple[str, int | None]] = set()
        wildcard: list[tuple[str, int | None]] = []
        self.networks: list[Any] = []
        for entry in config.allow_hosts:
            host, port = split_host_port(entry)
            if "/" in host:
                import ipaddress

                try:  # noqa: SIM105 - contextlib would be one more import at cold start
                    self.networks.append((ipaddress.ip_network(host, strict=False), port))
                except ValueError:
                    pass
            elif host.startswith("*."):
                wildcard.append((host[1:].lower(), port))
            else:
                exact.add((host.lower(), port))
        if config.allow_aws:
            for pattern in aws_endpoint_patterns(config.region):
                if pattern.startswith("*."):
                    wildcard.append((pattern[1:], 443))
                else:
                    exact.add((pattern, 443))
        xray = env.get("AWS_XRAY_DAEMON_ADDRESS")
        if xray:
            for part in xray.split():
                host, port = split_host_port(part.split(":", 1)[-1] if part.startswith(("udp:", "tcp:")) else part)
                exact.add((host.lower(), port))
        self.exact_hosts = frozenset(exact)
        self.wildcard_hosts = tuple(wildcard)
        # Addresses only the runtime (awslambdaric, /var/runtime) or botocore's credential provider may use.
        self.runtime_api = _address_of(env.get("AWS_LAMBDA_RUNTIME_API"))
        self.credentials = _address_of(_netloc(env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")))
        self.write_allow = tuple(os.path.normpath(p) for p in config.write_allow)
        self.read_deny = tuple(config.read_deny)
        self.pickle_allow = SAFE_PICKLE_GLOBALS | frozenset(config.pickle_allow)
        self.handler_sources: frozenset[str] = frozenset()
        self.tmp_keep = tuple(config.tmp_keep)
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        # Frozen after init like the config: only the handler's source may be set, and only once.
        if getattr(self, "_frozen", False) and not (name == "handler_sources" and not self.handler_sources):
            raise AttributeError("faasguard: compiled policies are frozen after init")
        object.__setattr__(self, name, value)

    # ---------------------------------------------------------------- processes
    def check_process(self, program: str | None, argv: Any, event: str) -> Verdict | None:
        """A child process (or exec): allowed when the program is allowlisted and nothing runs from /tmp."""
        args = _argv(argv)
        prog = program or (args[0] if args else "")
        name = os.path.basename(prog)
        detail: dict[str, Any] = {"event": event, "program": _short(prog), "argv": [_short(a) for a in args[:20]]}
        if shell_command(name, args) is not None:
            detail["command"] = _short(shell_command(name, args))
        from_tmp = self.runs_from_tmp(prog, name, args)
        if from_tmp:
            detail["reason"] = f"executes a file under {self.tmp_dir} ({from_tmp})"
            return Verdict("process", "process", detail)
        normalized = os.path.normpath(prog) if "/" in prog else prog
        if name in self.process_names or normalized in self.process_paths:
            return None
        detail["reason"] = "program not in the process allowlist"
        return Verdict("process", "process", detail)

    def runs_from_tmp(self, prog: str, name: str, args: list[str]) -> str | None:
        """The /tmp path executed: the program itself, a script given to an interpreter, or a shell command."""
        # The configured scratch dir (default /tmp) and /dev/shm. A customised tmp_dir replaces /tmp, so that a
        # deployment (or a test) living under /tmp is not mistaken for code dropped there at run time.
        prefixes = (self.tmp_dir.rstrip("/") + "/", "/dev/shm/")
        if "/" in prog:
            if os.path.abspath(prog).startswith(prefixes):
                return prog
        else:
            # A bare name runs from PATH, never from the current directory: flag it only when a PATH entry
            # under the scratch dir provides it.
            for entry in os.environ.get("PATH", "").split(os.pathsep):
                if entry and (os.path.abspath(entry).rstrip("/") + "/").startswith(prefixes) \
                        and os.path.exists(os.path.join(entry, prog)):
                    return os.path.join(entry, prog)
        base = _PYTHON_NAME.sub("python", name)
        if base in INTERPRETERS or _PYTHON_NAME.match(name):
            command = shell_command(name, args)
            if command is not None:
                for word in re.split(r"[\s;&|()`$<>]+", command):
                    if word.startswith(prefixes):
                        return word
            for arg in args[1:]:
                if arg.startswith(prefixes):
                    return arg
        return None

    # ---------------------------------------------------------------- network
    def host_allowed(self, host: str, port: int | None) -> bool:
        host = host.lower().rstrip(".")
        if (host, port) in self.exact_hosts or (host, None) in self.exact_hosts:
            return True
        for suffix, allowed_port in self.wildcard_hosts:
            if host.endswith(suffix) and (allowed_port is None or allowed_port == port):
                return True
        if self.networks:
            import ipaddress

            try:
                address = ipaddress.ip_address(host.strip("[]"))
            except ValueError:
                return False
            return any(address in net and (p is None or p == port) for net, p in self.networks)
        return False

    def check_host(self, host: Any, port: Any, event: str, resolved_from: str | None = None) -> Verdict | None:
        """A DNS lookup or a connection to (host, port). Loopback is allowed except the runtime/credentials APIs."""
        if host is None:
            return None
        text = _short(host, 255).lower().rstrip(".")
        port_number = _port(port)
        detail: dict[str, Any] = {"event": event, "host": text, "port": port_number}
        if resolved_from:
            detail["hostname"] = resolved_from
        if text in METADATA_ADDRESSES or (resolved_from or "") in METADATA_ADDRESSES:
            detail["reason"] = "instance metadata / credentials address"
            return Verdict("network", "network", detail)
        if (text, port_number) in (self.runtime_api, self.credentials) or (
                _is_loopback(text) and any(port_number == a[1] and _is_loopback(a[0])
                                           for a in (self.runtime_api, self.credentials) if a)):
            if trusted_caller(("/awslambdaric/", "/var/runtime/", "/botocore/")):
                return None
            which = "credentials endpoint" if (text, port_number) == self.credentials or (
                self.credentials and port_number == self.credentials[1]) else "Lambda Runtime API"
            detail["reason"] = f"{which} reached from function code"
            return Verdict("network", "network", detail)
        if _is_loopback(text) or text in ("", "<broadcast>"):
            return None
        if self.host_allowed(text, port_number) or (resolved_from and self.host_allowed(resolved_from, port_number)):
            return None
        detail["reason"] = "host not in the network allowlist"
        return Verdict("network", "network", detail)

    # ---------------------------------------------------------------- files
    def check_open(self, path: Any, flags: Any, event: str = "open") -> Verdict | None:
        """Reads of secrets-bearing /proc files and of the handler's source; writes outside the allowed dirs."""
        text = fspath(path)
        if text is None:
            return None
        absolute = os.path.normpath(os.path.join(os.getcwd(), text)) if not text.startswith("/") else \
            os.path.normpath(text)
        writes = isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
        if _SENSITIVE_PROC.match(absolute):
            return Verdict("files", "file", {"event": event, "path": absolute, "access": "write" if writes else "read",
                                             "reason": "process environment/memory (credentials live there)"})
        denied = absolute in self.handler_sources or any(fnmatchcase(absolute, p) for p in self.read_deny)
        if denied and not trusted_caller(("<frozen importlib", "/linecache.py", "/traceback.py", "/tokenize.py")):
            return Verdict("files", "file", {"event": event, "path": absolute,
                                                 "access": "write" if writes else "read",
                                                 "reason": "the function's own source code"
                                                 if absolute in self.handler_sources else "path in files.read_deny"})
        if writes:
            return self.check_write(absolute, event)
        return None

    def check_write(self, absolute: str, event: str) -> Verdict | None:
        if _under(absolute, self.write_allow):
            return None
        if trusted_caller(("<frozen importlib",)):  # bytecode caches; fail on a read-only file system anyway
            return None
        return Verdict("files", "file", {"event": event, "path": absolute, "access": "write",
                                         "reason": "write outside the allowed directories"})

    def check_symlink(self, target: Any, link: Any) -> Verdict | None:
        """A symlink to a sensitive file is a way around path checks on open()."""
        src = fspath(target)
        if src is None:
            return None
        absolute = os.path.normpath(os.path.join(os.getcwd(), src))
        if _SENSITIVE_PROC.match(absolute) or absolute in self.handler_sources or absolute.startswith("/proc/"):
            return Verdict("files", "file", {"event": "os.symlink", "path": absolute, "link": fspath(link),
                                             "reason": "symlink to a sensitive file"})
        return self.check_write(os.path.normpath(os.path.join(os.getcwd(), fspath(link) or "")), "os.symlink")

    # ---------------------------------------------------------------- deserialization / ctypes
    def check_pickle_global(self, module: Any, name: Any) -> Verdict | None:
        qualified = f"{module}.{name}"
        if qualified in self.pickle_allow or f"{module}.*" in self.pickle_allow:
            return None
        return Verdict("deserialization", "deserialization",
                       {"event": "pickle.find_class", "global": _short(qualified),
                        "reason": "unpickling data that imports a global (arbitrary code on load)"})

    def check_dlsym(self, name: Any) -> Verdict | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else str(name)
        if text in LIBC_PROCESS_SYMBOLS:
            return Verdict("process", "process", {"event": "ctypes.dlsym", "symbol": text,
                                                  "reason": "native process-start function resolved via ctypes"})
        return None


def shell_command(name: str, args: list[str]) -> str | None:
    """The command string of `sh -c CMD` (and bash, dash...), else None."""
    if name in SHELLS and len(args) >= 3 and args[1] in ("-c", "-lc", "-ec"):
        return args[2]
    return None


def split_host_port(entry: str) -> tuple[str, int | None]:
    """'host', 'host:443', '[::1]:443', '10.0.0.0/8:443' -> (host, port or None)."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, _port(rest.lstrip(":")) if rest.startswith(":") else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        return host, _port(port)
    return entry, None


def _port(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (str, bytes)):
        try:
            return int(value)
        except ValueError:
            import socket

            try:
                return socket.getservbyname(value.decode() if isinstance(value, bytes) else value)
            except (OSError, UnicodeDecodeError):
                return None
    return None


def _netloc(uri: str | None) -> str | None:
    if not uri:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}" if parts.hostname else None


def _address_of(value: str | None) -> tuple[str, int | None] | None:
    if not value:
        return None
    host, port = split_host_port(value)
    host = host.lower()
    return ("127.0.0.1" if host == "localhost" else host), port


def _is_loopback(host: str) -> bool:
    return host in ("localhost", "::1", "ip6-localhost") or host.startswith("127.")


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def _argv(argv: Any) -> list[str]:
    if isinstance(argv, (str, bytes)):
        return [_short(argv, 4000)]
    try:
        return [_short(a, 4000) for a in list(argv)]
    except TypeError:
        return []


def trusted_caller(markers: tuple[str, ...], depth: int = 40) -> bool:
    """True when a frame on the current stack comes from a file matching one of `markers`.

    Used only on rare paths (after a sensitive address or path matched), never for every event: it tells the
    runtime's own traffic and tracebacks (linecache reading source) from the function's. It is not proof
    against code that already runs arbitrary Python (which can name its code objects anything).
    """
    frame = sys._getframe(2)
    while frame is not None and depth > 0:
        filename = frame.f_code.co_filename
        if any(marker in filename for marker in markers):
            return True
        frame = frame.f_back  # type: ignore[assignment]
        depth -= 1
    return False
