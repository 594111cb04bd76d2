"""Each policy decision, without installing hooks (CompiledPolicies is pure)."""

from __future__ import annotations

import os

import pytest

from faasguard.guard._config import load_config
from faasguard.guard._policies import CompiledPolicies

ENV = {"AWS_REGION": "eu-west-1", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
       "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9002/2021-04-23/credentials"}


def compiled(**kwargs: object) -> CompiledPolicies:
    return CompiledPolicies(load_config(ENV, **kwargs), ENV)


@pytest.mark.parametrize(("program", "argv", "allowed"), [
    ("/usr/bin/convert", ["convert", "in.png", "out.jpg"], True),
    (None, ["convert", "a"], True),
    ("/usr/bin/curl", ["curl", "http://x"], False),
    ("/bin/sh", ["/bin/sh", "-c", "convert a b"], False),  # shells are not implied by their command
    ("/tmp/convert", ["/tmp/convert"], False),  # allowlisted name, but executed from /tmp
    ("/usr/bin/python3", ["python3", "/tmp/payload.py"], False),
    ("/usr/local/bin/jq", ["jq", "."], True),
])
def test_process_allowlist(program: str | None, argv: list[str], allowed: bool) -> None:
    policies = compiled(allow_processes=["convert", "python3", "/usr/local/bin/jq"])
    assert (policies.check_process(program, argv, "subprocess.Popen") is None) is allowed


def test_shell_running_tmp_file_is_flagged_even_when_the_shell_is_allowed() -> None:
    policies = compiled(allow_processes=["sh"])
    assert policies.check_process("/bin/sh", ["/bin/sh", "-c", "ls"], "os.system") is None
    verdict = policies.check_process("/bin/sh", ["/bin/sh", "-c", "cd /x && /tmp/miner --fast"], "os.system")
    assert verdict is not None and "/tmp/miner" in verdict.detail["reason"]
    assert verdict.detail["command"] == "cd /x && /tmp/miner --fast"


@pytest.mark.parametrize(("host", "port", "allowed"), [
    ("dynamodb.eu-west-1.amazonaws.com", 443, True),
    ("my-bucket.s3.eu-west-1.amazonaws.com", 443, True),
    ("sts.amazonaws.com", 443, True),
    ("dynamodb.us-east-1.amazonaws.com", 443, False),  # another region
    ("dynamodb.eu-west-1.amazonaws.com", 80, False),
    ("api.stripe.com", 443, True),
    ("api.stripe.com", 80, False),
    ("hooks.slack.com", 443, True),
    ("evil.example", 443, False),
    ("10.1.2.3", 5432, True),
    ("10.9.9.9", 5432, False),
    ("169.254.169.254", 80, False),
    ("fd00:ec2::254", 80, False),
    ("localhost", 2773, True),  # extensions listen on loopback
    ("127.0.0.1", 9001, False),  # ...but the Runtime API is not for function code
    ("127.0.0.1", 9002, False),  # nor the credentials endpoint
])
def test_network(host: str, port: int, allowed: bool) -> None:
    policies = compiled(allow_hosts=["api.stripe.com:443", "*.slack.com", "10.1.0.0/16:5432"])
    assert (policies.check_host(host, port, "socket.connect") is None) is allowed


def test_metadata_is_flagged_even_if_allowlisted_and_by_resolved_name() -> None:
    policies = compiled(allow_hosts=["169.254.169.254", "metadata.internal.example"])
    assert policies.check_host("169.254.169.254", 80, "socket.connect") is not None
    verdict = policies.check_host("169.254.169.254", 80, "socket.connect", resolved_from="metadata.internal.example")
    assert verdict is not None and verdict.detail["reason"].startswith("instance metadata")


def test_aws_endpoints_can_be_disallowed() -> None:
    assert compiled(allow_aws=False).check_host("s3.eu-west-1.amazonaws.com", 443, "socket.connect") is not None


@pytest.mark.parametrize(("path", "flags", "flagged"), [
    ("/proc/self/environ", os.O_RDONLY, True),
    ("/proc/1234/environ", os.O_RDONLY, True),
    ("/proc/self/task/7/mem", os.O_RDONLY, True),
    ("/proc/self/../self/environ", os.O_RDONLY, True),
    ("/proc/self/status", os.O_RDONLY, False),
    ("/var/task/templates/a.html", os.O_RDONLY, False),
    ("/var/task/app.py", os.O_WRONLY | os.O_CREAT, True),
    ("/tmp/out.txt", os.O_WRONLY | os.O_CREAT, False),
    ("/dev/null", os.O_WRONLY, False),
    ("/etc/passwd", os.O_RDWR, True),
    (3, os.O_RDONLY, False),
])
def test_files(path: object, flags: int, flagged: bool) -> None:
    assert (compiled().check_open(path, flags) is not None) is flagged


def test_handler_source_read_is_flagged_and_policies_are_frozen() -> None:
    policies = compiled()
    assert policies.check_open("/var/task/app.py", os.O_RDONLY) is None
    verdict = policies.check_open("/var/task/app.py", os.O_RDONLY, sources=frozenset({"/var/task/app.py"}))
    assert verdict is not None and verdict.detail["reason"] == "the function's own source code"
    with pytest.raises(AttributeError):
        policies.process_names = frozenset({"sh"})  # type: ignore[misc]
    with pytest.raises(AttributeError):
        object.__setattr__(policies, "process_names", frozenset({"sh"}))
    assert policies.process_names == frozenset()


def test_symlink_to_environ_is_flagged() -> None:
    assert compiled().check_symlink("/proc/self/environ", "/tmp/x") is not None
    assert compiled().check_symlink("/tmp/a", "/tmp/b") is None


@pytest.mark.parametrize(("module", "name", "flagged"), [
    ("posix", "system", True), ("builtins", "eval", True), ("subprocess", "Popen", True),
    ("datetime", "datetime", False), ("collections", "OrderedDict", False), ("myapp.models", "User", True),
])
def test_pickle_globals(module: str, name: str, flagged: bool) -> None:
    assert (compiled().check_pickle_global(module, name) is not None) is flagged
    assert compiled(pickle_allow=["myapp.models.*"]).check_pickle_global("myapp.models", "User") is None


def test_ctypes_libc_process_symbols() -> None:
    assert compiled().check_dlsym(b"system") is not None
    assert compiled().check_dlsym("execve") is not None
    assert compiled().check_dlsym("strlen") is None
