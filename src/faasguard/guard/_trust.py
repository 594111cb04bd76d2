"""Who is calling: trust decided by the exact call site and by code-object identity, never by file names alone.

Why: the first version trusted a connection to the Runtime API when *any* frame on the stack came from a file
whose name contained ``/awslambdaric/``. Handler code always runs below awslambdaric's frames, so it was
trusted too; and any code object can be compiled under any file name. Here:

- The *call site* is the first frame above the operation that is not a transport layer (socket, http.client,
  urllib3, botocore's HTTP session...). Transport frames are skipped by file name: naming one's own code like a
  transport module only moves the decision to the frame below it, which must still be trusted.
- A trusted frame is one whose code object *is* (identity, not equality or name) a code object of a trusted
  module, collected from the module's functions and classes when the module is first seen (``refresh``), as
  early as possible: at install, before the layer imports the handler module, and at each invocation start.
- For the Lambda Runtime API the whole stack must be the runtime's: the main thread, no invocation running in
  this context, and every frame below the call site a runtime function, a runpy frame or a runtime module body.
  Calling awslambdaric's own functions from handler code leaves handler frames below them, so it is not trusted.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, FrameType
    from typing import Any

_GUARD_DIR = os.path.dirname(os.path.abspath(__file__))
_STDLIB = os.path.dirname(os.__file__)

# Module groups whose code objects are trusted for one purpose each.
RUNTIME = "runtime"
CREDENTIALS = "credentials"
IMPORTS = "imports"
TRACEBACKS = "tracebacks"
READERS = "readers"
ROOTS = "roots"
_GROUPS: dict[str, tuple[str, ...]] = {
    RUNTIME: ("awslambdaric", "awslambdaric.bootstrap", "awslambdaric.lambda_runtime_client",
              "awslambdaric.lambda_multi_concurrent_utils", "awslambdaric.lambda_runtime_marshaller",
              "awslambdaric.__main__", "bootstrap", "lambda_runtime_client"),
    CREDENTIALS: ("botocore.utils", "botocore.credentials"),
    IMPORTS: ("_frozen_importlib", "_frozen_importlib_external", "zipimport", "pkgutil"),
    TRACEBACKS: ("traceback", "warnings"),
    READERS: ("linecache", "tokenize"),
    ROOTS: ("runpy",),
}
_PAIRS = tuple((group, name) for group, names in _GROUPS.items() for name in names)
# The managed runtime's own directory (read-only, owned by AWS): its modules are runtime code whatever their name.
RUNTIME_DIRS = ("/var/runtime/",)
# Transport layers between a call site and the socket. Matched by file name (see the module docstring).
_TRANSPORT_FILES = tuple(os.path.join(_STDLIB, name) for name in (
    "socket.py", "ssl.py", "selectors.py", "http/client.py", "urllib/request.py", "contextlib.py",
    "functools.py"))
_TRANSPORT_PARTS = ("/urllib3/", "/requests/", "/botocore/httpsession.py", "/botocore/awsrequest.py",
                    "/httpx/", "/httpcore/")


def is_transport(filename: str) -> bool:
    return filename.startswith(_TRANSPORT_FILES) or any(part in filename for part in _TRANSPORT_PARTS)


def _codes_of(module: Any) -> set[CodeType]:
    """Every code object defined by `module`: functions, methods, properties and the code nested in them.

    "Defined by" is decided by the function's globals being the module's namespace (a frozen or renamed module's
    functions carry another `__module__`), not by names."""
    namespace = vars(module)
    found: set[CodeType] = set()
    stack: list[Any] = []

    def own(function: Any) -> bool:
        return getattr(function, "__globals__", None) is namespace

    for value in list(namespace.values()):
        if isinstance(value, type):
            for raw in list(vars(value).values()):
                member = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
                if isinstance(member, property):
                    stack.extend(f for f in (member.fget, member.fset, member.fdel) if own(f))
                elif own(member):
                    stack.append(member)
        elif own(value):
            stack.append(value)
    codes: list[Any] = [getattr(f, "__code__", None) for f in stack]
    while codes:
        code = codes.pop()
        if code is None or code in found or not hasattr(code, "co_consts"):
            continue
        found.add(code)
        codes.extend(c for c in code.co_consts if hasattr(c, "co_consts"))
    return found


class Trust:
    """Identity sets of trusted code objects, filled as the trusted modules appear in sys.modules.

    Held only by the guard's audit hook (not reachable from the `installed()` object), so handler code cannot
    add its own code objects to it.
    """

    __slots__ = ("_codes", "_done", "main_ident", "own")

    def __init__(self, own: frozenset[CodeType], main_ident: int) -> None:
        self._codes: dict[str, set[CodeType]] = {group: set() for group in _GROUPS}
        self._done: dict[str, Any] = {}
        self.own = own  # the guard's own functions allowed to switch its internal mode
        self.main_ident = main_ident

    def refresh(self) -> list[str]:
        """Snapshot trusted modules seen for the first time; returns those replaced since their snapshot."""
        replaced = []
        modules = sys.modules
        for group, name in _PAIRS:
            module = modules.get(name)
            if module is not None:
                seen = self._done.get(name)
                if seen is None:
                    if getattr(getattr(module, "__spec__", None), "_initializing", False):
                        continue  # still executing its body: its functions are not all defined yet
                    if group == RUNTIME and name in ("bootstrap", "lambda_runtime_client") and not str(
                            getattr(module, "__file__", "")).startswith(RUNTIME_DIRS):
                        continue  # a module named like the managed runtime's, but not from its directory
                    self._done[name] = module
                    self._codes[group] |= _codes_of(module)
                elif seen is not module:
                    replaced.append(name)
        return replaced

    def has(self, group: str, code: CodeType) -> bool:
        return code in self._codes[group]

    # -------------------------------------------------------------------- decisions
    def call_site(self) -> FrameType | None:
        """The first frame above the operation that is neither the guard's own code nor a transport layer."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            filename = frame.f_code.co_filename
            if not (filename.startswith(_GUARD_DIR + os.sep) and not filename.endswith(("_boot.py", "_entry.py"))) \
                    and not is_transport(filename):
                return frame
            frame = frame.f_back
        return None

    def credentials_caller(self) -> bool:
        """botocore's credential provider fetching the function's own credentials (what boto3 does anyway)."""
        self.refresh()
        frame = self.call_site()
        return frame is not None and frame.f_code in self._codes[CREDENTIALS]

    def runtime_caller(self, in_invocation: bool) -> bool:
        """The Lambda runtime itself: call site and every frame below it are the runtime's, on its main thread."""
        import threading

        if in_invocation or threading.get_ident() != self.main_ident:
            return False
        self.refresh()
        frame = self.call_site()
        runtime, roots = self._codes[RUNTIME], self._codes[ROOTS]
        if frame is None or not (frame.f_code in runtime or frame.f_code.co_filename.startswith(RUNTIME_DIRS)):
            return False
        while frame is not None:
            code = frame.f_code
            filename = code.co_filename
            if not (code in runtime or code in roots or filename.startswith(RUNTIME_DIRS) or (
                    code.co_name in ("<module>", "main") and (
                        self._is_runtime_file(filename) or filename == os.path.join(_GUARD_DIR, "_boot.py")))):
                return False
            frame = frame.f_back
        return True

    def _is_runtime_file(self, filename: str) -> bool:
        package = self._done.get("awslambdaric")
        root = os.path.dirname(str(getattr(package, "__file__", "") or "")) if package is not None else ""
        return bool(root) and filename.startswith(root + os.sep)

    def import_caller(self, frame: FrameType | None) -> bool:
        """The import system itself (bytecode caches, marshal of .pyc files): the immediate caller's identity."""
        self.refresh()
        return frame is not None and frame.f_code in self._codes[IMPORTS]

    def source_reader(self) -> bool:
        """A traceback or an import reading source: readers (linecache, tokenize, importlib's get_data) up to an
        anchor (traceback/warnings formatting, importlib compiling). `inspect.getsource` has no anchor."""
        self.refresh()
        frame = self.call_site()
        readers, anchors, imports = self._codes[READERS], self._codes[TRACEBACKS], self._codes[IMPORTS]
        depth = 0
        while frame is not None and depth < 12:
            code = frame.f_code
            if code in anchors or (code in imports and code.co_name in ("get_code", "_load_unlocked",
                                                                         "exec_module", "source_to_code")):
                return True
            if code not in readers and not (code in imports and code.co_name in ("get_data", "get_source",
                                                                                 "decode_source")):
                return False
            frame = frame.f_back
            depth += 1
        return False


def own_codes(*functions: Any) -> frozenset[CodeType]:
    return frozenset(f.__code__ for f in functions)
