"""Issue 20, guard half, decided without hooks: each class of bypass with several variants, plus the negatives
that must stay quiet (a false positive costs as much as a miss)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from faasguard.guard._config import GuardConfig, load_config
from faasguard.guard._policies import CompiledPolicies, canonical_ip
from faasguard.guard._redact import Redactor, is_secret_name, redact_exception, secret_env_values, url_passwords

ENV = {"AWS_REGION": "eu-west-1", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
       "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9002/2021-04-23/credentials"}


def compiled(tmp: Path | None = None, **kwargs: object) -> CompiledPolicies:
    if tmp is not None:
        kwargs = {"tmp_dir": str(tmp), "write_allow": [str(tmp), "/dev/null"], **kwargs}
    return CompiledPolicies(load_config(ENV, **kwargs), ENV)


# ---------------------------------------------------------------------------------------- paths (item 2)
@pytest.mark.parametrize("path", [
    "/proc/self/root/proc/self/environ",
    "/dev/fd/../environ",
    "/proc/self/root/../proc/self/environ",
    "/proc/thread-self/environ",
    "//proc///self/./environ",
    "/proc/self/task/../environ",
    "/proc/1/environ",
    "/proc/self/root/proc/thread-self/root/proc/self/mem",
])
def test_environ_reached_through_magic_links_is_flagged(path: str) -> None:
    verdict = compiled().check_open(path, os.O_RDONLY)
    assert verdict is not None and verdict.policy == "files", path
    assert re.fullmatch(r"/proc/\d+(/task/\d+)?/(environ|mem)", verdict.detail["path"]), verdict.detail


@pytest.mark.parametrize("path", ["/proc/self/status", "/proc/cpuinfo", "/dev/null", "/etc/hostname",
                                  "/proc/self/fd/../status"])
def test_harmless_proc_and_dev_reads_stay_quiet(path: str) -> None:
    assert compiled().check_open(path, os.O_RDONLY) is None


def test_relative_paths_resolve_from_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    depth = len(tmp_path.parts) - 1
    verdict = compiled(tmp_path).check_open("../" * depth + "proc/self/environ", os.O_RDONLY)
    assert verdict is not None and verdict.detail["reason"].startswith("process environment")
    # a relative name like a /proc file, no such file here: the dir_fd route (os.open("environ", dir_fd=...))
    verdict = compiled(tmp_path).check_open("environ", os.O_RDONLY)
    assert verdict is not None and "directory descriptor" in verdict.detail["reason"]
    assert compiled(tmp_path).check_open("self/environ", os.O_RDONLY) is not None
    (tmp_path / "environ").write_text("a real file of that name in the working directory")
    assert compiled(tmp_path).check_open("environ", os.O_RDONLY) is None


@pytest.mark.parametrize("path", ["/", "/proc", "/proc/self", "/proc/thread-self", "/proc/self/task",
                                  "/proc/self/root"])
def test_directory_descriptors_on_the_way_to_environ_are_flagged(path: str) -> None:
    verdict = compiled().check_open(path, os.O_RDONLY | os.O_DIRECTORY)
    assert verdict is not None and "directory descriptor" in verdict.detail["reason"]


def test_symlinked_directory_under_tmp_is_followed_for_writes(tmp_path: Path) -> None:
    scratch, outside = tmp_path / "scratch", tmp_path / "outside"
    scratch.mkdir()
    outside.mkdir()
    (scratch / "link").symlink_to(outside, target_is_directory=True)
    (scratch / "real").mkdir()
    policies = compiled(scratch)
    for path in (scratch / "link" / "payload.py", scratch / "link" / ".." / "outside" / "x",
                 scratch / "real" / ".." / ".." / "outside" / "y"):
        verdict = policies.check_open(str(path), os.O_WRONLY | os.O_CREAT)
        assert verdict is not None and verdict.detail["reason"] == "write outside the allowed directories", path
        assert verdict.detail["path"].startswith(str(outside)), verdict.detail
    assert policies.check_open(str(scratch / "real" / "ok.txt"), os.O_WRONLY | os.O_CREAT) is None
    assert policies.check_open(str(scratch / "new.txt"), os.O_WRONLY | os.O_CREAT) is None
    # unlinking the link itself is a write inside /tmp (the last component is not followed)
    assert policies.resolve(str(scratch / "link"), follow_last=False) == str(scratch / "link")


def test_handler_source_through_proc_cwd_and_symlinks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = tmp_path / "task"
    task.mkdir()
    (task / "app.py").write_text("x = 1\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "copy.py").symlink_to(task / "app.py")
    monkeypatch.chdir(task)
    sources = frozenset({str(task / "app.py")})
    policies = compiled(scratch)
    for path in ("/proc/self/cwd/app.py", str(scratch / "copy.py"), str(task / ".." / "task" / "app.py"), "app.py"):
        verdict = policies.check_open(path, os.O_RDONLY, sources=sources)
        assert verdict is not None and verdict.detail["reason"] == "the function's own source code", path
    assert policies.check_open(str(task / "other.py"), os.O_RDONLY, sources=sources) is None


@pytest.mark.parametrize(("target", "link", "flagged"), [
    ("/proc/self/environ", "x", True),
    ("../../../../../../../../proc/self/environ", "x", True),  # relative to the link's directory
    ("/proc/self/root", "root", True),
    ("/dev/fd/../environ", "x", True),
    ("data.txt", "x", False),
    ("sub/data.txt", "x", False),
])
def test_symlink_targets_are_read_the_way_the_kernel_reads_them(tmp_path: Path, target: str, link: str,
                                                                 flagged: bool) -> None:
    verdict = compiled(tmp_path).check_symlink(target, str(tmp_path / link))
    assert (verdict is not None) is flagged, verdict


# ---------------------------------------------------------------------------------------- network (item 3)
@pytest.mark.parametrize(("host", "port", "which"), [
    ("169.254.169.254", 80, "metadata"),
    ("::ffff:169.254.169.254", 80, "metadata"),
    ("[::ffff:a9fe:a9fe]", 80, "metadata"),
    ("2852039166", 80, "metadata"),  # inet_aton's decimal form
    ("0xa9fea9fe", 80, "metadata"),
    ("0251.0376.0251.0376", 80, "metadata"),
    ("169.254.169.254.", 80, "metadata"),
    ("64:ff9b::a9fe:a9fe", 80, "metadata"),  # NAT64
    ("fd00:ec2::254", 80, "metadata"),
    ("169.254.170.2", 80, "metadata"),
    ("127.0.0.1", 9001, "runtime"),
    ("127.1", 9001, "runtime"),
    ("0.0.0.0", 9001, "runtime"),
    ("::ffff:127.0.0.1", 9001, "runtime"),
    ("localhost", 9001, "runtime"),
    ("2130706433", 9002, "credentials"),
])
def test_sensitive_addresses_in_any_spelling(host: str, port: int, which: str) -> None:
    policies = compiled(allow_hosts=[host, f"{host}:{port}"])  # allowlisting does not help
    assert policies.sensitive_address(host, port) == which
    verdict = policies.check_host(host, port, "socket.connect")
    assert verdict is not None and verdict.policy == "metadata" and verdict.type == "network"


@pytest.mark.parametrize(("host", "port"), [("10.0.0.1", 443), ("127.0.0.1", 2773), ("::1", 8080),
                                            ("169.254.169.253", 53), ("api.example.com", 443)])
def test_other_addresses_are_not_sensitive(host: str, port: int) -> None:
    assert compiled().sensitive_address(host, port) is None


def test_an_allowlisted_name_is_judged_by_what_it_resolves_to() -> None:
    policies = compiled(allow_hosts=["api.partner.example:443", "cdn.partner.example"])
    assert policies.check_host("api.partner.example", 443, "socket.connect", addresses=("93.184.216.34",)) is None
    rebound = policies.check_host("api.partner.example", 443, "socket.connect",
                                  addresses=("93.184.216.34", "169.254.169.254"))
    assert rebound is not None and rebound.policy == "metadata" and rebound.detail["address"] == "169.254.169.254"
    runtime = policies.check_host("cdn.partner.example", 9001, "socket.sendto", addresses=("127.0.0.1",))
    assert runtime is not None and "Runtime API" in runtime.detail["reason"]
    # the address from getaddrinfo, with the allowlisted name it came from
    verdict = policies.check_host("::ffff:169.254.169.254", 443, "socket.connect", "api.partner.example")
    assert verdict is not None and verdict.detail["hostname"] == "api.partner.example"


@pytest.mark.parametrize(("text", "expected"), [("2852039166", "169.254.169.254"), ("[::1]", "::1"),
                                                ("fe80::1%eth0", "fe80::1"), ("example.com", "example.com"),
                                                ("deadbeef", "deadbeef"), ("1.2.3.4.", "1.2.3.4")])
def test_canonical_ip(text: str, expected: str) -> None:
    assert canonical_ip(text) == expected


def test_metadata_policy_blocks_by_default_while_network_alerts() -> None:
    config = load_config({})
    assert config.action("metadata") == "block" and config.action("network") == "alert"
    assert load_config({"FAASGUARD_POLICY_METADATA": "alert"}).action("metadata") == "alert"


# ---------------------------------------------------------------------------------------- processes (item 5)
def _executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\necho pwned\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("command", [
    "cd {tmp} && ./payload",
    "cd {tmp}; sh payload",
    "{tmp}/payload",
    "/./{tmp_rel}/payload --fast",
    "$TMPDIR/payload",
    "${{TMPDIR}}/payload",
    "exec '{tmp}/payload'",
    "X={tmp}/payload; $X",
])
def test_shell_commands_running_from_tmp(tmp_path: Path, command: str) -> None:
    _executable(tmp_path / "payload")
    text = command.format(tmp=tmp_path, tmp_rel=str(tmp_path).lstrip("/"))
    verdict = compiled(tmp_path, allow_processes=["sh"]).check_process("/bin/sh", ["/bin/sh", "-c", text],
                                                                       "subprocess.Popen")
    assert verdict is not None and "executes a file under" in verdict.detail["reason"], text


def test_relative_programs_and_wrappers_run_from_tmp(tmp_path: Path) -> None:
    _executable(tmp_path / "payload")
    policies = compiled(tmp_path, allow_processes=["sh", "env", "nice", "timeout", "python3", "payload"])
    cases = [("./payload", ["./payload"], str(tmp_path)),  # cwd= of Popen
             ("/bin/sh", ["/bin/sh", "-c", "./payload"], str(tmp_path)),
             ("/usr/bin/env", ["env", str(tmp_path / "payload")], None),
             ("/usr/bin/nice", ["nice", "-n", "5", str(tmp_path / "payload")], None),
             ("/usr/bin/timeout", ["timeout", "5", str(tmp_path / "payload")], None),
             ("/usr/bin/python3", ["python3", "payload.py"], str(tmp_path))]
    for program, argv, cwd in cases:
        verdict = policies.check_process(program, argv, "subprocess.Popen", None, cwd)
        assert verdict is not None and "executes a file under" in verdict.detail["reason"], (program, argv)
    # negatives: the same programs on files outside /tmp, and /tmp paths that are data, not programs
    assert policies.check_process("/usr/bin/env", ["env", "FOO=1", "python3", "-c", "1"], "x") is None
    (tmp_path / "data.txt").write_text("data")
    assert policies.check_process("/usr/bin/timeout", ["timeout", "5", str(tmp_path / "data.txt")], "x") is None
    assert policies.check_process("/bin/sh", ["/bin/sh", "-c", "echo converting"], "x") is None
    code = "import json; print(json.load(open('data/in.json')))"  # code, not a path, even from a /tmp cwd
    assert policies.check_process("/usr/bin/python3", ["python3", "-c", code], "x", None, str(tmp_path)) is None


@pytest.mark.parametrize(("argv", "env", "reason"), [
    (["python3", "-c", "1"], {"PYTHONPATH": "{tmp}/evil"}, "child loads code from"),
    (["python3", "-c", "1"], {"PYTHONSTARTUP": "{tmp}/s.py", "FAASGUARD_CHILD": "1"}, "child loads code from"),
    (["convert", "a", "b"], {"LD_PRELOAD": "{tmp}/hook.so"}, "child loads code from"),
    (["convert", "a", "b"], [b"LD_LIBRARY_PATH=/usr/lib:{tmp}/lib"], "child loads code from"),
    (["sh", "-c", "echo hi"], {"BASH_ENV": "{tmp}/rc", "ENV": "{tmp}/rc"}, "child loads code from"),
    (["python3", "-I", "-c", "1"], None, "-I/-S/-E"),
    (["python3", "-S", "x.py"], None, "-I/-S/-E"),
    (["python3", "-Es", "x.py"], None, "-I/-S/-E"),
    (["python3", "-c", "1"], {"PATH": "/usr/bin"}, "drops the guard"),
])
def test_children_that_load_code_from_tmp_or_drop_the_guard(tmp_path: Path, argv: list[str], env: object,
                                                            reason: str) -> None:
    def fill(value: object) -> object:
        if isinstance(value, dict):
            return {k: v.format(tmp=tmp_path) for k, v in value.items()}
        if isinstance(value, list):
            return [v.decode().format(tmp=tmp_path).encode() for v in value]
        return value

    policies = compiled(tmp_path, allow_processes=["python3", "convert", "sh"])
    verdict = policies.check_process(f"/usr/bin/{argv[0]}", argv, "subprocess.Popen", fill(env))
    assert verdict is not None and reason in verdict.detail["reason"], verdict


def test_children_keeping_the_guard_pass(tmp_path: Path) -> None:
    child = os.path.join("/opt/python/faasguard/guard/_child")
    policies = compiled(tmp_path, allow_processes=["python3", "convert"])
    keeps = {"FAASGUARD_CHILD": "1", "PYTHONPATH": f"/opt/python:{child}", "LD_LIBRARY_PATH": "/opt/lib"}
    assert policies.check_process("/usr/bin/python3", ["python3", "-u", "x.py"], "x", keeps) is None
    assert policies.check_process("/usr/bin/python3", ["python3", "-m", "json.tool"], "x", None) is None
    assert policies.check_process("/usr/bin/convert", ["convert", "a"], "x", {"PATH": "/usr/bin"}) is None


@pytest.mark.parametrize("symbol", ["system", b"__libc_system", "syscall", "dlsym", "dlvsym", "execveat",
                                    "posix_spawnp", "__execve", "vfork", "_dl_sym", "__libc_dlopen_mode"])
def test_ctypes_symbols_that_start_programs_or_load_code(symbol: str | bytes) -> None:
    verdict = compiled().check_dlsym(symbol)
    assert verdict is not None and verdict.policy == "process"
    assert verdict.detail["symbol"] in verdict.detail["reason"]


@pytest.mark.parametrize("symbol", ["strlen", "getpid", "systemd_notify", "execution_count", "malloc"])
def test_ordinary_ctypes_symbols_stay_quiet(symbol: str) -> None:
    assert compiled().check_dlsym(symbol) is None


# ---------------------------------------------------------------------------------------- immutability (item 5)
def test_config_and_policies_cannot_be_changed_even_with_object_setattr() -> None:
    config = load_config({})
    policies = CompiledPolicies(config, ENV)
    for target, name in ((config, "policies"), (config, "mode"), (policies, "process_names"),
                         (policies, "write_allow"), (policies, "config")):
        with pytest.raises(AttributeError):
            object.__setattr__(target, name, None)
    with pytest.raises(TypeError):
        dict.__setitem__(config.policies, "process", "off")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        config.policies["process"] = "off"  # type: ignore[index]
    assert config.action("process") == "block" and isinstance(config, GuardConfig)
    assert not hasattr(config, "__dict__") and not hasattr(policies, "__dict__")


# ---------------------------------------------------------------------------------------- secrets (item 4)
@pytest.mark.parametrize("name", ["PWD", "OLDPWD", "AUTHOR", "OAUTH_CLIENT_ID", "OAUTH_REDIRECT_URL", "DSN_HOST",
                                  "DSN_PORT", "AUTH_URL", "AUTH_DOMAIN", "AUTHORIZATION_ENDPOINT", "TABLE_NAME",
                                  "KEYSPACE", "PASSENGER_COUNT", "TOKENIZER_MODEL", "AWS_ACCESS_KEY_ID"])
def test_names_that_are_not_secrets(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize("name", ["DB_PWD", "PWD_HASH_SALT", "OAUTH_CLIENT_SECRET", "OAUTH_TOKEN", "BASIC_AUTH",
                                  "dbPassword", "GITHUB_TOKEN", "STRIPE_API_KEY", "AWS_SECRET_ACCESS_KEY",
                                  "AWS_SESSION_TOKEN", "PRIVATE_KEY", "SIGNING_KEY", "SMTP_PASS", "ApiKey",
                                  "PROXY_AUTHORIZATION", "ENCRYPTION_KEY", "DB_CREDENTIALS"])
def test_names_that_are_secrets(name: str) -> None:
    assert is_secret_name(name)


def test_connection_strings_give_their_password_only() -> None:
    env = {"DATABASE_URL": "postgres://app:s3cr3t-pass@db.internal:5432/app", "SENTRY_DSN":
           "https://publickey@o1.ingest.sentry.io/1", "DSN_HOST": "db.internal", "PWD": "/var/task",
           "AUTHOR": "someone@example.com", "OAUTH_CLIENT_ID": "client-1234567"}
    assert secret_env_values(env) == ["s3cr3t-pass"]
    assert url_passwords("redis://:hunter22@cache:6379/0 and amqp://u:p4ssw0rd@mq") == ["hunter22", "p4ssw0rd"]


def test_redaction_before_json_encoding() -> None:
    redactor = Redactor()
    secret = 'pa"ss\\wörd-123'  # JSON escapes quotes, backslashes and non-ASCII
    redactor.add(secret)
    import json

    encoded = json.dumps(redactor.redact_value({"argv": ["mysql", f"-p{secret}"], "n": 1, "detail": {
        "command": f"mysql --password='{secret}'"}}))
    assert json.loads(encoded) == {"argv": ["mysql", "-p****"], "n": 1,
                                   "detail": {"command": "mysql --password='****'"}}
    assert redactor.redact(json.dumps(f"-p{secret}")) == '"-p****"'  # the escaped form is registered too
    assert redactor.redact("postgres://app:longpassword@db/x") == "postgres://app:****@db/x"


def test_exception_messages_are_masked_keeping_the_type() -> None:
    redactor = Redactor()
    redactor.add("hunter2-correct-horse")
    original = KeyError("missing hunter2-correct-horse")
    masked = redact_exception(original, redactor)
    assert masked is not original and isinstance(masked, KeyError) and type(masked).__name__ == "KeyError"
    assert "hunter2" not in str(masked) and "****" in str(masked)
    quiet = ValueError("nothing secret here")
    assert redact_exception(quiet, redactor) is quiet
    os_error = OSError(2, "No such file", "/tmp/hunter2-correct-horse")
    assert "hunter2" not in str(redact_exception(os_error, redactor))


def test_guard_package_stays_stdlib_only() -> None:
    source = Path(sys.modules["faasguard.guard._policies"].__file__ or "").parent
    for path in source.glob("*.py"):
        for line in path.read_text().splitlines():
            match = re.match(r"\s*(?:from|import) (\w+)", line)
            if match and match.group(1) not in sys.stdlib_module_names and match.group(1) not in (
                    "faasguard", "boto3", "botocore", "_posixsubprocess", "__future__"):
                raise AssertionError(f"{path.name}: {line.strip()}")
