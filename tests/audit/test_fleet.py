"""Org-wide audit (`faasguard.fleet`): many accounts × regions of a moto server, on a thread pool, an in-process
Ray cluster and a `ray start --head` cluster on 127.0.0.1; merged report == union of single-unit reports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fleet_seed import accounts, seed
from moto.server import ThreadedMotoServer

from faasguard.cli import main
from faasguard.fleet import Outcome
from faasguard.fleet._attempt import attempt, is_transient
from faasguard.fleet._work import AuditUnitSpec, audit_unit

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ["us-east-1", "eu-west-1"]


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output


def _keys(findings: list[dict[str, Any]]) -> Counter[tuple[str, str, str, int]]:
    return Counter((f["rule_id"], f["resource"], f["location"]["path"], f["location"]["line"]) for f in findings)


def _org(endpoint: str, tmp_path: Path, count: int, regions: list[str]) -> Path:
    accounts_file = tmp_path / "accounts.txt"
    accounts_file.write_text("# org\n" + "\n".join(seed(endpoint, accounts(count), regions)) + "\n")
    return accounts_file


def _fleet_args(endpoint: str, accounts_file: Path, tmp_path: Path, name: str, regions: list[str]) -> list[str]:
    return ["audit", "--endpoint-url", endpoint, "--accounts", str(accounts_file),
            *[a for r in regions for a in ("--region", r)], "--format", "json", "-o", str(tmp_path / f"{name}.json"),
            "--units-dir", str(tmp_path / name)]


def test_thread_pool_merged_report_is_the_union_of_single_unit_audits(moto_endpoint: str, tmp_path: Path) -> None:
    accounts_file = _org(moto_endpoint, tmp_path, 2, REGIONS)
    code, _ = _run([*_fleet_args(moto_endpoint, accounts_file, tmp_path, "pool", REGIONS), "--jobs", "2"])
    assert code == 1
    merged = json.loads((tmp_path / "pool.json").read_text())
    manifest = json.loads((tmp_path / "pool" / "manifest.json").read_text())
    assert sorted(manifest["units"]) == sorted(f"{a}/{r}" for a in accounts(2) for r in REGIONS)
    assert manifest["failed"] == {}
    union: Counter[tuple[str, str, str, int]] = Counter()
    for account in accounts(2):
        for region in REGIONS:
            out = tmp_path / f"single-{account}-{region}.json"
            _run(["audit", "--endpoint-url", moto_endpoint, "--role-arn", f"arn:aws:iam::{account}:role/audit",
                  "--region", region, "--format", "json", "-o", str(out)])
            single = json.loads(out.read_text())
            unit = json.loads((tmp_path / "pool" / f"{account}-{region}.json").read_text())
            assert _keys(unit["findings"]) == _keys(single["findings"])
            union += _keys(single["findings"])
    assert _keys(merged["findings"]) == union
    assert merged["summary"]["findings"] == sum(union.values()) == len(merged["findings"])
    assert merged["summary"]["functions"] == 4
    # the seeded scenarios, by (account index, region index): deprecated runtime on (0,0), (1,1), (2,0)...
    pairs = {(f["rule_id"], f["resource"]) for f in merged["findings"]}
    first, second = accounts(2)
    assert ("FG402", f"fn-{first}-us-east-1") in pairs
    assert ("FG402", f"fn-{first}-eu-west-1") not in pairs
    assert ("FG302", f"fn-{second}-us-east-1.url") in pairs
    assert ("FG302", f"fn-{first}-us-east-1.url") not in pairs
    assert ("FG101", "fn-role") in pairs


def test_merged_json_validates_against_the_report_schema(moto_endpoint: str, tmp_path: Path) -> None:
    import jsonschema

    accounts_file = _org(moto_endpoint, tmp_path, 2, REGIONS[:1])
    _run([*_fleet_args(moto_endpoint, accounts_file, tmp_path, "m", REGIONS[:1]), "--jobs", "2"])
    schema = json.loads((ROOT / "src" / "faasguard" / "schemas" / "report-v1.json").read_text())
    jsonschema.validate(json.loads((tmp_path / "m.json").read_text()), schema)
    code, out = _run([*_fleet_args(moto_endpoint, accounts_file, tmp_path, "m", REGIONS[:1]), "--jobs", "2",
                      "--resume", "--format", "sarif", "-o", "-"])
    sarif = json.loads(out[out.index("{"):])
    assert code == 1
    assert len(sarif["runs"][0]["results"]) == len(json.loads((tmp_path / "m.json").read_text())["findings"])


def test_in_process_ray_cluster_gives_the_thread_pool_report(moto_endpoint: str, tmp_path: Path) -> None:
    accounts_file = _org(moto_endpoint, tmp_path, 2, REGIONS)
    code_pool, _ = _run([*_fleet_args(moto_endpoint, accounts_file, tmp_path, "pool", REGIONS), "--jobs", "2"])
    code_ray, _ = _run([*_fleet_args(moto_endpoint, accounts_file, tmp_path, "ray", REGIONS), "--ray", "--jobs", "2",
                        "--per-account", "1"])
    assert code_pool == code_ray == 1
    pool = json.loads((tmp_path / "pool.json").read_text())
    ray = json.loads((tmp_path / "ray.json").read_text())
    assert _keys(ray["findings"]) == _keys(pool["findings"])
    assert len(ray["findings"]) >= 8
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    assert len(manifest["units"]) == 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_transient_errors_are_retried_with_backoff_until_the_endpoint_answers(aws_env: None) -> None:
    """The endpoint is down at the first attempts (connection refused, a real botocore error) and a moto
    server comes up on that port a moment later: the unit finishes on a later attempt."""
    from faasguard.audit import AccountTarget, AuditOptions
    from faasguard.config import Config

    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    timer = threading.Timer(1.0, server.start)
    timer.start()
    try:
        options = AuditOptions(targets=(AccountTarget("arn:aws:iam::123456789012:role/audit"),),
                               regions=("us-east-1",), endpoint_url=endpoint)
        outcome = attempt("123456789012/us-east-1", audit_unit,
                          AuditUnitSpec(options, Config(), "123456789012", "us-east-1"), retries=5, backoff=0.4)
    finally:
        timer.join()
        server.stop()
    assert outcome.error is None
    assert outcome.attempts > 1
    assert json.loads(outcome.report or "")["version"] == 1


def test_permanent_errors_fail_the_unit_at_once() -> None:
    def broken(_: Any) -> dict[str, Any]:
        raise PermissionError("role cannot be assumed")

    outcome = attempt("k", broken, None, retries=3, backoff=10.0)
    assert outcome == Outcome("k", None, "PermissionError: role cannot be assumed", 1, outcome.seconds)


def test_which_errors_are_transient() -> None:
    from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

    def client_error(code: str, status: int) -> ClientError:
        return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetRole")

    assert is_transient(client_error("Throttling", 400))
    assert is_transient(client_error("TooManyRequestsException", 429))
    assert is_transient(client_error("Whatever", 503))
    assert is_transient(EndpointConnectionError(endpoint_url="http://x"))
    assert is_transient(ReadTimeoutError(endpoint_url="http://x"))
    assert not is_transient(client_error("AccessDenied", 403))
    assert not is_transient(client_error("ValidationError", 400))
    assert not is_transient(FileNotFoundError("x"))


def test_ray_head_cluster_killed_driver_resumes_without_redoing_units(moto_endpoint: str, tmp_path: Path) -> None:
    """`ray start --head` on 127.0.0.1 with 2 CPUs (two workers); the driver is a separate process, killed
    once some units are in the manifest; `--resume` finishes the rest and never rewrites a finished unit."""
    regions = REGIONS
    accounts_file = _org(moto_endpoint, tmp_path, 3, regions)
    port = _free_port()
    # Ray turns a loopback address into the machine's external one unless told the cluster is one machine's
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}  # loopback only: no token
    ray = [sys.executable, "-m", "ray.scripts.scripts"]
    # --block keeps `ray start` in the foreground as the parent of the cluster's processes: ending its own
    # process group stops exactly this cluster (`ray stop` would stop every Ray cluster on the machine)
    head = subprocess.Popen([*ray, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", f"--port={port}",
                             "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
                             f"--temp-dir={tempfile.mkdtemp(prefix='fgray')}"],  # short: unix socket paths
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        args = [sys.executable, "-m", "faasguard",
                *_fleet_args(moto_endpoint, accounts_file, tmp_path, "org", regions), "--ray", f"127.0.0.1:{port}",
                "--jobs", "2"]
        driver = subprocess.Popen(args, env={**env, "CI": "1"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        manifest_path = tmp_path / "org" / "manifest.json"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and driver.poll() is None:
            if manifest_path.is_file() and json.loads(manifest_path.read_text())["units"]:
                break
            time.sleep(0.05)
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
        assert manifest_path.is_file(), driver.stderr.read().decode() if driver.stderr else ""
        before = json.loads(manifest_path.read_text())["units"]
        assert 0 < len(before) < 6, "the driver was to be killed mid-run"
        mtimes = {key: (tmp_path / "org" / entry["file"]).stat().st_mtime_ns for key, entry in before.items()}
        resumed = subprocess.run([*args, "--resume"], env={**env, "CI": "1"}, capture_output=True, text=True,
                                 check=False, timeout=300)
        assert resumed.returncode == 1, resumed.stderr
        assert f"{len(before)} resumed" in resumed.stderr
        after = json.loads(manifest_path.read_text())["units"]
        assert sorted(after) == sorted(f"{a}/{r}" for a in accounts(3) for r in regions)
        assert {key: (tmp_path / "org" / before[key]["file"]).stat().st_mtime_ns for key in before} == mtimes
        merged = json.loads((tmp_path / "org.json").read_text())
        union: Counter[tuple[str, str, str, int]] = Counter()
        for entry in after.values():
            union += _keys(json.loads((tmp_path / "org" / entry["file"]).read_text())["findings"])
        assert _keys(merged["findings"]) == union
        assert merged["summary"]["functions"] == 6
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait(timeout=60)


@pytest.mark.parametrize("flags", [["--jobs", "2"], ["--ray"]])
def test_no_reachable_account_exits_3(flags: list[str], aws_env: None, tmp_path: Path) -> None:
    code, _ = _run(["audit", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1", "--format", "json",
                      "-o", str(tmp_path / "x.json"), "--units-dir", str(tmp_path / "units"), *flags])
    assert code == 3
