"""Issue 20, scanner items 4-8: a pull request controls every name, inode and byte the scanner reads and prints.

Every test runs the real code on real files (FIFOs, devices, sockets, non-UTF-8 names, a real `git apply`); CLI
runs go through a subprocess with a timeout so that a regression to "hangs on a FIFO" fails instead of blocking.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faasguard.escape import console_text, path_text, uri_path
from faasguard.report.console import mask_values
from faasguard.safeio import FileRefusedError, read_head, read_regular
from faasguard.sources import discover

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "vulnerable-app"
SRC = Path(__file__).resolve().parents[1] / "src"
HANDLER = "import os\n\n\ndef handler(event, context):\n    os.system(event['cmd'])\n"
SAM = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {code_uri}
      Handler: app.handler
      Runtime: python3.12
"""


def cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(cwd / ".cache-home"), "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-m", "faasguard", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=timeout, check=False)


def within(seconds: float, call: Callable[[], object]) -> object:
    """Run `call` in a thread; fail (instead of hanging the suite) when it does not return in time."""
    box: list[object] = []
    thread = threading.Thread(target=lambda: box.append(_outcome(call)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked: the call did not return"
    return box[0]


def _outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except Exception as exc:
        return exc


# ------------------------------------------------------------------------------- 5. special files: safeio


def test_read_regular_reads_a_regular_file_within_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_bytes(b"x" * 100)
    assert read_regular(path, 100) == b"x" * 100
    assert read_head(path, 10) == b"x" * 10
    with pytest.raises(FileRefusedError, match="above the"):
        read_regular(path, 99)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "link-to-dev-zero", "directory", "socket", "link-to-fifo"])
def test_read_regular_refuses_every_other_kind_without_blocking(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "template.yaml"
    if kind in ("fifo", "link-to-fifo"):
        os.mkfifo(tmp_path / "pipe")
        if kind == "fifo":
            (tmp_path / "pipe").rename(path)
        else:
            path.symlink_to(tmp_path / "pipe")
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    elif kind == "link-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
    for reader in (lambda: read_regular(path), lambda: read_head(path, 4096)):
        outcome = within(10, reader)
        assert isinstance(outcome, FileRefusedError), outcome
        assert "not a regular file" in str(outcome.strerror)


def test_a_name_swapped_between_a_file_and_a_fifo_never_blocks(tmp_path: Path) -> None:
    """The race the descriptor check exists for: whatever the name is when it is opened decides, never a stat."""
    target = tmp_path / "main.tf"
    regular, fifo = tmp_path / "regular", tmp_path / "fifo"
    stop = threading.Event()

    def swapper() -> None:
        while not stop.is_set():
            regular.write_bytes(b'resource "x" "y" {}\n')
            os.replace(regular, target)
            if not fifo.exists():
                os.mkfifo(fifo)
            os.replace(fifo, target)

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    seen: set[str] = set()
    try:
        for _ in range(300):
            outcome = within(10, lambda: read_regular(target))
            if isinstance(outcome, bytes):
                assert outcome == b'resource "x" "y" {}\n'
                seen.add("read")
            else:
                assert isinstance(outcome, OSError), outcome  # refused, or vanished between two renames
                seen.add("refused" if isinstance(outcome, FileRefusedError) else "gone")
    finally:
        stop.set()
        thread.join(10)
    assert "refused" in seen or "read" in seen


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """A real SAM app (the example) beside which each test plants its hostile file."""
    work = tmp_path / "proj"
    shutil.copytree(EXAMPLE, work)
    return work


@pytest.mark.parametrize("name", ["template.yaml", "main.tf", "app.py", "requirements.txt", "serverless.yml",
                                  "Dockerfile", "stack.json", "infra/api.yml", "src/report/requirements.txt"])
def test_a_fifo_named_like_a_source_is_a_located_diagnostic_and_the_rest_is_scanned(project: Path,
                                                                                    name: str) -> None:
    fifo = project / "extra" / name if name == "template.yaml" else project / name
    fifo.parent.mkdir(parents=True, exist_ok=True)
    if fifo.exists():
        fifo.unlink()
    os.mkfifo(fifo)
    out = cli(["scan", ".", "--format", "json"], project)
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    shown = fifo.relative_to(project).as_posix()
    diags = [d for d in report["diagnostics"] if d["location"] and d["location"]["path"] == shown]
    assert diags, report["diagnostics"]
    assert all("FIFO" in d["message"] and d["kind"] == "parse-error" for d in diags)
    assert not [d for d in report["diagnostics"] if d["kind"] == "internal-error"]
    # the real template beside it still yields its findings
    assert any(f["rule_id"] == "FG104" and f["location"]["path"] == "template.yaml" for f in report["findings"])


@pytest.mark.parametrize("variant", ["serverless-file", "terraform-file", "zip-code-uri", "config"])
def test_fifos_reached_through_references_do_not_hang(tmp_path: Path, variant: str) -> None:
    os.mkfifo(tmp_path / "pipe.yml")
    if variant == "serverless-file":
        (tmp_path / "serverless.yml").write_text(
            "service: s\nprovider:\n  name: aws\n  runtime: python3.12\n  environment: ${file(./pipe.yml)}\n"
            "functions:\n  f:\n    handler: app.handler\n")
    elif variant == "terraform-file":
        (tmp_path / "main.tf").write_text(
            'resource "aws_iam_policy" "p" {\n  policy = file("${path.module}/pipe.yml")\n}\n')
    elif variant == "zip-code-uri":
        os.mkfifo(tmp_path / "app.zip")
        (tmp_path / "template.yaml").write_text(SAM.format(code_uri="app.zip"))
    else:
        os.mkfifo(tmp_path / ".faasguard.toml")
        (tmp_path / "template.yaml").write_text(SAM.format(code_uri="."))
    out = cli(["scan", ".", "--format", "json"], tmp_path, timeout=60)
    assert out.returncode in (0, 1, 3), out.stderr
    report = json.loads(out.stdout)
    assert not [d for d in report["diagnostics"] if d["kind"] == "internal-error"]


def test_scanning_a_device_named_on_the_command_line(tmp_path: Path) -> None:
    out = cli(["scan", "/dev/zero", "--format", "json"], tmp_path, timeout=60)
    assert out.returncode == 3
    report = json.loads(out.stdout)
    assert [d["message"] for d in report["diagnostics"]] == ["a character device, not a regular file; not read"]


# -------------------------------------------------------------------------- 5. directories that cannot be read


def _discover_as_unprivileged(root: Path) -> list[tuple[str, str]]:
    """`discover` in a forked child that has dropped root (when it had it): a real EACCES, whoever runs the tests."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            found = discover([str(root)], cwd=root)
            payload = [(d.location.path if d.location else "", d.message) for d in found.diagnostics]
            payload += [("file", f.display) for f in found.files]
            os.write(write, json.dumps(payload).encode())
        except BaseException as exc:
            os.write(write, json.dumps([["exception", repr(exc)]]).encode())
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    return [tuple(item) for item in json.loads(b"".join(chunks))]  # type: ignore[misc]


@pytest.mark.parametrize("mode", [0o000, 0o600, 0o100])
def test_an_unreadable_directory_is_a_diagnostic_not_a_traceback(mode: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="fg-perm-"))
    try:
        root.chmod(0o755)
        (root / "template.yaml").write_text(SAM.format(code_uri="."))
        (root / "locked").mkdir()
        (root / "locked" / "main.tf").write_text('resource "x" "y" {}\n')
        (root / "locked").chmod(mode)
        found = _discover_as_unprivileged(root)
        assert not [f for f in found if f[0] == "exception"], found
        assert ("file", "template.yaml") in found
        assert any(path == "locked" and message.startswith("cannot read") for path, message in found), found
    finally:
        (root / "locked").chmod(0o755)
        shutil.rmtree(root)


def test_a_path_too_long_for_the_system_is_a_diagnostic(tmp_path: Path) -> None:
    """Root-independent: ENAMETOOLONG from stat() during the walk (root cannot bypass it)."""
    (tmp_path / "template.yaml").write_text(SAM.format(code_uri="."))
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(20):  # 20 x 250 characters: past PATH_MAX (4096)
            os.mkdir("d" * 250, dir_fd=fd)
            inner = os.open("d" * 250, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.mkdir("cdk.out", dir_fd=fd)
    finally:
        os.close(fd)
    found = discover([str(tmp_path)], cwd=tmp_path)
    assert [f.display for f in found.files] == ["template.yaml"]
    assert any(d.message.startswith("cannot read") and "too long" in d.message for d in found.diagnostics)


# ------------------------------------------------------------------------------------ 4. names are bytes


RAW_NAMES = [b"h\xff.py", b"caf\xe9.py", b"\x80\x81.py", b"ok\xc3\xa9.py", b"back\\slash.py"]


@pytest.fixture
def byte_named(tmp_path: Path) -> Path:
    for raw in RAW_NAMES:
        with open(os.path.join(os.fsencode(tmp_path), raw), "w") as handle:
            handle.write(HANDLER)
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"d\xfe"))
    with open(os.path.join(os.fsencode(tmp_path), b"d\xfe", b"app.py"), "w") as handle:
        handle.write(HANDLER)
    return tmp_path


def test_json_report_with_non_utf8_names(byte_named: Path) -> None:
    out = cli(["scan", ".", "--format", "json", "-o", "r.json"], byte_named)
    assert out.returncode == 1, out.stderr
    data = (byte_named / "r.json").read_bytes()
    report = json.loads(data.decode("utf-8"))  # strict UTF-8: no surrogate got through
    assert not [d for d in report["diagnostics"] if d["kind"] == "internal-error"]
    paths = {f["location"]["path"] for f in report["findings"] if f["rule_id"] == "FG501"}
    assert paths == {"h\\xff.py", "caf\\xe9.py", "\\x80\\x81.py", "ok\u00e9.py", "back\\\\slash.py", "d\\xfe/app.py"}


def test_sarif_uris_percent_encode_the_raw_bytes(byte_named: Path) -> None:
    out = cli(["scan", ".", "--format", "sarif", "-o", "r.sarif"], byte_named)
    assert out.returncode == 1, out.stderr
    sarif = json.loads((byte_named / "r.sarif").read_bytes().decode("utf-8"))
    run = sarif["runs"][0]
    assert run["invocations"][0]["executionSuccessful"] is True
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for loc in r["locations"]}
    assert {unquote_to_bytes(u) for u in uris} == {*RAW_NAMES, b"d\xfe/app.py"}
    assert "h%FF.py" in uris
    assert "back%5Cslash.py" in uris


def test_console_report_with_non_utf8_names(byte_named: Path) -> None:
    out = cli(["scan", "."], byte_named)
    assert out.returncode == 1, out.stderr
    text = out.stdout.decode("utf-8")
    assert "h\\xff.py:5:5" in text
    assert "d\\xfe/app.py:5:5" in text
    assert "internal-error" not in text


@pytest.fixture
def unicode_project(tmp_path: Path) -> Path:
    """A handler whose sink line and file name are not ASCII: both reach every report."""
    (tmp_path / "ünïcode.py").write_text("import os\n\n\ndef handler(event, context):\n"
                                         "    os.system(event['cmd'])  # Überprüfung → später\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_console_report_on_a_stdout_that_is_not_unicode(unicode_project: Path, encoding: str) -> None:
    """A C locale without UTF-8 mode, PYTHONIOENCODING=ascii or a Windows code page: the report is printed in
    look-alikes, not a UnicodeEncodeError traceback in place of the findings."""
    out = subprocess.run([sys.executable, "-m", "faasguard", "scan", "."], cwd=unicode_project, capture_output=True,
                         timeout=120, check=False,
                         env={**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1", "PYTHONIOENCODING": encoding,
                              "XDG_CACHE_HOME": str(unicode_project / ".cache-home")})
    assert out.returncode == 1, out.stderr
    assert b"Traceback" not in out.stderr
    text = out.stdout.decode(encoding)
    assert "  5 | " in text  # the snippet's gutter
    assert "FG501" in text
    assert ("später" in text) == (encoding == "latin-1")  # what the encoding has is kept, the rest is `?`


@pytest.mark.parametrize("output_format", ["json", "sarif", "html", "junit", "gitlab"])
def test_documents_on_a_stdout_that_is_not_unicode_are_utf8(unicode_project: Path, output_format: str) -> None:
    """JSON, SARIF, HTML and XML are UTF-8 documents: piped from an ASCII stdout they are the same bytes as
    the report written with --output, not a traceback half-way through (or `\\u` escapes of the locale)."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "PYTHONIOENCODING": "ascii",
           "XDG_CACHE_HOME": str(unicode_project / ".cache-home")}
    piped = subprocess.run([sys.executable, "-m", "faasguard", "scan", ".", "--no-cache", "--format", output_format],
                           cwd=unicode_project, capture_output=True, timeout=120, check=False, env=env)
    assert piped.returncode == 1, piped.stderr
    written = subprocess.run([sys.executable, "-m", "faasguard", "scan", ".", "--no-cache", "--format",
                              output_format, "-o", "r.out"], cwd=unicode_project, capture_output=True, timeout=120,
                             check=False, env=env)
    assert written.returncode == 1, written.stderr
    document = (unicode_project / "r.out").read_bytes()
    document.decode("utf-8")  # strictly
    if output_format != "sarif":  # SARIF percent-encodes its URIs
        assert "ünïcode.py".encode() in document
    if output_format != "html":  # the HTML report stamps nothing per run, but its inline data differs in nothing
        assert _without_clock(piped.stdout) == _without_clock(document)


def _without_clock(document: bytes) -> bytes:
    return re.sub(rb'"(?:start_time|end_time|duration_seconds|seconds|timestamp|time)"\s*:\s*[^,}\n]+|'
                  rb'(?:time|timestamp)="[^"]*"', b"", document)


@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"\0" not in b and b"/" not in b))
def test_path_spellings_are_valid_unicode_distinct_and_reversible(raw: bytes) -> None:
    name = os.fsdecode(raw)
    assert path_text(name).encode("utf-8")  # never raises
    assert unquote_to_bytes(uri_path(name)) == raw
    assert path_text(name) != path_text(name + "\\")


def test_path_text_never_confuses_a_byte_with_its_spelling() -> None:
    assert path_text(os.fsdecode(b"a\xff")) != path_text("a\\xff")
    assert path_text("plain/ascii.py") == "plain/ascii.py"
    assert path_text("caf\u00e9/x.py") == "caf\u00e9/x.py"


# ---------------------------------------------------------------------------------- 6. terminal injection


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
    ("a\nNo findings", "a\\nNo findings"),
    ("over\rwrite", "over\\rwrite"),
    ("\x1b]8;;http://evil/\x07link\x1b]8;;\x07", "\\x1b]8;;http://evil/\\x07link\\x1b]8;;\\x07"),
    ("\x9b31m", "\\u009b31m"),
    ("\x7f", "\\x7f"),
    ("abc\u202edcba", "abc\\u202edcba"),
    ("line\u2028sep", "line\\u2028sep"),
    ("tab\tkept", "tab\tkept"),
    ("[bold red]not markup[/]", "[bold red]not markup[/]"),
    ("caf\u00e9 \u00a0", "caf\u00e9 \u00a0"),
    (os.fsdecode(b"\xff"), "\\xff"),
])
def test_console_text(text: str, shown: str) -> None:
    assert console_text(text) == shown


_SGR = re.compile(rb"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("color", [False, True])
def test_console_report_escapes_names_code_and_markup(tmp_path: Path, color: bool) -> None:
    hostile_dir = "x\x1b[2J\x1b]8;;http:evil\x07[bold red]pwn:smile:\nNo findings\r"
    code = tmp_path / hostile_dir
    code.mkdir()
    (code / "app.py").write_text("import os\n\n\ndef handler(event, context):\n"
                                 "    os.system(event['cmd'])  # \x1b[2J\x1b[1A\u202e\n")
    # wide enough that no line wraps: the escapes are asserted on whole lines (wrapping has its own tests)
    env = {**os.environ, "PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(tmp_path / "c"), "COLUMNS": "400"}
    env.pop("NO_COLOR", None)
    if color:
        env["FORCE_COLOR"] = "1"
    else:
        env["NO_COLOR"] = "1"
    out = subprocess.run([sys.executable, "-m", "faasguard", "scan", "."], cwd=tmp_path, env=env,
                         capture_output=True, timeout=120, check=False)
    assert out.returncode == 1, out.stderr
    stripped = _SGR.sub(b"", out.stdout)
    assert b"\x1b" not in stripped
    assert b"\x07" not in stripped
    assert b"\r" not in stripped
    assert "\u202e".encode() not in stripped
    text = stripped.decode("utf-8")
    assert "[bold red]pwn:smile:" in text  # printed literally, not interpreted by rich
    assert "\\nNo findings\\r/app.py:5:5" in text
    assert not any(line.startswith("No findings") for line in text.splitlines())


# ------------------------------------------------------------------------------------ 7. patch injection


PATCH_DIRS = ["x\n+++ b/evil.yaml\n--- a/evil.yaml", "q\"uote\\back", "t\tab", os.fsdecode(b"caf\xe9"),
              "sp ace", "\x1b[2J"]


def test_policy_patch_quotes_hostile_directory_names_and_git_applies_only_the_templates(tmp_path: Path) -> None:
    git = shutil.which("git")
    assert git is not None, "git is required for this test"
    for name in PATCH_DIRS:
        shutil.copytree(EXAMPLE, tmp_path / name)
    (tmp_path / "evil.yaml").write_text("untouched: true\n")
    identity = ["-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run([git, "init", "-q", "."], cwd=tmp_path, check=True)
    subprocess.run([git, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([git, *identity, "commit", "-qm", "init"], cwd=tmp_path, check=True)
    out = cli(["policy", "diff", ".", "--format", "patch"], tmp_path)
    assert out.returncode == 0, out.stderr
    headers = [line for line in out.stdout.split(b"\n") if line.startswith((b"--- ", b"+++ "))]
    assert len(headers) == 2 * len(PATCH_DIRS)
    assert b'--- "a/x\\n+++ b/evil.yaml\\n--- a/evil.yaml/template.yaml"' in headers
    assert b'--- "a/caf\\351/template.yaml"' in headers
    assert b"--- a/sp ace/template.yaml" in headers
    (tmp_path / "p.diff").write_bytes(out.stdout)
    subprocess.run([git, "apply", "p.diff"], cwd=tmp_path, check=True)
    status = subprocess.run([git, "-c", "core.quotePath=false", "status", "--porcelain", "-z"], cwd=tmp_path,
                            check=True, capture_output=True).stdout
    entries = [entry for entry in status.split(b"\0") if entry]
    modified = sorted(entry[3:] for entry in entries if entry.startswith(b" M"))
    assert modified == sorted(os.fsencode(f"{n}/template.yaml") for n in PATCH_DIRS)
    assert sorted(entry for entry in entries if not entry.startswith(b" M")) == [b"?? .cache-home/", b"?? p.diff"]


def test_git_quote_table() -> None:
    from faasguard.analysis.iam.patch import git_quote

    assert git_quote("a/plain/template.yaml") == "a/plain/template.yaml"
    assert git_quote("a/x\ny") == '"a/x\\ny"'
    assert git_quote('a/"\\') == '"a/\\"\\\\"'
    assert git_quote("a/\x1b") == '"a/\\033"'
    assert git_quote("a/\u00e9") == '"a/\\303\\251"'
    assert git_quote(os.fsdecode(b"a/\xff")) == '"a/\\377"'


def test_patch_refuses_a_template_with_other_line_breaks(tmp_path: Path) -> None:
    from faasguard.analysis.iam.patch import _template_text

    (tmp_path / "t.yaml").write_text("a: 1\x0cb: 2\n")
    assert _template_text(tmp_path / "t.yaml") is None
    (tmp_path / "u.yaml").write_text("a: 1\r\nb: 2\r\n", newline="")
    assert _template_text(tmp_path / "u.yaml") == ["a: 1\r\n", "b: 2\r\n"]


# --------------------------------------------------------------------------------- 8. what was not analysed


@pytest.mark.parametrize("code_uri", ["../outside/", "/etc/", "sub/../../outside", "link"])
def test_code_uri_outside_the_project_is_a_located_warning(tmp_path: Path, code_uri: str) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "app.py").write_text(HANDLER)
    app = tmp_path / "app"
    app.mkdir()
    (app / "link").symlink_to(tmp_path / "outside")
    (app / "template.yaml").write_text(SAM.format(code_uri=code_uri))
    out = cli(["scan", "app", "--format", "json"], tmp_path)
    report = json.loads(out.stdout)
    assert [(d["level"], d["location"]["path"], d["location"]["line"]) for d in report["diagnostics"]
            if "outside the scanned project" in d["message"]] == [("warning", "app/template.yaml", 7)]
    assert not [f for f in report["findings"] if f["rule_id"] == "FG501"]  # and indeed, nothing was read


@pytest.mark.parametrize("code_uri", ["src/", ".", "s3://bucket/key.zip", "missing/"])
def test_code_uri_inside_the_project_has_no_such_warning(tmp_path: Path, code_uri: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(HANDLER)
    (tmp_path / "app.py").write_text(HANDLER)
    (tmp_path / "template.yaml").write_text(SAM.format(code_uri=code_uri))
    report = json.loads(cli(["scan", ".", "--format", "json"], tmp_path).stdout)
    assert not [d for d in report["diagnostics"] if "outside the scanned project" in d["message"]]


SECRET = "sk_live_51H8qZ2eZvKYlo2C0123456789abcdef"


def test_console_masks_secret_values_in_snippets(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(f'API_KEY = "{SECRET}"\n\n\ndef handler(event, context):\n'
                                             "    return API_KEY\n")
    (tmp_path / "template.yaml").write_text(SAM.format(code_uri="src/") + "      Environment:\n"
                                            "        Variables:\n"
                                            "          DB_PASSWORD: correct-horse-battery-staple-9\n")
    out = cli(["scan", "."], tmp_path)
    text = out.stdout.decode()
    assert "FG202" in text
    assert "FG201" in text
    assert SECRET not in text
    assert "correct-horse-battery-staple-9" not in text
    assert 'API_KEY = "sk_l****"' in text
    assert "DB_PASSWORD: corr****" in text
    json_report = cli(["scan", ".", "--format", "json"], tmp_path).stdout.decode()
    assert SECRET not in json_report
    assert "correct-horse-battery-staple-9" not in json_report


def test_console_does_not_mask_other_findings(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(HANDLER)
    text = cli(["scan", "."], tmp_path).stdout.decode()
    assert "FG501" in text
    assert "os.system(event['cmd'])" in text


@pytest.mark.parametrize(("line", "masked"), [
    ('      DB_PASSWORD: "hunter2-but-longer"', '      DB_PASSWORD: "hunt****"'),
    ("      DB_PASSWORD: short", "      DB_PASSWORD: ****"),
    ('  "DB_PASSWORD": "hunter2",', '  "DB_PASSWORD": "****",'),
    ("      TOKEN: !Ref TokenParameter", "      TOKEN: !Ref TokenParameter"),
    ("  MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "  MIIE****"),
    ("ENV SECRET_KEY=abcdefghijklmnopqrstu", "ENV SECRET_KEY=abcd****"),
    ("      KEY: abc # note", "      KEY: **** # note"),
    ("    token = b'abcdefghijklmnopqrstuvwxyz'", "    token = b'abcd****'"),
    ("      Variables:", "      Variables:"),
])
def test_mask_values(line: str, masked: str) -> None:
    assert mask_values(line) == masked
