"""The Lambda layer's exec wrapper script (shipped as text here so the package needs no data files).

Lambda runs ``$AWS_LAMBDA_EXEC_WRAPPER <runtime command...>`` (for Python: the interpreter, then the runtime's
bootstrap script or ``-m awslambdaric HANDLER``). The wrapper puts the layer's ``python/`` directory on
PYTHONPATH and starts the same interpreter through ``faasguard.guard._boot``. A command that is not a Python
interpreter cannot be guarded: that is reported, and the start fails (closed, the default) or goes on unguarded
(``FAASGUARD_ON_CONFIG_ERROR=open``).
"""

WRAPPER_NAME = "faasguard-guard"

WRAPPER_SCRIPT = r"""#!/bin/sh
# faasguard runtime guard: Lambda exec wrapper. Set AWS_LAMBDA_EXEC_WRAPPER=/opt/faasguard-guard.
layer_dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
export PYTHONPATH="$layer_dir/python${PYTHONPATH:+:$PYTHONPATH}"
if [ "$#" -eq 0 ]; then
  echo '{"faasguard":"config-error","error":"exec wrapper called without a runtime command"}' >&2
  exit 2
fi
case "$(basename -- "$1")" in
  python|python3|python3.*)
    interpreter="$1"
    exec "$interpreter" -m faasguard.guard._boot "$@"
    ;;
esac
echo "{\"faasguard\":\"config-error\",\"error\":\"runtime command is not a Python interpreter: $1\"}" >&2
if [ "${FAASGUARD_ON_CONFIG_ERROR:-closed}" = "open" ]; then
  exec "$@"
fi
exit 126
"""
