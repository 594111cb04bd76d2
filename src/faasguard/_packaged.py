"""`packaged(name)`: a data file shipped under `faasguard/data/`, read through the package's own loader.

Why not `importlib.resources`: importing it pulls in `tempfile`, `shutil`, `random`, `bz2` and `lzma` (~10 ms,
a few percent of a one-template scan) for the rule and loader tables that every scan reads; `pkgutil.get_data`
asks the same loader for the same bytes (a directory on disk or a zip on `sys.path`), at a fifth of the cost.
"""

from __future__ import annotations

import pkgutil


def packaged(name: str) -> bytes:
    """The bytes of `faasguard/data/<name>` (`name` uses `/`). FileNotFoundError when the installation lacks it:
    a broken install, which must not pass for an empty table."""
    data = pkgutil.get_data("faasguard", f"data/{name}")
    if data is None:  # a loader that cannot read data files
        raise FileNotFoundError(f"faasguard/data/{name} cannot be read from this installation")
    return data
