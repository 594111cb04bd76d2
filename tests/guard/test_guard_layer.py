"""`faasguard guard build-layer`: layout, permissions, reproducibility, importable alone."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

from faasguard.cli import main


def test_build_layer_is_reproducible_and_laid_out_for_opt(tmp_path: Path) -> None:
    runner = CliRunner()
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    for out in (first, second):
        result = runner.invoke(main, ["guard", "build-layer", str(out)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert "faasguard-guard" in names and "python/faasguard/__init__.py" in names
        assert "python/faasguard/guard/_core.py" in names and "python/faasguard/guard/_child/sitecustomize.py" in names
        tag = sys.implementation.cache_tag
        assert f"python/faasguard/guard/__pycache__/_core.{tag}.pyc" in names
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
        assert modes["faasguard-guard"] == 0o755 and modes["python/faasguard/guard/_core.py"] == 0o644
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
        assert not any(n.endswith("ruff.toml") for n in names)
        archive.extractall(tmp_path / "opt")
    # the guard imports with nothing of faasguard but the layer's minimal package, and nothing third-party
    probe = ("import sys; import faasguard.guard as g; "
             "bad = [m for m in sys.modules if m.startswith('faasguard') and not m.startswith('faasguard.guard') "
             "and m != 'faasguard']; assert not bad, bad; print(g.__file__)")
    out = subprocess.run([sys.executable, "-S", "-c", probe], env={"PYTHONPATH": str(tmp_path / "opt" / "python")},
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith(str(tmp_path / "opt" / "python"))


def test_no_bytecode_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["guard", "build-layer", "--no-bytecode", str(tmp_path / "l.zip")])
    assert result.exit_code == 0
    with zipfile.ZipFile(tmp_path / "l.zip") as archive:
        assert not [n for n in archive.namelist() if n.endswith(".pyc")]


def test_wrapper_refuses_a_non_python_runtime(tmp_path: Path) -> None:
    from faasguard.commands.guard import build_layer

    build_layer(tmp_path / "l.zip", bytecode=False)
    with zipfile.ZipFile(tmp_path / "l.zip") as archive:
        archive.extractall(tmp_path / "opt")
    wrapper = tmp_path / "opt" / "faasguard-guard"
    wrapper.chmod(0o755)
    closed = subprocess.run([str(wrapper), "/bin/echo", "hi"], capture_output=True, text=True, env={"PATH": "/bin"},
                            check=False)
    assert closed.returncode == 126 and "not a Python interpreter" in closed.stderr and closed.stdout == ""
    opened = subprocess.run([str(wrapper), "/bin/echo", "hi"], capture_output=True, text=True, check=False,
                            env={"PATH": "/bin", "FAASGUARD_ON_CONFIG_ERROR": "open"})
    assert opened.returncode == 0 and opened.stdout == "hi\n"
