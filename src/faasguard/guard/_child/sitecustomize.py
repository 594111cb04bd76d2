"""Loaded by child Python processes of a guarded function (its directory is on PYTHONPATH): guard them too.

The parent exports its frozen configuration in FAASGUARD_CHILD_CONFIG. Afterwards the next ``sitecustomize``
on sys.path, if any, is run so that this one does not hide it.
"""

import os
import sys


def _install_child_guard() -> None:
    if os.environ.get("FAASGUARD_CHILD") != "1":
        return
    try:
        from faasguard.guard._config import load_config
        from faasguard.guard._core import install

        environ = {k: v for k, v in os.environ.items() if not k.startswith("FAASGUARD_")}
        environ["FAASGUARD_CONFIG_JSON"] = os.environ.get("FAASGUARD_CHILD_CONFIG", "{}")
        install(load_config(environ), child=True)
    except Exception as exc:
        sys.stderr.write(f'{{"faasguard":"error","where":"child-init","error":"{type(exc).__name__}"}}\n')


def _chain() -> None:
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is not None and spec.loader is not None and spec.origin != __file__:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


_install_child_guard()
_chain()
