"""Start the Lambda runtime with the guard installed first: ``python -m faasguard.guard._boot PYTHON ARGS...``.

The layer's exec wrapper (``/opt/faasguard-guard``, see ``_layer.py``) receives the runtime command from
Lambda's bootstrap (``AWS_LAMBDA_EXEC_WRAPPER``) and starts it through this module instead, so the audit hook is
in place before the runtime, other layers' code and the function's own module-level code run. The function's
handler is swapped for ``faasguard.guard._entry.handler`` (in ``_HANDLER`` and on the command line, where
awslambdaric takes it), which loads the real handler named in ``FAASGUARD_HANDLER`` and wraps it.
"""

from __future__ import annotations

import os
import runpy
import sys

ENTRY_HANDLER = "faasguard.guard._entry.handler"
_WITH_VALUE = ("-X", "-W", "-Q")
_ISOLATION = ("-E", "-I", "-s", "-S")  # would hide PYTHONPATH (and so the layer) from the re-executed runtime


def split_command(args: list[str]) -> tuple[list[str], list[str]]:
    """Split the runtime command after the interpreter into (interpreter options, target and its args)."""
    options: list[str] = []
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] not in ("-m", "-c", "-", "--"):
        options.append(args[index])
        if args[index] in _WITH_VALUE and index + 1 < len(args):
            options.append(args[index + 1])
            index += 1
        index += 1
    if index < len(args) and args[index] == "--":
        index += 1
    return options, args[index:]


def _swap_handler(target: list[str]) -> list[str]:
    original = os.environ.get("FAASGUARD_HANDLER") or os.environ.get("_HANDLER")
    if not original and len(target) > 2 and target[:2] == ["-m", "awslambdaric"]:
        original = target[2]
    if not original or original == ENTRY_HANDLER:
        return target
    os.environ["FAASGUARD_HANDLER"] = original
    os.environ["_HANDLER"] = ENTRY_HANDLER
    return [ENTRY_HANDLER if arg == original else arg for arg in target]


def main(argv: list[str]) -> None:
    if len(argv) < 3:
        sys.stderr.write('{"faasguard":"config-error","error":"usage: python -m faasguard.guard._boot '
                         'PYTHON RUNTIME-ARGS..."}\n')
        sys.exit(2)
    interpreter, rest = argv[1], argv[2:]
    options, target = split_command(rest)
    if options and not os.environ.get("FAASGUARD_BOOT_REEXEC"):
        # Interpreter options (-u, -X ...) must apply to this interpreter: start again with them.
        os.environ["FAASGUARD_BOOT_REEXEC"] = "1"
        kept = [o for o in options if o not in _ISOLATION]
        os.execv(interpreter,  # noqa: S606 - the runtime command Lambda gave us, unchanged
 [interpreter, *kept, "-m", "faasguard.guard._boot", interpreter, *target])
    os.environ.pop("FAASGUARD_BOOT_REEXEC", None)

    from faasguard.guard._config import GuardConfigError, load_config, on_config_error
    from faasguard.guard._core import install, report_config_error

    target = _swap_handler(target)
    config = None
    try:
        config = load_config()
    except GuardConfigError as exc:
        fail = on_config_error(os.environ)
        report_config_error(exc, fail)
        os.environ["FAASGUARD_INIT_ERROR"] = str(exc)  # _entry fails closed or runs unguarded with it
    if config is not None:
        install(config)

    if not target:
        sys.stderr.write('{"faasguard":"config-error","error":"no runtime command to start"}\n')
        sys.exit(2)
    if target[0] == "-m" and len(target) > 1:
        sys.argv = [target[1], *target[2:]]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    elif target[0] == "-c" and len(target) > 1:
        sys.argv = ["-c", *target[2:]]
        exec(compile(target[1], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - the runtime's own command
    else:
        script = os.path.abspath(target[0])
        sys.argv = [target[0], *target[1:]]
        sys.path[0] = os.path.dirname(script)
        runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
