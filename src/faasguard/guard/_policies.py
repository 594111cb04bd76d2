"""The decisions: given what an audit event says, is it allowed? Pure functions over a compiled config.

Kept apart from the hook (``_core``) so every rule can be unit-tested without installing a process-wide audit
hook, and so the hook's hot path is a dictionary lookup plus one of these small checks. Each check returns
``None`` (allowed) or a ``Verdict`` naming the policy and a detail dict that becomes the security event.
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from itertools import pairwise
from operator import itemgetter

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
                                  "fexecve", "execveat", "syscall", "dlsym", "dlvsym", "dlopen", "dlmopen",
                                  "__libc_system", "__libc_fork", "__libc_vfork", "__execve", "__libc_dlsym",
                                  "__libc_dlopen_mode", "_dl_sym"})
_SENSITIVE_PROC = re.compile(r"^/proc/(?:self|thread-self|\d+)(?:/task/(?:\d+|self))?/(?:environ|mem)$")
# A directory descriptor from which environ is one openat() away: /, /proc, /proc/<pid>, its task directories.
_PROC_DIR = re.compile(r"^/(?:proc(?:/(?:self|thread-self|\d+)(?:/task(?:/(?:\d+|self))?)?)?)?$")
# Symbol names that start programs or load code (glibc's internal aliases and the generic entry points too).
_PROCESS_SYMBOL = re.compile(r"^_*(?:libc_)?(?:system|popen|execv[pe]{0,2}|execl[pe]?|execveat|fexecve|"
                             r"posix_spawnp?|v?fork|clone\d?|syscall|dl[vm]?(?:sym|open)(?:_mode)?|spawn[vlpe]*)$")
# Variables through which a child process (any program) loads code: flagged when they point into /tmp.
_LOADER_VARIABLES = ("LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME",
                     "PYTHONUSERBASE", "PERL5LIB", "PERL5OPT", "RUBYOPT", "RUBYLIB", "NODE_OPTIONS", "NODE_PATH",
                     "BASH_ENV", "ENV")
_CHILD_MARKER = os.path.join("faasguard", "guard", "_child")
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


_FIELDS = ("config", "tmp_dir", "process_names", "process_paths", "exact_hosts", "wildcard_hosts", "networks",
           "runtime_api", "credentials", "write_allow", "read_deny", "pickle_allow", "tmp_keep", "resolve_prefixes",
           "home")


class CompiledPolicies(tuple):  # type: ignore[type-arg]
    """The config turned into sets and patterns once, so each check is a few lookups.

    A tuple underneath, like GuardConfig: nothing (not even ``object.__setattr__``) can change a compiled policy
    after init. What changes at run time (the handler's source file, the names addresses came from) is kept by
    the guard's audit hook and passed to the checks.
    """

    __slots__ = ()
    config: GuardConfig
    tmp_dir: str
    process_names: frozenset[str]
    process_paths: frozenset[str]
    exact_hosts: frozenset[tuple[str, int | None]]
    wildcard_hosts: tuple[tuple[str, int | None], ...]
    networks: tuple[Any, ...]
    runtime_api: tuple[str, int | None] | None
    credentials: tuple[str, int | None] | None
    write_allow: tuple[str, ...]
    read_deny: tuple[str, ...]
    pickle_allow: frozenset[str]
    tmp_keep: tuple[str, ...]
    resolve_prefixes: tuple[str, ...]
    home: str | None

    def __new__(cls, config: GuardConfig, environ: Mapping[str, str] | None = None) -> CompiledPolicies:
        env = os.environ if environ is None else environ
        tmp_dir = config.tmp_dir.rstrip("/") or "/tmp"
        exact: set[tuple[str, int | None]] = set()
        wildcard: list[tuple[str, int | None]] = []
        networks: list[Any] = []
        for entry in config.allow_hosts:
            host, port = split_host_port(entry)
            if "/" in host:
                import ipaddress

                try:  # noqa: SIM105 - contextlib would be one more import at cold start
                    networks.append((ipaddress.ip_network(host, strict=False), port))
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
        lexical = [os.path.normpath(p) for p in config.write_allow]
        # both spellings: a resolved path is compared with the resolved directory (/tmp may be a symlink)
        write_allow = tuple(dict.fromkeys([*lexical, *(os.path.realpath(p) for p in lexical)]))
        # Where a path can take a turn the lexical form does not show: the kernel's magic links (/proc, /dev/fd)
        # and every directory the function can write to (a symlink planted there).
        prefixes = {"/proc/", "/dev/", tmp_dir + "/", "/dev/shm/"}
        prefixes.update(p.rstrip("/") + "/" for p in write_allow if p not in ("/dev/null", "/dev/stdout",
                                                                           "/dev/stderr"))
        home = env.get("HOME")
        return tuple.__new__(cls, (
            config, tmp_dir,
            frozenset(p for p in config.allow_processes if "/" not in p),
            frozenset(os.path.normpath(p) for p in config.allow_processes if "/" in p),
            frozenset(exact), tuple(wildcard), tuple(networks),
            # Addresses only the runtime (awslambdaric, /var/runtime) or botocore's credential provider may use.
            _address_of(env.get("AWS_LAMBDA_RUNTIME_API")),
            _address_of(_netloc(env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"))),
            write_allow, tuple(config.read_deny), SAFE_PICKLE_GLOBALS | frozenset(config.pickle_allow),
            tuple(config.tmp_keep), tuple(sorted(prefixes)),
            home if home and (home.rstrip("/") + "/").startswith((tmp_dir + "/", "/dev/shm/")) else None))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("faasguard: compiled policies are frozen after init")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("faasguard: compiled policies are frozen after init")

    def __repr__(self) -> str:
        return f"CompiledPolicies(tmp_dir={self.tmp_dir!r}, exact_hosts={sorted(map(str, self.exact_hosts))!r})"

    # ---------------------------------------------------------------- paths
    def resolve(self, text: str, *, follow_last: bool = True) -> str:
        """The path the kernel will act on. Lexical normalisation is exact only when no symlink can be on the
        way: `..` after a symlink, /proc/self/root, /dev/fd/.., a symlink planted under /tmp all resolve
        differently. Those paths go through realpath (one lstat per component); all others stay lexical, so the
        common open() costs no system call. `follow_last=False` for operations on the link itself (unlink,
        rename, symlink, mkdir)."""
        absolute = text if text.startswith("/") else os.path.join(os.getcwd(), text)
        if absolute.startswith("//"):  # POSIX keeps a leading "//" lexically; Linux reads it as "/"
            absolute = "/" + absolute.lstrip("/")
        if "/.." not in absolute and not absolute.startswith(self.resolve_prefixes):
            return os.path.normpath(absolute)
        if follow_last:
            return os.path.realpath(absolute)
        head, tail = os.path.split(os.path.normpath(absolute) if absolute.endswith("/.") else absolute)
        if tail in ("", ".", ".."):
            return os.path.realpath(absolute)
        return os.path.join(os.path.realpath(head or "/"), tail)

    # ---------------------------------------------------------------- processes
    def check_process(self, program: str | None, argv: Any, event: str, env: Any = None,
                      cwd: Any = None) -> Verdict | None:
        """A child process (or exec): allowed when the program is allowlisted, nothing runs from /tmp, and a
        Python child keeps the guard (its environment does not load code from /tmp or drop the guard)."""
        args = _argv(argv)
        prog = program or (args[0] if args else "")
        name = os.path.basename(prog)
        detail: dict[str, Any] = {"event": event, "program": _short(prog), "argv": [_short(a) for a in args[:20]]}
        if shell_command(name, args) is not None:
            detail["command"] = _short(shell_command(name, args))
        workdir = fspath(cwd) if cwd is not None else None
        from_tmp = self.runs_from_tmp(prog, name, args, workdir)
        if from_tmp:
            detail["reason"] = f"executes a file under {self.tmp_dir} ({from_tmp})"
            return Verdict("process", "process", detail)
        loader = self.child_loader_problem(name, args, env)
        if loader:
            detail["reason"] = loader
            return Verdict("process", "process", detail)
        normalized = os.path.normpath(prog) if "/" in prog else prog
        if name in self.process_names or normalized in self.process_paths:
            return None
        detail["reason"] = "program not in the process allowlist"
        return Verdict("process", "process", detail)

    def _scratch(self) -> tuple[str, ...]:
        return (self.tmp_dir.rstrip("/") + "/", "/dev/shm/")

    def _in_scratch(self, path: str, workdir: str | None = None) -> bool:
        """`path` (absolute, or relative to `workdir`/the current directory) lies under /tmp or /dev/shm."""
        base = workdir or os.getcwd()
        absolute = os.path.normpath(path if path.startswith("/") else os.path.join(base, path))
        scratch = self._scratch()
        return (absolute + "/").startswith(scratch) or (os.path.realpath(absolute) + "/").startswith(scratch)

    def runs_from_tmp(self, prog: str, name: str, args: list[str], workdir: str | None = None) -> str | None:
        """The /tmp path executed: the program itself (absolute, relative to the child's working directory, or
        found on a PATH entry under /tmp), a script given to an interpreter, an executable file named anywhere
        in argv (env, nice, timeout, xargs...), or a path (or `cd /tmp`, $TMPDIR, ~ under /tmp) inside `sh -c`."""
        # The configured scratch dir (default /tmp) and /dev/shm. A customised tmp_dir replaces /tmp, so that a
        # deployment (or a test) living under /tmp is not mistaken for code dropped there at run time.
        if "/" in prog:
            if self._in_scratch(prog, workdir):
                return prog
        else:
            # A bare name runs from PATH, never from the current directory: flag it only when a PATH entry
            # under the scratch dir provides it.
            for entry in os.environ.get("PATH", "").split(os.pathsep):
                if entry and self._in_scratch(entry) and os.path.exists(os.path.join(entry, prog)):
                    return os.path.join(entry, prog)
        base = _PYTHON_NAME.sub("python", name)
        command = shell_command(name, args)
        if command is not None:
            found = self._shell_tmp_word(command, workdir)
            if found:
                return found
        if base in INTERPRETERS or _PYTHON_NAME.match(name):
            for previous, arg in pairwise(args):
                if arg.startswith("-") or arg == command or previous in ("-c", "-m", "-e", "-E", "-W", "-X"):
                    continue  # an option, or the code/module/setting that follows one
                if ("/" in arg or arg.endswith((".py", ".sh", ".pl", ".rb", ".js"))) and self._in_scratch(arg, workdir):
                    return arg
        for arg in args[1:]:
            if "/" in arg and arg != command and self._in_scratch(arg, workdir):
                target = arg if arg.startswith("/") else os.path.join(workdir or os.getcwd(), arg)
                if os.path.isfile(target) and os.access(target, os.X_OK):
                    return arg
        return None

    def _shell_tmp_word(self, command: str, workdir: str | None) -> str | None:
        scratch = self._scratch()
        tmp_names = {self.tmp_dir.rstrip("/"), "/dev/shm"}
        for word in re.split(r"[\s;&|()`<>'\"=]+", command):
            if not word:
                continue
            if word.startswith(("$TMPDIR", "${TMPDIR")) or (self.home and word.startswith(("~", "$HOME", "${HOME"))):
                return word
            if word.startswith("/"):
                normalized = os.path.normpath(word)
                if normalized in tmp_names or (normalized + "/").startswith(scratch):
                    return word
            elif word.startswith(("./", "../")) and self._in_scratch(word, workdir):
                return word
        return None

    def child_loader_problem(self, name: str, args: list[str], env: Any) -> str | None:
        """Variables that make a child load code from /tmp (any program), or a Python child without the guard."""
        environment = _env_mapping(env)
        effective = os.environ if environment is None else environment
        for variable in _LOADER_VARIABLES:
            value = effective.get(variable)
            if value and any(self._in_scratch(part) for part in re.split(r"[:\s]+", value) if part.startswith("/")):
                return f"child loads code from {self.tmp_dir} ({variable}={_short(value, 120)})"
        if not _PYTHON_NAME.match(_PYTHON_NAME.sub("python", name)):
            return None
        flags = [a for a in args[1:] if a.startswith("-") and not a.startswith("--")][:4]
        if any(set(flag[1:]) & set("ISE") for flag in flags if not flag.startswith(("-c", "-m", "-W", "-X"))):
            return "Python child started with -I/-S/-E: it would not load the guard"
        if environment is not None and (environment.get("FAASGUARD_CHILD") != "1"
                                        or _CHILD_MARKER not in (environment.get("PYTHONPATH") or "")):
            return "Python child started with an environment that drops the guard (FAASGUARD_CHILD/PYTHONPATH)"
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

    def sensitive_address(self, host: str, port: int | None) -> str | None:
        """'metadata', 'runtime' or 'credentials' when (host, port) is one of those services, else None. `host`
        is canonicalised first (IPv4-mapped IPv6, decimal/octal/hex IPv4 forms, trailing dots, brackets)."""
        text = canonical_ip(host)
        if text in METADATA_ADDRESSES:
            return "metadata"
        for which, address in (("runtime", self.runtime_api), ("credentials", self.credentials)):
            if address is None:
                continue
            if (text, port) == address or (_is_loopback(text) and _is_loopback(address[0]) and port == address[1]):
                return which
        return None

    def check_host(self, host: Any, port: Any, event: str, resolved_from: str | None = None, *,
                   trust: Any = None, in_invocation: bool = False,
                   addresses: tuple[str, ...] = ()) -> Verdict | None:
        """A DNS lookup or a connection to (host, port). Loopback is allowed except the runtime/credentials APIs.

        `addresses` are what a host name resolves to (when the guard resolved it): a name is judged by every
        address it resolves to for the metadata/runtime/credentials services, even when the name is allowlisted.
        """
        if host is None:
            return None
        text = _short(host, 255).lower().rstrip(".")
        port_number = _port(port)
        detail: dict[str, Any] = {"event": event, "host": text, "port": port_number}
        if resolved_from:
            detail["hostname"] = resolved_from
        which = None
        for candidate in (text, *addresses):
            which = self.sensitive_address(candidate, port_number)
            if which:
                if candidate != text:
                    detail["address"] = candidate
                break
        if which is None and (resolved_from or "") in METADATA_ADDRESSES:
            which = "metadata"
        if which == "metadata":
            detail["reason"] = "instance metadata / credentials address"
            return Verdict("metadata", "network", detail)
        if which is not None:
            if which == "runtime" and trust is not None and trust.runtime_caller(in_invocation):
                return None
            if which == "credentials" and trust is not None and trust.credentials_caller():
                return None
            label = "credentials endpoint" if which == "credentials" else "Lambda Runtime API"
            detail["reason"] = f"{label} reached from function code"
            return Verdict("metadata", "network", detail)
        if _is_loopback(text) or text in ("", "<broadcast>"):
            return None
        if self.host_allowed(text, port_number) or (resolved_from and self.host_allowed(resolved_from, port_number)):
            return None
        detail["reason"] = "host not in the network allowlist"
        return Verdict("network", "network", detail)

    # ---------------------------------------------------------------- files
    def check_open(self, path: Any, flags: Any, event: str = "open", *, trust: Any = None,
                   sources: frozenset[str] = frozenset()) -> Verdict | None:
        """Reads of secrets-bearing /proc files and of the handler's source; writes outside the allowed dirs.

        Paths are resolved as the kernel will (see `resolve`). A relative path named like a process file
        (`environ`, `mem`) that is not a file in the current directory is flagged too: opened relative to a
        directory descriptor (os.open(..., dir_fd=)), which the audit event does not carry, it is one.
        """
        text = fspath(path)
        if text is None:
            return None
        writes = isinstance(flags, int) and bool(flags & _WRITE_FLAGS)
        access = "write" if writes else "read"
        nofollow = isinstance(flags, int) and bool(flags & getattr(os, "O_NOFOLLOW", 0))
        absolute = self.resolve(text, follow_last=not nofollow)
        if _SENSITIVE_PROC.match(absolute):
            return Verdict("files", "file", {"event": event, "path": absolute, "access": access,
                                             "reason": "process environment/memory (credentials live there)"})
        if _PROC_DIR.match(absolute) and isinstance(flags, int) and not writes:
            return Verdict("files", "file", {"event": event, "path": absolute, "access": "read",
                                             "reason": "directory descriptor on / or a /proc process directory "
                                                       "(the route to environ through dir_fd)"})
        if not text.startswith("/") and os.path.basename(text) in ("environ", "mem") and \
                not os.path.isfile(absolute):
            return Verdict("files", "file", {"event": event, "path": text, "access": access,
                                             "reason": "relative path named like a process environment file "
                                                       "(opened relative to a directory descriptor?)"})
        denied = absolute in sources or any(fnmatchcase(absolute, p) for p in self.read_deny)
        if denied and not (trust is not None and trust.source_reader()):
            return Verdict("files", "file", {"event": event, "path": absolute, "access": access,
                                             "reason": "the function's own source code"
                                             if absolute in sources else "path in files.read_deny"})
        if writes:
            return self.check_write(absolute, event, trust=trust)
        return None

    def check_write(self, absolute: str, event: str, *, trust: Any = None, caller: Any = None) -> Verdict | None:
        if _under(absolute, self.write_allow):
            return None
        if trust is not None and trust.import_caller(caller if caller is not None else trust.call_site()):
            return None  # bytecode caches; they fail on a read-only file system anyway
        return Verdict("files", "file", {"event": event, "path": absolute, "access": "write",
                                         "reason": "write outside the allowed directories"})

    def check_symlink(self, target: Any, link: Any, *, trust: Any = None) -> Verdict | None:
        """A symlink to a sensitive file is a way around path checks on open(). A relative target is relative
        to the link's directory (not to the current directory), as the kernel reads it."""
        src = fspath(target)
        link_text = fspath(link) or ""
        if src is None:
            return None
        link_path = self.resolve(link_text, follow_last=False)
        joined = src if src.startswith("/") else os.path.join(os.path.dirname(link_path), src)
        absolute = self.resolve(joined)
        if _SENSITIVE_PROC.match(absolute) or absolute.startswith("/proc/") or absolute == "/proc" or \
                _SENSITIVE_PROC.match(os.path.normpath(joined)) or os.path.normpath(joined).startswith("/proc/"):
            return Verdict("files", "file", {"event": "os.symlink", "path": absolute, "link": link_text,
                                             "reason": "symlink to a sensitive file"})
        return self.check_write(link_path, "os.symlink", trust=trust)

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
        if text in LIBC_PROCESS_SYMBOLS or _PROCESS_SYMBOL.match(text):
            return Verdict("process", "process", {
                "event": "ctypes.dlsym", "symbol": _short(text, 80),
                "reason": f"native process-start or code-loading function {text!r} resolved through ctypes "
                          "(calls through it raise no audit event)"})
        return None


for _index, _name in enumerate(_FIELDS):
    setattr(CompiledPolicies, _name, property(itemgetter(_index)))
del _index, _name


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
    # 0.0.0.0 and :: as a destination reach the local host on Linux
    return host in ("localhost", "::1", "ip6-localhost", "0.0.0.0", "::") or host.startswith(  # noqa: S104
        "127.")


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in prefixes)


def canonical_ip(host: str) -> str:
    """An address the way the kernel reads it: IPv4-mapped IPv6 as IPv4, inet_aton's legacy forms (decimal,
    octal, hex, short) as dotted quads; anything that is not an address is returned as given."""
    text = host.strip("[]").lower().rstrip(".")
    if "%" in text:
        text = text.split("%", 1)[0]
    if not text or not (text[0].isdigit() or text[0] in ":abcdef") or text.isalpha():
        return text
    import ipaddress

    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        import socket

        try:
            return socket.inet_ntoa(socket.inet_aton(text))
        except (OSError, ValueError):
            return text
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return str(mapped)
        if address in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64 well-known prefix
            return str(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return str(address)


def _env_mapping(env: Any) -> Mapping[str, str] | None:
    """The child's environment from an audit event: a mapping (Popen, execve, posix_spawn) or fork_exec's list
    of b"KEY=VALUE" entries; None when the child inherits ours."""
    if env is None:
        return None
    if hasattr(env, "items"):
        return {fspath(k) or "": fspath(v) or "" for k, v in env.items()}
    out: dict[str, str] = {}
    try:
        for entry in env:
            text = fspath(entry) or ""
            key, _, value = text.partition("=")
            out[key] = value
    except TypeError:
        return None
    return out


def _argv(argv: Any) -> list[str]:
    if isinstance(argv, (str, bytes)):
        return [_short(argv, 4000)]
    try:
        return [_short(a, 4000) for a in list(argv)]
    except TypeError:
        return []
