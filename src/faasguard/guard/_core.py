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
"""

from __future__ import annotations

import contextvars
import functools
import json
import os
import sys
import threading
import time
from fnmatch import fnmatchcase

from faasguard.guard._config import ALERT, BLOCK, OFF, GuardConfig, GuardConfigError, load_config
from faasguard.guard._errors import GuardBlocked, GuardTamper, ValidationError
from faasguard.guard._policies import CompiledPolicies, Verdict, fspath, shell_command
from faasguard.guard._redact import (
    RedactingStream,
    Redactor,
    install_logging_filter,
    is_redacting,
    secret_env_values,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    Handler = Callable[[Any, Any], Any]

_CREATE = os.O_CREAT
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_WATCHED_ENV = ("FAASGUARD_", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "AWS_LAMBDA_EXEC_WRAPPER")
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


class Guard:
    """The installed guard. Attributes cannot be changed after install (attempts are tamper events)."""

    def __init__(self, config: GuardConfig, *, environ: dict[str, str] | None = None,
                 child: bool = False) -> None:
        env = dict(os.environ if environ is None else environ)
        self.config = config
        self.policies = CompiledPolicies(config, env)
        self.learning = config.mode == "learn"
        self.child = child
        self.function = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.redactor = Redactor(config.redact_patterns)
        for value in secret_env_values(env):
            self.redactor.add(value)
        self.active: set[Invocation] = set()
        self.orphans: list[tuple[str, bool]] = []
        self.local = threading.local()
        self.cond = threading.Condition()
        self.watcher: threading.Thread | None = None
        self.next_wake: float | None = None
        self.events_fd = os.dup(1 if config.events_stream == "stdout" else 2)
        self.gai_wrapper: Any = None
        self.fork_exec_wrapper: Any = None
        self.handler_file: str | None = None
        self.init_events = 0
        self.init_seen: set[tuple[Any, ...]] = set()
        self.invoked_arn: str | None = None
        self.recorder: Any = None
        if self.learning:
            from faasguard.guard._learn import Recorder

            self.recorder = Recorder()
        self.table: dict[str, Callable[[tuple[Any, ...]], None]] = {
            "subprocess.Popen": self._on_popen, "os.system": self._on_system, "os.exec": self._on_exec,
            "os.posix_spawn": self._on_exec, "os.spawn": self._on_spawn, "os.fork": self._on_fork,
            "os.forkpty": self._on_fork, "socket.getaddrinfo": self._on_getaddrinfo,
            "socket.gethostbyname": self._on_gethostbyname, "socket.connect": self._on_connect,
            "socket.sendto": self._on_connect, "open": self._on_open, "os.mkdir": self._on_mkdir,
            "os.rename": self._on_rename, "os.symlink": self._on_symlink, "os.link": self._on_rename,
            "os.truncate": self._on_path_write, "os.chmod": self._on_path_write, "os.remove": self._on_path_write,
            "os.rmdir": self._on_path_write, "pickle.find_class": self._on_pickle,
            "marshal.loads": self._on_marshal, "marshal.load": self._on_marshal,
            "ctypes.dlopen": self._on_dlopen, "ctypes.dlsym": self._on_dlsym,
            "sys.addaudithook": self._on_addaudithook, "os.putenv": self._on_putenv,
            "os.unsetenv": self._on_putenv, "import": self._on_import,
        }
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False) and name not in _MUTABLE:
            self.tamper({"action": "setattr", "attribute": name,
                         "reason": "attempt to change the guard after init"}, force_block=True)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------------------------------ install
    def install(self) -> None:
        """Install the hook and the wrappers. Called once per process."""
        if not self.child:
            self._export_for_children()
        sys.addaudithook(self._hook)
        self._wrap_getaddrinfo()
        self._wrap_fork_exec()
        if self.config.redact:
            self._wrap_streams(report=False)
            install_logging_filter(self.redactor)
        if self.recorder is not None:
            from faasguard.guard._learn import install_botocore_hooks

            install_botocore_hooks(self.recorder, self.internal)
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
        object.__setattr__(self, "watcher", None)
        object.__setattr__(self, "cond", threading.Condition())

    def internal(self) -> bool:
        return bool(getattr(self.local, "internal", False))

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        handler = self.table.get(event)
        if handler is None or getattr(self.local, "internal", False):
            return
        try:
            handler(args)
        except (GuardBlocked, GuardTamper):
            raise
        except Exception as exc:  # a bug in a check must not break the function
            self._internal_error(event, exc)

    def _internal_error(self, where: str, exc: BaseException) -> None:
        self.emit("error", {"where": where, "error": f"{type(exc).__name__}: {exc}"})

    # ------------------------------------------------------------------------------------------ events
    def current(self) -> Invocation | None:
        inv = _CURRENT.get()
        if inv is None and len(self.active) == 1:
            for only in self.active:
                return only
        return inv

    def emit(self, kind: str, fields: dict[str, Any], inv: Invocation | None = None) -> None:
        """One JSON line on the events stream (a dup of stderr/stdout taken at init), secrets masked."""
        record = {"faasguard": kind, **fields, "request_id": inv.request_id if inv else None,
                  "function": self.function, "time": _now_iso()}
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
                   detail.get("library"), detail.get("symbol"), detail.get("reason"))
            seen = inv.seen if inv is not None else self.init_seen
            if key in seen:
                return
            if len(seen) < 1000:
                seen.add(key)
        self.emit("event", {"type": verdict.type, "policy": verdict.policy, "action": taken,
                            "detail": verdict.detail,
                            "phase": "invoke" if inv else ("child" if self.child else "init")}, inv)
        if inv is not None:
            inv.counts[verdict.type] = inv.counts.get(verdict.type, 0) + 1
            if action == BLOCK:
                inv.blocked += 1
            else:
                inv.alerted += 1
        else:
            object.__setattr__(self, "init_events", self.init_events + 1)
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
    def _process(self, program: Any, argv: Any, event: str) -> None:
        prog = fspath(program) if program is not None else None
        if self.recorder is not None:
            args = list(argv) if isinstance(argv, (list, tuple)) else [argv]
            name = fspath(prog or (args[0] if args else "")) or ""
            command = shell_command(os.path.basename(name), [fspath(a) or "" for a in args])
            self.recorder.process(name + (f" -c {command}" if command else "") if command else name)
        verdict = self.policies.check_process(prog, argv, event)
        if verdict is not None:
            self.act(verdict)

    def _on_popen(self, args: tuple[Any, ...]) -> None:
        executable, argv = args[0], args[1]
        self._process(executable, argv, "subprocess.Popen")

    def _on_system(self, args: tuple[Any, ...]) -> None:
        command = fspath(args[0]) or ""
        self._process("/bin/sh", ["/bin/sh", "-c", command], "os.system")

    def _on_exec(self, args: tuple[Any, ...]) -> None:
        self._process(args[0], args[1], "os.exec")

    def _on_spawn(self, args: tuple[Any, ...]) -> None:
        self._process(args[1], args[2], "os.spawn")

    def _on_fork(self, args: tuple[Any, ...]) -> None:
        if self.current() is None or "fork" in self.config.allow_processes:
            return
        self.act(Verdict("process", "process", {"event": "os.fork", "reason": "fork during an invocation"}))

    def _wrap_fork_exec(self) -> None:
        """`_posixsubprocess.fork_exec` starts processes; called directly it raises no audit event."""
        try:
            import _posixsubprocess  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            return
        original = _posixsubprocess.fork_exec  # type: ignore[attr-defined,unused-ignore]
        if getattr(original, "_faasguard", False):
            return
        guard = self
        subprocess_file = os.path.join(os.path.dirname(os.__file__), "subprocess.py")

        def fork_exec(*args: Any, **kwargs: Any) -> Any:
            caller = sys._getframe(1).f_code.co_filename
            if caller != subprocess_file and not getattr(guard.local, "internal", False):
                argv = [fspath(a) for a in (args[0] or [])]
                programs = args[1] or []
                guard._process(programs[0] if programs else None, argv, "_posixsubprocess.fork_exec")
            return original(*args, **kwargs)

        fork_exec._faasguard = True  # type: ignore[attr-defined]
        _posixsubprocess.fork_exec = fork_exec  # type: ignore[attr-defined,unused-ignore]
        object.__setattr__(self, "fork_exec_wrapper", fork_exec)

    # ------------------------------------------------------------------------------------------ network
    def _wrap_getaddrinfo(self) -> None:
        """Remember which host name each resolved address came from, so connect() events name the host."""
        import socket

        original = socket.getaddrinfo
        if getattr(original, "_faasguard", False):
            return
        names: dict[str, str] = {}
        object.__setattr__(self, "resolved", names)

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(host, *args, **kwargs)
            if isinstance(host, (str, bytes)) and len(names) < 4096:
                name = host.decode() if isinstance(host, bytes) else host
                for entry in result:
                    address = entry[4][0] if entry[4] else None
                    if isinstance(address, str) and address != name:
                        names[address] = name.lower()
            return result

        getaddrinfo._faasguard = True  # type: ignore[attr-defined]
        socket.getaddrinfo = getaddrinfo
        object.__setattr__(self, "gai_wrapper", getaddrinfo)

    def _on_getaddrinfo(self, args: tuple[Any, ...]) -> None:
        host, port = args[0], args[1]
        if self.recorder is not None and host:
            self.recorder.host(fspath(host) or "", port if isinstance(port, int) else None)
        verdict = self.policies.check_host(host, port, "socket.getaddrinfo")
        if verdict is not None:
            self.act(verdict)

    def _on_gethostbyname(self, args: tuple[Any, ...]) -> None:
        verdict = self.policies.check_host(args[0], None, "socket.gethostbyname")
        if verdict is not None and verdict.detail.get("reason") != "host not in the network allowlist":
            self.act(verdict)
        elif verdict is not None:
            # no port known: allowed when the name is allowed on any port
            host = str(args[0]).lower()
            if not any(h == host for h, _ in self.policies.exact_hosts) and not any(
                    host.endswith(s) for s, _ in self.policies.wildcard_hosts):
                self.act(verdict)

    def _on_connect(self, args: tuple[Any, ...]) -> None:
        address = args[1]
        if not isinstance(address, tuple) or len(address) < 2:
            return  # AF_UNIX and friends
        host, port = address[0], address[1]
        resolved = getattr(self, "resolved", {}).get(host) if isinstance(host, str) else None
        if self.recorder is not None and not resolved:
            self.recorder.host(str(host), port if isinstance(port, int) else None)
        verdict = self.policies.check_host(host, port, "socket.connect", resolved)
        if verdict is not None:
            self.act(verdict)

    # ------------------------------------------------------------------------------------------ files & /tmp
    def _on_open(self, args: tuple[Any, ...]) -> None:
        path, flags = args[0], args[2]
        verdict = self.policies.check_open(path, flags)
        if verdict is not None:
            self.act(verdict)
        if isinstance(flags, int) and flags & _CREATE:
            self._track(path, is_dir=False)

    def _on_mkdir(self, args: tuple[Any, ...]) -> None:
        self._on_path_write(args)
        self._track(args[0], is_dir=True)

    def _on_rename(self, args: tuple[Any, ...]) -> None:
        self._on_path_write((args[1],))
        self._track(args[1], is_dir=False)

    def _on_symlink(self, args: tuple[Any, ...]) -> None:
        verdict = self.policies.check_symlink(args[0], args[1])
        if verdict is not None:
            self.act(verdict)
        self._track(args[1], is_dir=False)

    def _on_path_write(self, args: tuple[Any, ...]) -> None:
        text = fspath(args[0])
        if text is None:
            return
        absolute = os.path.normpath(os.path.join(os.getcwd(), text))
        verdict = self.policies.check_write(absolute, "path-write")
        if verdict is not None:
            self.act(verdict)

    def _track(self, path: Any, *, is_dir: bool) -> None:
        """Attribute a file about to be created under /tmp to the running invocation (see module docstring)."""
        text = fspath(path)
        if text is None or not self.config.tmp_cleanup:
            return
        absolute = os.path.normpath(os.path.join(os.getcwd(), text))
        if not absolute.startswith(self.policies.tmp_dir + "/") or os.path.lexists(absolute):
            return
        inv = _CURRENT.get()
        if inv is None:
            if not self.active:
                return  # init phase: files made at cold start are caches, kept
            if len(self.active) == 1:
                inv = next(iter(self.active), None)
            else:
                self.orphans.append((absolute, is_dir))
                return
        if inv is not None:
            inv.created.append((absolute, is_dir))

    def _kept(self, path: str) -> bool:
        return any(fnmatchcase(path, p) or path.startswith(p.rstrip("/") + "/") or path == p.rstrip("/")
                   for p in self.policies.tmp_keep)

    def _cleanup(self, created: list[tuple[str, bool]]) -> int:
        """Remove what an invocation created (newest first); returns how many paths were removed."""
        removed = 0
        for path, is_dir in reversed(created):
            if self._kept(path):
                continue
            try:
                if is_dir and not os.path.islink(path):
                    if any(p.startswith(path.rstrip("/") + "/") or fnmatchcase(path + "/x", p)
                           for p in self.policies.tmp_keep):
                        continue
                    import shutil

                    shutil.rmtree(path)
                else:
                    os.unlink(path)
                removed += 1
            except FileNotFoundError:
                pass
            except OSError as exc:
                self._internal_error("tmp-cleanup", exc)
        return removed

    # ------------------------------------------------------------------------------------------ others
    def _during_init_applies(self) -> bool:
        return self.current() is not None or self.config.deserialization_during_init or self.child

    def _on_pickle(self, args: tuple[Any, ...]) -> None:
        verdict = self.policies.check_pickle_global(args[0], args[1])
        if verdict is not None:
            self.act(verdict, phase_applies=self._during_init_applies())

    def _on_marshal(self, args: tuple[Any, ...]) -> None:
        caller = sys._getframe(2).f_code.co_filename
        if caller.startswith("<frozen importlib") or caller.endswith(("importlib/_bootstrap_external.py",
                                                                     "/pkgutil.py", "/zipimport.py")):
            return
        self.act(Verdict("deserialization", "deserialization",
                         {"event": "marshal.loads", "caller": caller,
                          "reason": "marshal data loaded outside the import system (code objects)"}),
                 phase_applies=self._during_init_applies())

    def _on_dlopen(self, args: tuple[Any, ...]) -> None:
        name = fspath(args[0]) if args and args[0] is not None else None
        if not name:
            return
        from_tmp = os.path.abspath(name).startswith((self.policies.tmp_dir + "/", "/dev/shm/"))
        self.act(Verdict("ctypes", "ctypes", {"event": "ctypes.dlopen", "library": name,
                                              "reason": "native library loaded from /tmp" if from_tmp else
                                              "native library loaded through ctypes (audit hooks cannot see "
                                              "what it does)"}),
                 phase_applies=from_tmp or self._during_init_applies())

    def _on_dlsym(self, args: tuple[Any, ...]) -> None:
        verdict = self.policies.check_dlsym(args[1] if len(args) > 1 else None)
        if verdict is not None:
            self.act(verdict)

    def _on_addaudithook(self, args: tuple[Any, ...]) -> None:
        self.tamper({"action": "sys.addaudithook", "reason": "another audit hook is being added"})

    def _on_putenv(self, args: tuple[Any, ...]) -> None:
        key = fspath(args[0]) or ""
        if key.startswith(_WATCHED_ENV):
            self.tamper({"action": "putenv", "variable": key,
                         "reason": "changes a guard or loader variable after init"})

    def _on_import(self, args: tuple[Any, ...]) -> None:
        if args[0] == "_posixsubprocess" and self.fork_exec_wrapper is not None:
            self.tamper({"action": "re-import", "module": "_posixsubprocess",
                         "reason": "fresh copy of the process-spawning module (bypasses the guard's wrapper)"})

    # ------------------------------------------------------------------------------------------ outputs
    def _wrap_streams(self, *, report: bool) -> None:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if stream is not None and not is_redacting(stream):
                if report:
                    self.tamper({"action": f"sys.{name} replaced",
                                 "reason": "log redaction removed; the guard wrapped the new stream"})
                setattr(sys, name, RedactingStream(stream, self.redactor))

    def _check_wrappers(self) -> None:
        import socket

        replaced = []
        if self.gai_wrapper is not None and socket.getaddrinfo is not self.gai_wrapper:
            socket.getaddrinfo = self.gai_wrapper
            replaced.append("socket.getaddrinfo")
        module = sys.modules.get("_posixsubprocess")
        if self.fork_exec_wrapper is not None and module is not None and \
                getattr(module, "fork_exec", None) is not self.fork_exec_wrapper:
            setattr(module, "fork_exec", self.fork_exec_wrapper)  # noqa: B010 - module typed as ModuleType
            replaced.append("_posixsubprocess.fork_exec")
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
        inv.deadline = inv.started + left_ms / 1000.0
        inv.warn_at = inv.deadline - self.config.timeout_margin_ms / 1000.0
        if self.watcher is None:
            thread = threading.Thread(target=self._watch_loop, name="faasguard-timeout", daemon=True)
            object.__setattr__(self, "watcher", thread)
            thread.start()
        if self.next_wake is None or inv.warn_at < self.next_wake:
            with self.cond:
                self.cond.notify()

    def _watch_loop(self) -> None:
        with self.cond:
            while True:
                now = time.monotonic()
                soonest: float | None = None
                for inv in list(self.active):
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
                object.__setattr__(self, "next_wake", soonest)
                self.cond.wait(None if soonest is None else max(0.0, soonest - now))

    # ------------------------------------------------------------------------------------------ invocations
    def wrap(self, handler: Handler) -> Handler:
        """The handler wrapped: invocation context, validation errors to 400, cleanup and summary."""
        guard = self

        @functools.wraps(handler)
        def guarded(event: Any, context: Any) -> Any:
            if _CURRENT.get() is not None:  # already inside a guarded invocation (layer + decorator)
                return handler(event, context)
            inv = Invocation(getattr(context, "aws_request_id", None))
            if guard.invoked_arn is None and guard.recorder is not None:
                guard.invoked_arn = getattr(context, "invoked_function_arn", None)
            token = _CURRENT.set(inv)
            guard.active.add(inv)
            try:
                guard._watch(inv, context)
                if guard.config.redact:
                    guard._wrap_streams(report=True)
                    install_logging_filter(guard.redactor)
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
            finally:
                _CURRENT.reset(token)
                guard.active.discard(inv)
                inv.done = True
                guard._finish(inv)

        guarded.__faasguard_wrapped__ = handler  # type: ignore[attr-defined]
        return guarded

    def _finish(self, inv: Invocation) -> None:
        self.local.internal = True
        try:
            removed = self._cleanup(inv.created) if inv.created else 0
            if self.orphans and not self.active:
                orphans = list(self.orphans)
                del self.orphans[:]
                removed += self._cleanup(orphans)
            self._check_wrappers()
            if self.recorder is not None and self.recorder.dirty:
                self._write_learned(inv)
        except Exception as exc:
            self._internal_error("finish", exc)
        finally:
            self.local.internal = False
        summary = self.config.summary
        if summary == "always" or (summary == "events" and (inv.counts or removed)):
            self.emit("summary", {"events": inv.counts, "blocked": inv.blocked, "alerted": inv.alerted,
                                  "tmp_removed": removed,
                                  "duration_ms": round((time.monotonic() - inv.started) * 1000, 3)}, inv)

    def _write_learned(self, inv: Invocation) -> None:
        from faasguard.guard._learn import identity_for

        arn = self.invoked_arn or ""
        account = arn.split(":")[4] if arn.count(":") >= 5 else None
        identity = identity_for(self.config.role_arn, self.function, account)
        base = self.config.to_json()
        self.recorder.write(self.config.learn_output, self.config.learn_cloudtrail, base, identity)
        self.emit("learned", {"processes": sorted(self.recorder.processes), "hosts": sorted(self.recorder.hosts),
                              "files": sorted(self.recorder.files), "aws_calls": len(self.recorder.calls),
                              "config": self.config.learn_output, "cloudtrail": self.config.learn_cloudtrail}, inv)

    def set_handler_source(self, path: str | None) -> None:
        """The handler module's file: reading it during an invocation is flagged (set once, at init)."""
        if path and self.handler_file is None:
            absolute = os.path.abspath(path)
            object.__setattr__(self, "handler_file", absolute)
            self.policies.handler_sources = frozenset({absolute})


_MUTABLE = frozenset({"_frozen", "resolved", "invoked_arn"})


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
