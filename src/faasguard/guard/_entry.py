"""The handler the runtime calls when the layer is active: the function's own handler, loaded and wrapped.

The runtime imports this module during init (``_HANDLER=faasguard.guard._entry.handler``, set by ``_boot``);
importing it imports the real handler module named in ``FAASGUARD_HANDLER``, with the same rules as the Lambda
runtime (``dir/module.function``). A configuration error reported by ``_boot`` fails the init here (closed, the
default) before any function code runs, or lets the function run unguarded (open).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from faasguard.guard._config import GuardConfigError, on_config_error
from faasguard.guard._core import install, installed


def _load() -> Any:
    error = os.environ.get("FAASGUARD_INIT_ERROR")
    if error and on_config_error(os.environ) == "closed":
        raise GuardConfigError(f"faasguard: invalid guard configuration, refusing to start (fail closed; set "
                               f"FAASGUARD_ON_CONFIG_ERROR=open to run unguarded): {error}")
    spec = os.environ.get("FAASGUARD_HANDLER")
    if not spec or "." not in spec:
        raise GuardConfigError(f"faasguard: FAASGUARD_HANDLER is {spec!r}; expected module.function (the layer's "
                               f"wrapper copies it from _HANDLER)")
    module_name, _, function_name = spec.rpartition(".")
    # The runtime's modules are all loaded by now and the function's are not: the moment to record the
    # runtime's code objects as trusted (faasguard.guard._trust), before any function code can imitate them.
    import sys

    sys.audit("faasguard.trust")
    module = importlib.import_module(module_name.replace("/", "."))
    function = getattr(module, function_name)
    if error:  # fail open: the error line was already logged by _boot
        return function
    guard = installed() or install()
    guard.set_handler_source(getattr(module, "__file__", None))
    return guard.wrap(function)


handler = _load()
