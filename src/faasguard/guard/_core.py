"""The guard itself: one process-wide audit hook, the handler wrapper, events, /tmp hygiene, timeout warnings.

Why one process-wide object: CPython audit hooks are per process and cannot be removed, so there is exactly one
`Guard` per process (`install()` returns it; a second install with another config is refused and reported).

The hook's hot path is a dictionary lookup on the event name; everything else happens only for the events we
watch. Where a hook cannot see or stop something, a wrapper does: `socket.getaddrinfo` (to learn which host
name an IP address came from) and `_posixsubprocess.fork_exec` (which starts processes without the
`subprocess.Popen` event when called directly, e.g. by multiprocessing).

/tmp hygiene under concurrency: files are attributed to the invocation that created them, from the `open`
(with O_CREAT), `os.mkdir`, `os.rename` and `os.symlink` events, using a context variable set by the handler
wrapper. Only files created during an invocation are removed when it returns, so an invocation never deletes
another's files: neither another worker process's (Lambda's multi-concurrency mode for Python runs one
invocation per worker process, all sharing /tmp) nor another thread's in the same process. A file created on a
thread that carries no context (a thread the handler started) belongs to the only running invocation, or, when
several run in this process, is removed once none is running.

Where the guard keeps what handler code must not change: the `Guard` object handed out by `installed()` is an
immutable tuple (its config and compiled policies are immutable tuples too). Everything mutable that decides
(the event table, the "guard is working, do not check" flag, the original `getaddrinfo`/`fork_exec`, the
address-to-name map, the handler's source path, the trusted code objects) lives in a `_Vault` that only the
audit hook's closure references. The wrappers installed in `socket` and `_posixsubprocess` hold nothing: they
call ``sys.audit("faasguard....")`` and the hook does the work, so there is no closure cell to read the
original function from. Reaching the hook itself takes `gc` introspection, which raises audit events (tamper).

Size: the guard's trust decisions depend on the identity of this module's code objects and on state held only
by its audit hook, so the hook, the policies it applies and the wrappers it installs live in one module.
"""

from __future__ import annotations

import contextvars
import functools
import json
import operator
import os
import sys
import threading
import time
from fnmatch import fnmatchcase

from faasguard.guard._config import ALERT, BLOCK, OFF, GuardConfig, GuardConfigError, load_config
from faasguard.guard._errors import GuardBlocked, GuardTamper, ValidationError
from faasguard.guard._policies import CompiledPolicies, Verdict, canonical_ip, fspath, shell_command
from faasguard.guard._redact import (
    RedactingStream,
    Redactor,
    install_logging_filter,
    is_redacting,
    redact_exception,
    secret_env_values,
)
from faasguard.guard._trust import Trust, own_codes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    Handler = Callable[[Any, Any], Any]

_CREATE = os.O_CREAT
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_WATCHED_ENV = ("FAASGUARD_", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "AWS_LAMBDA_EXEC_WRAPPER", "PYTHONPATH",
                "PYTHONSTARTUP", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONINSPECT", "BASH_ENV")
_CHILD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_child")
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Invocation:
    """Per-invocation state: who it is, what it triggered, what it created under /tmp."""

    __slots__ = ("alerted", "blocked", "counts", "created", "deadline", "done", "request_id", "seen", "started",
                 "warn_at", "warned")

    def __init__(self, request_id: str | None) -> None:
        self.request_id = request_id
        self.started = time.monotonic()
        self.counts: dict[str, int] = {}
        self.blocked = 0
        self.alerted = 0
        self.created: list[tuple[str, bool]] = []  # (path, is_dir)
        self.warn_at: float | None = None
        self.deadline: float | None = None
        self.warned = False
        self.done = False
        self.seen: set[tuple[Any, ...]] = set()


_CURRENT: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("faasguard_invocation", default=None)
_GUARD: Guard | None = None
_INSTALL_LOCK = threading.Lock()


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class _State:
    """Bookkeeping that changes at run time and decides nothing about what is allowed."""

    __slots__ = ("active", "cond", "handler_file", "init_events", "init_seen", "invoked_arn", "next_wake",
                 "orphans", "watcher")

    def __init__(self) -> None:
        self.active: set[Invocation] = set()
        self.orphans: list[tuple[str, bool]] = []
        self.cond = threading.Condition()
        self.watcher: threading.Thread | None = None
        self.next_wake: float | None = None
        self.handler_file: str | None = None
        self.init_events = 0
        self.init_seen: set[tuple[Any, ...]] = set()
        self.invoked_arn: str | None = None


class _Vault:
    """What decides and changes at run time; referenced only by the audit hook's closure (see module doc)."""

    __slots__ = ("approved", "fork_exec", "gai", "internal", "invoked", "modules", "resolved", "sources",
                 "table", "trust")

    def __init__(self, table: dict[str, Callable[[tuple[Any, ...], _Vault], None]], trust: Trust) -> None:
        self.table = table
        self.trust = trust
        self.internal: set[int] = set()  # thread ids inside the guard's own work (cleanup): not checked
        self.resolved: dict[str, str] = {}  # address -> the host name it was resolved from
        self.gai: Any = None
        self.fork_exec: Any = None
        self.sources: frozenset[str] = frozenset()
        self.invoked = False  # latched at the first invocation: from then on no code runs "at init"
        self.approved: dict[int, list[str | None]] = {}  # thread -> argv of a Popen just checked
        # the guard's modules with their namespace as installed: compared (identity) around each invocation
        self.modules: list[tuple[Any, list[str], tuple[Any, ...]]] = []


def _unbox(box: list[tuple[bool, Any]]) -> Any:
    if not box:
        raise GuardBlocked("faasguard: this call goes through the guard, which did not run it")
    ok, value = box[0]
    if ok:
        return value
    raise value


def _fork_exec(*args: Any, **kwargs: Any) -> Any:
    """Stands in for `_posixsubprocess.fork_exec`: the guard's hook checks and runs the original it keeps."""
    box: list[tuple[bool, Any]] = []
    sys.audit("faasguard.fork_exec", args, kwargs, box)
    return _unbox(box)


def _getaddrinfo(*args: Any, **kwargs: Any) -> Any:
    """Stands in for `socket.getaddrinfo`: the hook resolves with the original and remembers address -> name."""
    box: list[tuple[bool, Any]] = []
    sys.audit("faasguard.getaddrinfo", args, kwargs, box)
    return _unbox(box)


_fork_exec._faasguard = True  # type: ignore[attr-defined]
_getaddrinfo._faasguard = True  # type: ignore[attr-defined]
_GUARD_FIELDS = ("config", "policies", "learning", "child", "function", "redactor", "events_fd", "recorder",
                 "state")


class Guard(tuple):  # type: ignore[type-arg]
    """The installed guard. Immutable (a tuple): attempts to set attributes are tamper events."""

    __slots__ = ()
    config: GuardConfig
    policies: CompiledPolicies
    learning: bool
    child: bool
    function: str | None
    redactor: Redactor
    events_fd: int
    recorder: Any
    state: _State

    def __new__(cls, config: GuardConfig, *, environ: dict[str, str] | None = None, child: bool = False) -> Guard:
        env = dict(os.environ if environ is None else environ)
        redactor = Redactor(config.redact_patterns)
        for value in secret_env_values(env):
            redactor.add(value)
        recorder = None
        if config.mode == "learn":
            from faasguard.guard._learn import Recorder

            recorder = Recorder()
        return tuple.__new__(cls, (config, CompiledPolicies(config, env), config.mode == "learn", child,
                                   env.get("AWS_LAMBDA_FUNCTION_NAME"), redactor,
                                   os.dup(1 if config.events_stream == "stdout" else 2), recorder, _State()))

    def __setattr__(self, name: str, value: Any) -> None:
        self.tamper({"action": "setattr", "attribute": name, "reason": "attempt to change the guard after init"},
                    force_block=True)

    def __delattr__(self, name: str) -> None:
        self.__setattr__(name, None)

    def __repr__(self) -> str:
        return f"<faasguard Guard mode={self.config.mode} child={self.child}>"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __hash__(self) -> int:
        return id(self)

    # ------------------------------------------------------------------------------------------ install
    def _table(self) -> dict[str, Callable[[tuple[Any, ...], _Vault], None]]:
        return {
            "subprocess.Popen": self._on_popen, "os.system": self._on_system, "os.exec": self._on_exec,
            "os.posix_spawn": self._on_exec, "os.spawn": self._on_spawn, "os.fork": self._on_fork,
            "os.forkpty": self._on_fork, "socket.getaddrinfo": self._on_getaddrinfo,
            "socket.gethostbyname": self._on_gethostbyname, "socket.connect": self._on_socket_connect,
            "socket.sendto": self._on_sendto, "socket.sendmsg": self._on_sendmsg, "open": self._on_open,
            "os.mkdir": self._on_mkdir, "os.rename": self._on_rename, "os.symlink": self._on_symlink,
            "os.link": self._on_rename, "os.truncate": self._on_path_write, "os.chmod": self._on_chmod,
            "os.remove": self._on_remove, "os.rmdir": self._on_remove, "pickle.find_class": self._on_pickle,
            "marshal.loads": self._on_marshal, "marshal.load": self._on_marshal,
            "ctypes.dlopen": self._on_dlopen, "ctypes.dlsym": self._on_dlsym,
            "ctypes.dlsym/handle": self._on_dlsym_handle,
            "sys.addaudithook": self._on_addaudithook, "os.putenv": self._on_putenv,
            "os.unsetenv": self._on_putenv, "import": self._on_import, "gc.get_referrers": self._on_gc,
            "gc.get_referents": self._on_gc, "gc.get_objects": self._on_gc,
            "faasguard.fork_exec": self._call_fork_exec, "faasguard.getaddrinfo": self._call_getaddrinfo,
            "faasguard.internal": self._set_internal, "faasguard.is_internal": self._is_internal,
            "faasguard.source": self._set_source, "faasguard.invocation": self._invocation_started,
            "faasguard.trust": self._refresh_trust, "faasguard.probe": self._probe,
            "faasguard.integrity": self._integrity, "faasguard.seal": self._seal,
        }

    def install(self) -> None:
        """Install the hook and the wrappers. Called once per process."""
        if not self.child:
            self._export_for_children()
        trust = Trust(own_codes(Guard._finish), threading.get_ident())
        vault = _Vault(self._table(), trust)
        trust.refresh()
        sys.addaudithook(_make_hook(self, vault))
        self._wrap_getaddrinfo(vault)
        self._wrap_fork_exec(vault)
        if self.config.redact:
            self._wrap_streams(report=False)
            install_logging_filter(self.redactor)
        if self.recorder is not None:
            from faasguard.guard._learn import install_botocore_hooks

            install_botocore_hooks(self.recorder, is_internal)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_in_child)

    def _export_for_children(self) -> None:
        """Child Python processes load the guard from sitecustomize (see _child/) with the same config."""
        os.environ["FAASGUARD_CHILD"] = "1"
        os.environ["FAASGUARD_CHILD_CONFIG"] = json.dumps(
            {**self.config.to_json(), "network": {"allow": list(self.config.allow_hosts),
                                                  "allow_aws": self.config.allow_aws,
                                                  **({"region": self.config.region} if self.config.region else {})},
             "on_config_error": self.config.on_config_error})
        parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        for entry in (_PACKAGE_ROOT, _CHILD_DIR):
            if entry not in parts:
                parts.insert(0, entry)
        os.environ["PYTHONPATH"] = os.pathsep.join(parts)

    def _after_fork_in_child(self) -> None:
        self.state.watcher = None
        self.state.cond = threading.Condition()
        sys.audit("faasguard.trust", "forked")

    def internal(self) -> bool:
        return is_internal()

    def _internal_error(self, where: str, exc: BaseException) -> None:
        self.emit("error", {"where": where, "error": f"{type(exc).__name__}: {exc}"})

    # ------------------------------------------------------------------------------------------ vault events
    def _set_internal(self, args: tuple[Any, ...], vault: _Vault) -> None:
        caller = sys._getframe(2)  # the hook, then whoever called sys.audit
        ident = threading.get_ident()
        if caller.f_code not in vault.trust.own:
            self.tamper({"action": "faasguard.internal", "caller": caller.f_code.co_name,
                         "reason": "attempt to switch the guard's checks off"}, force_block=True)
        if args[0]:
            vault.internal.add(ident)
        else:
            vault.internal.discard(ident)

    def _probe(self, args: tuple[Any, ...], vault: _Vault) -> None:
        args[0].append((vault.gai is not None, vault.fork_exec is not None, vault.invoked))

    def _is_internal(self, args: tuple[Any, ...], vault: _Vault) -> None:
        args[0].append(threading.get_ident() in vault.internal)

    def _set_source(self, args: tuple[Any, ...], vault: _Vault) -> None:
        if not vault.sources and isinstance(args[0], str):
            vault.sources = frozenset({args[0]})

    def _invocation_started(self, args: tuple[Any, ...], vault: _Vault) -> None:
        vault.invoked = True
        self._refresh_trust(args, vault)

    def _seal(self, args: tuple[Any, ...], vault: _Vault) -> None:
        if not vault.modules:  # once, right after install() published the guard
            owners = [*_guard_modules(), *_guard_classes()]
            vault.modules = [(m, list(vars(m)), tuple(vars(m).values())) for m in owners]

    def _integrity(self, args: tuple[Any, ...], vault: _Vault) -> None:
        """The guard's module globals and class attributes (its functions, patterns, constants) replaced, added
        or deleted since install: put back and reported. Neither assignment raises an audit event, so this runs
        at the end of every invocation: one tuple comparison per module or class, in C, where identical objects
        compare equal without calling __eq__ (a substitute whose __eq__ claims equality passes: docs/guard.md)."""
        for index, (owner, keys, values) in enumerate(vault.modules):
            namespace = vars(owner)
            if tuple(namespace.values()) == values:
                continue  # nothing replaced, added or deleted (a deletion shifts every later value)
            before = dict(zip(keys, values, strict=True))
            changed = sorted(k for k in set(namespace) | set(before) if k != "__warningregistry__" and (
                k not in namespace or k not in before or namespace[k] is not before[k]))
            is_class = isinstance(owner, type)
            for key in changed:
                if key not in before:
                    delattr(owner, key) if is_class else namespace.pop(key, None)
                elif is_class:
                    type.__setattr__(owner, key, before[key])
                else:
                    namespace[key] = before[key]
            vault.modules[index] = (owner, list(vars(owner)), tuple(vars(owner).values()))  # order may differ now
            if not changed:
                continue
            kind = "class patched" if is_class else "module patched"
            self.tamper({"action": kind, "module" if not is_class else "class": getattr(owner, "__name__", "?"),
                         "names": changed[:20], "reason": "the guard's code was changed; restored"})

    def _refresh_trust(self, args: tuple[Any, ...], vault: _Vault) -> None:
        if args and args[0] == "forked":
            vault.trust.main_ident = threading.get_ident()
        for name in vault.trust.refresh():
            self.tamper({"action": "sys.modules replaced", "module": name,
                         "reason": "a trusted runtime module was replaced after the guard saw it"})

    def _on_gc(self, args: tuple[Any, ...], vault: _Vault) -> None:
        if self.current() is not None or vault.invoked:
            self.tamper({"action": "gc introspection", "event": "gc.get_referrers/get_referents/get_objects",
                         "reason": "walking the object graph reaches the guard's private state"})

    # ------------------------------------------------------------------------------------------ events
    def current(self) -> Invocation | None:
        inv = _CURRENT.get()
        if inv is None and len(self.state.active) == 1:
            for only in self.state.active:
                return only
        return inv

    def emit(self, kind: str, fields: dict[str, Any], inv: Invocation | None = None) -> None:
        """One JSON line on the events stream (a dup of stderr/stdout taken at init). Secrets are masked in each
        string *before* encoding: JSON escapes (quotes, backslashes, non-ASCII) would hide them from a mask
        applied to the encoded line."""
        record = {"faasguard": kind, **self.redactor.redact_value(fields),
                  "request_id": inv.request_id if inv else None, "function": self.function, "time": _now_iso()}
        if self.child:
            record["pid"], record["ppid"] = os.getpid(), os.getppid()
        try:
            line = self.redactor.redact(json.dumps(record, default=str, separators=(",", ":"))) + "\n"
            os.write(self.events_fd, line.encode("utf-8", "replace"))
        except OSError:
            pass

    def act(self, verdict: Verdict, *, phase_applies: bool = True) -> None:
        """Apply the policy's action to a flagged operation: event + count, then raise when blocking."""
        action = self.config.action(verdict.policy)
        if action == OFF or not phase_applies:
            return
        inv = self.current()
        if self.learning:
            if self.recorder is not None and verdict.policy == "files":
                self.recorder.file(str(verdict.detail.get("path")), str(verdict.detail.get("access")))
            return
        taken = "blocked" if action == BLOCK else "alerted"
        if action == ALERT:  # one event per alerted thing per invocation (a lookup then a connect: one event)
            detail = verdict.detail
            key = (verdict.type, detail.get("hostname") or detail.get("host"), detail.get("port"),
                   detail.get("path"), detail.get("program"), detail.get("command"), detail.get("global"),
                   detail.get("library"), detail.get("symbol"), detail.get("reason"), detail.get("action"))
            seen = inv.seen if inv is not None else self.state.init_seen
            if key in seen:
                return
            if len(seen) < 1000:
                seen.add(key)
        phase = "invoke" if inv else ("child" if self.child else ("background" if _invoked() else "init"))
        self.emit("event", {"type": verdict.type, "policy": verdict.policy, "action": taken,
                            "detail": verdict.detail, "phase": phase}, inv)
        if inv is not None:
            inv.counts[verdict.type] = inv.counts.get(verdict.type, 0) + 1
            if action == BLOCK:
                inv.blocked += 1
            else:
                inv.alerted += 1
        else:
            self.state.init_events += 1
        if action == BLOCK:
            raise GuardBlocked(f"faasguard blocked {verdict.type}: {verdict.detail.get('reason', '')}")

    def tamper(self, detail: dict[str, Any], *, force_block: bool = False) -> None:
        verdict = Verdict("tamper", "tamper", detail)
        action = self.config.action("tamper")
        if action == OFF and not force_block:
            return
        if force_block:  # the guard's own state is never changed, whatever the tamper policy says
            self.emit("event", {"type": "tamper", "policy": "tamper", "action": "blocked", "detail": detail},
                      self.current())
            raise GuardTamper("faasguard: the guard configuration is frozen after init")
        try:
            self.act(verdict)
        except GuardBlocked as exc:
            raise GuardTamper(str(exc)) from None

    # ------------------------------------------------------------------------------------------ processes
    def _process(self, program: Any, argv: Any, event: str, env: Any = None, cwd: Any = None) -> None:
        prog = fspath(program) if program is not None else None
        if self.recorder is not None:
            args = list(argv) if isinstance(argv, (list, tuple)) else [argv]
            name = fspath(prog or (args[0] if args else "")) or ""
            command = shell_command(os.path.basename(name), [fspath(a) or "" for a in args])
            self.recorder.process(name + (f" -c {command}" if command else "") if command else name)
        verdict = self.policies.check_process(prog, argv, event, env, cwd)
        if verdict is not None:
            self.act(verdict)

    def _on_popen(self, args: tuple[Any, ...], vault: _Vault) -> None:
        executable, argv = args[0], args[1]
        cwd, env = (args[2], args[3]) if len(args) > 3 else (None, None)
        self._process(executable, argv, "subprocess.Popen", env, cwd)
        # the fork_exec that follows on this thread carries the same argv: already checked
        vault.approved[threading.get_ident()] = [fspath(a) for a in (argv if isinstance(argv, (list, tuple))
                                                                     else [argv])]

    def _on_system(self, args: tuple[Any, ...], vault: _Vault) -> None:
        command = fspath(args[0]) or ""
        self._process("/bin/sh", ["/bin/sh", "-c", command], "os.system")

    def _on_exec(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self._process(args[0], args[1], "os.exec", args[2] if len(args) > 2 else None)

    def _on_spawn(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self._process(args[1], args[2], "os.spawn", args[3] if len(args) > 3 else None)

    def _on_fork(self, args: tuple[Any, ...], vault: _Vault) -> None:
        if "fork" in self.config.allow_processes:
            return
        if self.current() is None and (not vault.invoked or vault.trust.runtime_caller(False)):
            return  # the runtime forks its workers at init (and may replace one later)
        self.act(Verdict("process", "process", {"event": "os.fork", "reason": "fork during an invocation"
                                                if self.current() else "fork after an invocation (background)"}))

    def _wrap_fork_exec(self, vault: _Vault) -> None:
        """`_posixsubprocess.fork_exec` starts processes; called directly it raises no audit event."""
        try:
            import _posixsubprocess  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return
        original = _posixsubprocess.fork_exec  # type: ignore[attr-defined,unused-ignore]
        if getattr(original, "_faasguard", False):
            return
        vault.fork_exec = original
        _posixsubprocess.fork_exec = _fork_exec  # type: ignore[attr-defined,unused-ignore]
        subprocess_module = sys.modules.get("subprocess")
        if subprocess_module is not None and hasattr(subprocess_module, "_fork_exec"):
            subprocess_module._fork_exec = _fork_exec  # type: ignore[attr-defined]

    def _call_fork_exec(self, args: tuple[Any, ...], vault: _Vault) -> None:
        call_args, call_kwargs, box = args
        argv = [fspath(a) for a in (call_args[0] or [])] if call_args else []
        approved = vault.approved.pop(threading.get_ident(), None)
        if approved is None or approved != argv:
            programs = call_args[1] if len(call_args) > 1 else None
            env = call_args[5] if len(call_args) > 5 else None
            cwd = call_args[4] if len(call_args) > 4 else None
            self._process(programs[0] if programs else None, argv, "_posixsubprocess.fork_exec", env, cwd)
        try:
            box.append((True, vault.fork_exec(*call_args, **call_kwargs)))
        except BaseException as exc:  # handed back to the caller as is
            box.append((False, exc))

    # ------------------------------------------------------------------------------------------ network
    def _wrap_getaddrinfo(self, vault: _Vault) -> None:
        """Remember which host name each resolved address came from, so connect() events name the host."""
        import socket

        original = socket.getaddrinfo
        if getattr(original, "_faasguard", False):
            return
        vault.gai = original
        socket.getaddrinfo = _getaddrinfo

    def _call_getaddrinfo(self, args: tuple[Any, ...], vault: _Vault) -> None:
        call_args, call_kwargs, box = args
        try:
            result = vault.gai(*call_args, **call_kwargs)
        except BaseException as exc:  # handed back to the caller as is
            box.append((False, exc))
            return
        host = call_args[0] if call_args else call_kwargs.get("host")
        names = vault.resolved
        if isinstance(host, (str, bytes)) and len(names) < 4096:
            name = host.decode() if isinstance(host, bytes) else host
            for entry in result:
                address = entry[4][0] if entry[4] else None
                if isinstance(address, str) and address != name:
                    names[address] = name.lower()
        box.append((True, result))

    def _on_getaddrinfo(self, args: tuple[Any, ...], vault: _Vault) -> None:
        host, port = args[0], args[1]
        if self.recorder is not None and host:
            self.recorder.host(fspath(host) or "", port if isinstance(port, int) else None)
        verdict = self.policies.check_host(host, port, "socket.getaddrinfo", trust=vault.trust,
                                           in_invocation=_CURRENT.get() is not None)
        if verdict is not None:
            self.act(verdict)

    def _on_gethostbyname(self, args: tuple[Any, ...], vault: _Vault) -> None:
        verdict = self.policies.check_host(args[0], None, "socket.gethostbyname", trust=vault.trust,
                                           in_invocation=_CURRENT.get() is not None)
        if verdict is not None and verdict.detail.get("reason") != "host not in the network allowlist":
            self.act(verdict)
        elif verdict is not None:
            # no port known: allowed when the name is allowed on any port
            host = str(args[0]).lower()
            if not any(h == host for h, _ in self.policies.exact_hosts) and not any(
                    host.endswith(s) for s, _ in self.policies.wildcard_hosts):
                self.act(verdict)

    def _on_socket_connect(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self._on_connect(args, vault, "socket.connect")  # connect() and connect_ex(), TCP and UDP

    def _on_sendto(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self._on_connect(args, vault, "socket.sendto")

    def _on_sendmsg(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self._on_connect(args, vault, "socket.sendmsg")

    def _on_connect(self, args: tuple[Any, ...], vault: _Vault, event: str) -> None:
        """Every route that names a destination: connect/connect_ex, sendto and sendmsg (UDP)."""
        address = args[1] if len(args) > 1 else None
        if not isinstance(address, tuple) or len(address) < 2:
            return  # AF_UNIX and friends, sendmsg on a connected socket
        host, port = address[0], address[1]
        if isinstance(host, bytes):
            host = host.decode("utf-8", "replace")
        resolved = vault.resolved.get(host) if isinstance(host, str) else None
        addresses: tuple[str, ...] = ()
        if isinstance(host, str) and host and canonical_ip(host) == host.lower().rstrip(".") and \
                not _looks_like_ip(host):
            addresses = self._resolve_quietly(host, port, vault)  # the kernel will connect to one of these
        if self.recorder is not None and not resolved:
            self.recorder.host(str(host), port if isinstance(port, int) else None)
        verdict = self.policies.check_host(host, port, event, resolved, trust=vault.trust,
                                           in_invocation=_CURRENT.get() is not None, addresses=addresses)
        if verdict is not None:
            self.act(verdict)

    def _resolve_quietly(self, host: str, port: Any, vault: _Vault) -> tuple[str, ...]:
        """A name given straight to connect()/sendto(): C resolves it without an audit event, so resolve it
        here too (unchecked) and judge the addresses. A DNS answer that changes between the two lookups is a
        race no in-process check can close (docs/guard.md)."""
        if vault.gai is None:
            return ()
        ident = threading.get_ident()
        already = ident in vault.internal
        vault.internal.add(ident)
        try:
            return tuple(str(entry[4][0]) for entry in vault.gai(host, port if isinstance(port, int) else None)
                         if entry[4])
        except (OSError, UnicodeError, ValueError):
            return ()
        finally:
            if not already:
                vault.internal.discard(ident)

    # ------------------------------------------------------------------------------------------ files & /tmp
    def _on_open(self, args: tuple[Any, ...], vault: _Vault) -> None:
        path, flags = args[0], args[2]
        verdict = self.policies.check_open(path, flags, trust=vault.trust, sources=vault.sources)
        if verdict is not None:
            self.act(verdict)
        if isinstance(flags, int) and flags & _CREATE:
            self._track(path, is_dir=False, vault=vault)

    def _on_mkdir(self, args: tuple[Any, ...], vault: _Vault) -> None:
        path = _at(args[0], args[2] if len(args) > 2 else None)
        self._on_path_write((path,), vault, follow_last=False)
        self._track(path, is_dir=True, vault=vault)

    def _on_rename(self, args: tuple[Any, ...], vault: _Vault) -> None:
        target = _at(args[1], args[3] if len(args) > 3 else None)
        self._on_path_write((target,), vault, follow_last=False)
        self._track(target, is_dir=False, vault=vault)

    def _on_symlink(self, args: tuple[Any, ...], vault: _Vault) -> None:
        link = _at(args[1], args[2] if len(args) > 2 else None)
        verdict = self.policies.check_symlink(args[0], link, trust=vault.trust)
        if verdict is not None:
            self.act(verdict)
        self._track(link, is_dir=False, vault=vault)

    def _on_remove(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self._on_path_write((_at(args[0], args[1] if len(args) > 1 else None),), vault, follow_last=False)

    def _on_chmod(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self._on_path_write((_at(args[0], args[2] if len(args) > 2 else None),), vault)

    def _on_path_write(self, args: tuple[Any, ...], vault: _Vault, *, follow_last: bool = True) -> None:
        text = fspath(args[0])
        if text is None:
            return
        absolute = self.policies.resolve(text, follow_last=follow_last)
        verdict = self.policies.check_write(absolute, "path-write", trust=vault.trust)
        if verdict is not None:
            self.act(verdict)

    def _track(self, path: Any, *, is_dir: bool, vault: _Vault) -> None:
        """Attribute a file about to be created under /tmp to the running invocation (see module docstring).
        The path is recorded resolved (a symlinked directory on the way is followed now, at creation)."""
        text = fspath(path)
        if text is None or not self.config.tmp_cleanup:
            return
        absolute = self.policies.resolve(text, follow_last=False)
        tmp_dir = self.policies.tmp_dir
        if not absolute.startswith(tmp_dir + "/"):
            real_tmp = os.path.realpath(tmp_dir)
            if not absolute.startswith(real_tmp + "/"):
                return
            absolute = tmp_dir + absolute[len(real_tmp):]
        if os.path.lexists(absolute):
            return
        inv = _CURRENT.get()
        state = self.state
        if inv is None:
            if not state.active:
                if vault.invoked:  # a thread outliving its invocation: removed after the next one
                    state.orphans.append((absolute, is_dir))
                return  # init phase: files made at cold start are caches, kept
            if len(state.active) == 1:
                inv = next(iter(state.active), None)
            else:
                state.orphans.append((absolute, is_dir))
                return
        if inv is not None:
            inv.created.append((absolute, is_dir))

    def _kept(self, path: str) -> bool:
        return any(fnmatchcase(path, p) or path.startswith(p.rstrip("/") + "/") or path == p.rstrip("/")
                   for p in self.policies.tmp_keep)

    def _cleanup(self, created: list[tuple[str, bool]]) -> int:
        """Remove what an invocation created (newest first); returns how many paths were removed.

        Never follows a symlink: the tmp directory is opened once, each directory on the way is opened with
        O_NOFOLLOW relative to its parent's descriptor, and entries are unlinked relative to that descriptor
        (os.fwalk's discipline). A directory swapped for a symlink after creation makes its open fail; the
        entry is then left alone and reported, instead of deleting whatever the symlink points to.
        """
        removed = 0
        tmp_dir = self.policies.tmp_dir
        try:
            root = os.open(tmp_dir, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        except OSError as exc:
            self._internal_error("tmp-cleanup", exc)
            return 0
        try:
            for path, is_dir in reversed(created):
                if self._kept(path) or not path.startswith(tmp_dir + "/"):
                    continue
                if is_dir and any(p.startswith(path.rstrip("/") + "/") or fnmatchcase(path + "/x", p)
                                  for p in self.policies.tmp_keep):
                    continue
                try:
                    if _remove_at(root, path[len(tmp_dir) + 1:].split("/")):
                        removed += 1
                except _SwappedDirectoryError as swapped:
                    self.tamper({"action": "tmp symlink swap", "path": path, "component": str(swapped),
                                 "reason": "a directory created under /tmp was replaced by a symlink; cleanup "
                                           "did not follow it"})
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    self._internal_error("tmp-cleanup", exc)
        except GuardTamper:
            pass
        finally:
            os.close(root)
        return removed

    # ------------------------------------------------------------------------------------------ others
    def _during_init_applies(self) -> bool:
        return self.current() is not None or self.config.deserialization_during_init or self.child or _invoked()

    def _on_pickle(self, args: tuple[Any, ...], vault: _Vault) -> None:
        verdict = self.policies.check_pickle_global(args[0], args[1])
        if verdict is not None:
            self.act(verdict, phase_applies=self._during_init_applies())

    def _on_marshal(self, args: tuple[Any, ...], vault: _Vault) -> None:
        frame = sys._getframe(2)  # the hook, then the code that called marshal
        if vault.trust.import_caller(frame):
            return
        self.act(Verdict("deserialization", "deserialization",
                         {"event": "marshal.loads", "caller": frame.f_code.co_filename,
                          "reason": "marshal data loaded outside the import system (code objects)"}),
                 phase_applies=self._during_init_applies())

    def _on_dlopen(self, args: tuple[Any, ...], vault: _Vault) -> None:
        name = fspath(args[0]) if args and args[0] is not None else None
        if not name:
            return
        from_tmp = self.policies._in_scratch(name) if "/" in name else False
        self.act(Verdict("ctypes", "ctypes", {"event": "ctypes.dlopen", "library": name,
                                              "reason": "native library loaded from /tmp" if from_tmp else
                                              "native library loaded through ctypes (audit hooks cannot see "
                                              "what it does)"}),
                 phase_applies=from_tmp or self._during_init_applies())

    def _on_dlsym(self, args: tuple[Any, ...], vault: _Vault) -> None:
        verdict = self.policies.check_dlsym(args[1] if len(args) > 1 else None)
        if verdict is not None:
            self.act(verdict)

    def _on_dlsym_handle(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self._on_dlsym((None, args[1] if len(args) > 1 else None), vault)

    def _on_addaudithook(self, args: tuple[Any, ...], vault: _Vault) -> None:
        self.tamper({"action": "sys.addaudithook", "reason": "another audit hook is being added"})

    def _on_putenv(self, args: tuple[Any, ...], vault: _Vault) -> None:
        key = fspath(args[0]) or ""
        if key.startswith(_WATCHED_ENV):
            self.tamper({"action": "putenv", "variable": key,
                         "reason": "changes a guard, loader or child-interpreter variable after init"})

    def _on_import(self, args: tuple[Any, ...], vault: _Vault) -> None:
        if args[0] == "_posixsubprocess" and vault.fork_exec is not None:
            self.tamper({"action": "re-import", "module": "_posixsubprocess",
                         "reason": "fresh copy of the process-spawning module (bypasses the guard's wrapper)"})

    # ------------------------------------------------------------------------------------------ outputs
    def _wrap_streams(self, *, report: bool) -> None:
        """sys.stdout/stderr, and sys.__stdout__/__stderr__ (what code reaches for to get around a replaced
        sys.stdout), each with its binary `.buffer`, write through the redactor."""
        for name in ("stdout", "stderr", "__stdout__", "__stderr__"):
            stream = getattr(sys, name, None)
            if stream is not None and not is_redacting(stream):
                if report and not name.startswith("__"):
                    self.tamper({"action": f"sys.{name} replaced",
                                 "reason": "log redaction removed; the guard wrapped the new stream"})
                setattr(sys, name, RedactingStream(stream, self.redactor))

    def _check_wrappers(self) -> None:
        import socket

        replaced = []
        has_gai, has_fork_exec, _ = _probe()
        if has_gai and socket.getaddrinfo is not _getaddrinfo:
            socket.getaddrinfo = _getaddrinfo
            replaced.append("socket.getaddrinfo")
        module = sys.modules.get("_posixsubprocess")
        if has_fork_exec and module is not None and getattr(module, "fork_exec", None) is not _fork_exec:
            setattr(module, "fork_exec", _fork_exec)  # noqa: B010 - module typed as ModuleType
            replaced.append("_posixsubprocess.fork_exec")
        subprocess_module = sys.modules.get("subprocess")
        if has_fork_exec and subprocess_module is not None and \
                getattr(subprocess_module, "_fork_exec", _fork_exec) is not _fork_exec:
            setattr(subprocess_module, "_fork_exec", _fork_exec)  # noqa: B010
            replaced.append("subprocess._fork_exec")
        for name in replaced:  # reinstalled first, reported second (reporting may raise when blocking)
            try:  # noqa: SIM105 - contextlib would be one more import at cold start
                self.tamper({"action": f"{name} replaced", "reason": "guard wrapper removed; reinstalled"})
            except GuardTamper:
                pass

    # ------------------------------------------------------------------------------------------ timeout
    def _watch(self, inv: Invocation, context: Any) -> None:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if remaining is None:
            return
        try:
            left_ms = float(remaining())
        except Exception:
            return
        state = self.state
        inv.deadline = inv.started + left_ms / 1000.0
        inv.warn_at = inv.deadline - self.config.timeout_margin_ms / 1000.0
        if state.watcher is None:
            thread = threading.Thread(target=self._watch_loop, name="faasguard-timeout", daemon=True)
            state.watcher = thread
            thread.start()
        if state.next_wake is None or inv.warn_at < state.next_wake:
            with state.cond:
                state.cond.notify()

    def _watch_loop(self) -> None:
        state = self.state
        with state.cond:
            while True:
                now = time.monotonic()
                soonest: float | None = None
                for inv in list(state.active):
                    if inv.warn_at is None or inv.warned or inv.done:
                        continue
                    if inv.warn_at <= now:
                        inv.warned = True
                        left = max(0, int(((inv.deadline or now) - now) * 1000))
                        self.emit("event", {"type": "timeout", "policy": "timeout", "action": "alerted",
                                            "detail": {"remaining_ms": left,
                                                       "margin_ms": self.config.timeout_margin_ms,
                                                       "reason": "remaining time below the margin"}}, inv)
                        inv.counts["timeout"] = inv.counts.get("timeout", 0) + 1
                    elif soonest is None or inv.warn_at < soonest:
                        soonest = inv.warn_at
                state.next_wake = soonest
                state.cond.wait(None if soonest is None else max(0.0, soonest - now))

    # ------------------------------------------------------------------------------------------ invocations
    def wrap(self, handler: Handler) -> Handler:
        """The handler wrapped: invocation context, validation errors to 400, secrets out of errors, cleanup."""
        guard = self

        @functools.wraps(handler)
        def guarded(event: Any, context: Any) -> Any:
            if _CURRENT.get() is not None:  # already inside a guarded invocation (layer + decorator)
                return handler(event, context)
            inv = Invocation(getattr(context, "aws_request_id", None))
            state = guard.state
            if state.invoked_arn is None and guard.recorder is not None:
                state.invoked_arn = getattr(context, "invoked_function_arn", None)
            sys.audit("faasguard.invocation")
            token = _CURRENT.set(inv)
            state.active.add(inv)
            try:
                guard._watch(inv, context)
                if guard.config.redact:
                    guard._wrap_streams(report=True)
                    install_logging_filter(guard.redactor)
                    _wrap_runtime_errors(guard.redactor)
                try:
                    return handler(event, context)
                except ValidationError as exc:
                    guard.emit("event", {"type": "validation", "policy": "validation",
                                         "action": "rejected", "detail": {"source": exc.source,
                                                                          "errors": exc.errors[:10]}}, inv)
                    inv.counts["validation"] = inv.counts.get("validation", 0) + 1
                    from faasguard.guard._validate import bad_request, is_http_event

                    if is_http_event(event):
                        return bad_request(exc)
                    raise
                except Exception as exc:
                    if not guard.config.redact:
                        raise
                    masked = redact_exception(exc, guard.redactor)
                    if masked is exc:
                        raise
                    raise masked.with_traceback(exc.__traceback__) from None
            finally:
                inv.done = True
                try:
                    guard._finish(inv)  # still the current invocation: its events carry its request id
                finally:
                    _CURRENT.reset(token)
                    state.active.discard(inv)

        guarded.__faasguard_wrapped__ = handler  # type: ignore[attr-defined]
        return guarded

    def _finish(self, inv: Invocation) -> None:
        sys.audit("faasguard.internal", True)
        state = self.state
        try:
            removed = self._cleanup(inv.created) if inv.created else 0
            if state.orphans and state.active <= {inv}:
                orphans = list(state.orphans)
                del state.orphans[:]
                removed += self._cleanup(orphans)
            self._check_wrappers()
            if self.recorder is not None and self.recorder.dirty:
                self._write_learned(inv)
        except Exception as exc:
            self._internal_error("finish", exc)
        finally:
            sys.audit("faasguard.internal", False)
        try:  # noqa: SIM105 - contextlib would be one more import at cold start
            sys.audit("faasguard.integrity")
        except GuardTamper:
            pass
        summary = self.config.summary
        if summary == "always" or (summary == "events" and (inv.counts or removed)):
            self.emit("summary", {"events": inv.counts, "blocked": inv.blocked, "alerted": inv.alerted,
                                  "tmp_removed": removed,
                                  "duration_ms": round((time.monotonic() - inv.started) * 1000, 3)}, inv)

    def _write_learned(self, inv: Invocation) -> None:
        from faasguard.guard._learn import identity_for

        arn = self.state.invoked_arn or ""
        account = arn.split(":")[4] if arn.count(":") >= 5 else None
        identity = identity_for(self.config.role_arn, self.function, account)
        base = self.config.to_json()
        self.recorder.write(self.config.learn_output, self.config.learn_cloudtrail, base, identity)
        self.emit("learned", {"processes": sorted(self.recorder.processes), "hosts": sorted(self.recorder.hosts),
                              "files": sorted(self.recorder.files), "aws_calls": len(self.recorder.calls),
                              "config": self.config.learn_output, "cloudtrail": self.config.learn_cloudtrail}, inv)

    def set_handler_source(self, path: str | None) -> None:
        """The handler module's file: reading it during an invocation is flagged (set once, at init)."""
        if path and self.state.handler_file is None:
            absolute = os.path.realpath(path)
            self.state.handler_file = absolute
            sys.audit("faasguard.source", absolute)


for _index, _name in enumerate(_GUARD_FIELDS):
    setattr(Guard, _name, property(operator.itemgetter(_index)))
del _index, _name

_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_MAX_DEPTH = 64


class _SwappedDirectoryError(OSError):
    """A directory on the way to a created path is now a symlink (or not a directory)."""


def _remove_at(root: int, parts: list[str]) -> bool:
    """Remove `parts` (relative to the directory descriptor `root`) without following any symlink."""
    import errno

    fds: list[int] = []
    parent = root
    try:
        for part in parts[:-1]:
            try:
                fd = os.open(part, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=parent)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _SwappedDirectoryError(part) from None
                raise
            fds.append(fd)
            parent = fd
        name = parts[-1]
        try:
            os.unlink(name, dir_fd=parent)
        except IsADirectoryError:
            _remove_tree_at(parent, name, 0)
        except PermissionError:  # EPERM from unlink(2) on a directory (Linux)
            _remove_tree_at(parent, name, 0)
        return True
    finally:
        for fd in fds:
            os.close(fd)


def _remove_tree_at(parent: int, name: str, depth: int) -> None:
    import errno

    if depth > _MAX_DEPTH:
        raise OSError(errno.ELOOP, "directory tree too deep to remove", name)
    try:
        fd = os.open(name, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # swapped for a symlink or a file: remove the entry
            os.unlink(name, dir_fd=parent)
            return
        raise
    try:
        with os.scandir(fd) as entries:
            children = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
        for child, is_dir in children:
            if is_dir:
                _remove_tree_at(fd, child, depth + 1)
            else:
                os.unlink(child, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=parent)


def _make_hook(guard: Guard, vault: _Vault) -> Callable[[str, tuple[Any, ...]], None]:
    """The audit hook: the only holder of the vault. Events named faasguard.* are the wrappers' calls into it."""
    table = vault.table
    internal = vault.internal
    get_ident = threading.get_ident

    def hook(event: str, args: tuple[Any, ...]) -> None:
        handler = table.get(event)
        if handler is None:
            return
        if internal and get_ident() in internal and not event.startswith("faasguard."):
            return
        try:
            handler(args, vault)
        except (GuardBlocked, GuardTamper):
            raise
        except Exception as exc:  # a bug in a check must not break the function
            guard._internal_error(event, exc)

    return hook


def _probe() -> tuple[bool, bool, bool]:
    """Read-only facts from the vault, asked through the hook (a closure here would expose the vault):
    (getaddrinfo wrapped, fork_exec wrapped, an invocation has started)."""
    box: list[tuple[bool, bool, bool]] = []
    sys.audit("faasguard.probe", box)
    return box[0] if box else (False, False, False)


def _invoked() -> bool:
    return _probe()[2]


def _guard_modules() -> list[Any]:
    """The modules whose globals the checks read at run time."""
    return [m for m in (sys.modules.get(f"faasguard.guard.{n}") for n in (
        "_core", "_policies", "_redact", "_trust")) if m is not None]


def _guard_classes() -> tuple[type, ...]:
    """The classes whose methods decide (bookkeeping classes and exceptions are left out: patching them
    changes no decision)."""
    from faasguard.guard import _config, _policies, _redact, _trust

    return (Guard, _Vault, _policies.CompiledPolicies, _config.GuardConfig, _redact.Redactor,
            _redact.RedactingStream, _redact.RedactingBuffer, _trust.Trust)


def _at(path: Any, dir_fd: Any) -> Any:
    """A path given relative to a directory descriptor (os.unlink(name, dir_fd=fd), as shutil.rmtree does),
    made absolute from what the kernel says the descriptor is (/proc/self/fd/N). Anything else unchanged."""
    if not isinstance(dir_fd, int) or dir_fd < 0:
        return path
    text = fspath(path)
    if text is None or text.startswith("/"):
        return path
    try:
        return os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), text)
    except OSError:
        return path


def _looks_like_ip(host: str) -> bool:
    return ":" in host or host.replace(".", "").isdigit()


def is_internal() -> bool:
    """True on a thread where the guard is doing its own work (asked through the hook, which holds the flag)."""
    box: list[bool] = []
    sys.audit("faasguard.is_internal", box)
    return bool(box and box[0])


def _wrap_runtime_errors(redactor: Redactor) -> None:
    """awslambdaric builds the errorMessage/stackTrace it posts to the Runtime API (and logs) from the exception
    after the handler returns; wrap its builders so both are masked. Done once per process, re-done when
    replaced."""
    bootstrap = sys.modules.get("awslambdaric.bootstrap")
    if bootstrap is None:
        return
    from faasguard.guard._redact import wrap_error_builders

    wrap_error_builders(bootstrap, redactor)


def install(config: GuardConfig | None = None, *, child: bool = False) -> Guard:
    """Install the process-wide guard (once). A later call with a different config is a tamper event."""
    global _GUARD  # noqa: PLW0603 - audit hooks are per process: so is the guard
    with _INSTALL_LOCK:
        if _GUARD is not None:
            if config is not None and config != _GUARD.config:
                _GUARD.tamper({"action": "reinstall", "reason": "a second guard configuration was ignored "
                                                                "(configuration is frozen after init)"})
            return _GUARD
        if config is None:
            config = load_config()
        guard = Guard(config, child=child)
        guard.install()
        _GUARD = guard
        sys.audit("faasguard.seal")
        for value in _PENDING_SECRETS:
            guard.redactor.add_json_leaves(value)
        del _PENDING_SECRETS[:]
        guard.emit("init", {"mode": config.mode, "policies": dict(config.policies),
                            "child": child, "python": sys.version.split()[0]})
        return guard


def installed() -> Guard | None:
    return _GUARD


_PENDING_SECRETS: list[str] = []


def register_secret(value: str) -> None:
    """Mask `value` (and, for a JSON secret, each string in it) in logs from now on."""
    if _GUARD is not None:
        _GUARD.redactor.add_json_leaves(value)
    else:
        _PENDING_SECRETS.append(value)


def report_config_error(exc: BaseException, fail: str) -> None:
    """The clear init error: one JSON line on stderr saying what is wrong and what happens next."""
    line = json.dumps({"faasguard": "config-error", "error": str(exc), "on_config_error": fail,
                       "consequence": "the function refuses to start (fail closed)" if fail == "closed"
                       else "the function runs WITHOUT the guard (fail open)",
                       "function": os.environ.get("AWS_LAMBDA_FUNCTION_NAME"), "time": _now_iso()})
    try:  # noqa: SIM105 - contextlib would be one more import at cold start
        os.write(2, (line + "\n").encode())
    except OSError:
        pass


def guard(handler: Handler | None = None, **options: Any) -> Any:
    """Decorator: ``@guard`` or ``@guard(process="alert", allow_hosts=[...])`` on a Lambda handler.

    The first guard in a process installs the hooks (config: environment, then these keywords); later ones
    reuse it. A broken config fails closed (raises GuardConfigError at import, so the function fails init)
    unless FAASGUARD_ON_CONFIG_ERROR=open, which logs the error and returns the handler unguarded.
    """

    def decorate(func: Handler) -> Handler:
        try:
            config = load_config(**options) if options or _GUARD is None else None
        except GuardConfigError as exc:
            from faasguard.guard._config import on_config_error

            fail = options.get("on_config_error") if isinstance(options.get("on_config_error"), str) else None
            fail = fail or on_config_error(os.environ)
            report_config_error(exc, fail)
            if fail == "open":
                return func
            raise
        instance = install(config)
        instance.set_handler_source(getattr(getattr(func, "__code__", None), "co_filename", None))
        return instance.wrap(func)

    if handler is not None and callable(handler):
        return decorate(handler)
    return decorate


__all__ = ["ALERT", "BLOCK", "OFF", "Guard", "GuardBlocked", "GuardTamper", "guard", "install", "installed"]
