"""`faasguard db update` and `scan --online` against a local OSV-shaped HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner
from deps_helpers import ADVISORIES

from faasguard.analysis.deps.advisories import AdvisoryError, query_online, update_database
from faasguard.cli import main


class OsvStub(BaseHTTPRequestHandler):
    """Serves `/<Ecosystem>/all.zip`, `/v1/querybatch` and `/v1/vulns/<id>` from the fixture records."""

    mode: ClassVar[str] = "ok"
    requests_seen: ClassVar[list[str]] = []

    def log_message(self, *_: Any) -> None:
        return

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _slow(self) -> bool:
        if self.mode == "timeout":
            time.sleep(1.5)
            return True
        return False

    def do_GET(self) -> None:
        self.requests_seen.append(f"GET {self.path}")
        if self._slow():
            return
        if self.mode == "error":
            self._send(503, b'{"message": "unavailable"}')
            return
        if self.path.endswith("/all.zip"):
            ecosystem = self.path.split("/")[-2]
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(ADVISORIES.glob("*.json")):
                    record = json.loads(path.read_text())
                    if any(a["package"]["ecosystem"] == ecosystem for a in record["affected"]):
                        zf.writestr(path.name, path.read_text())
                zf.writestr("corrupt.json", "{not json")
            self._send(200, buffer.getvalue(), "application/zip")
        elif self.path.startswith("/v1/vulns/"):
            path = ADVISORIES / f"{self.path.rsplit('/', 1)[1]}.json"
            self._send(200, path.read_bytes()) if path.is_file() else self._send(404, b"{}")
        else:
            self._send(404, b"{}")

    def do_POST(self) -> None:
        self.requests_seen.append(f"POST {self.path}")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self._slow():
            return
        if self.mode == "error":
            self._send(500, b'{"message": "internal"}')
            return
        if self.mode == "garbage":
            self._send(200, b"<html>not json</html>", "text/html")
            return
        from faasguard.analysis.deps.osv import match, parse_record

        records = [parse_record(json.loads(p.read_text())) for p in ADVISORIES.glob("*.json")]
        results = []
        for query in body["queries"]:
            package = query["package"]
            from faasguard.analysis.deps.osv import package_key

            key = package_key(package["ecosystem"], package["name"])
            hits = [{"id": r.id, "modified": "2024-01-01T00:00:00Z"} for r in records
                    if match(r, package["ecosystem"], key, query["version"])]
            results.append({"vulns": hits} if hits else {})
        self._send(200, json.dumps({"results": results}).encode())


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    OsvStub.mode = "ok"
    OsvStub.requests_seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), OsvStub)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setenv("FAASGUARD_OSV_EXPORT_URL", base)
    monkeypatch.setenv("FAASGUARD_OSV_API_URL", f"{base}/v1")
    yield base
    httpd.shutdown()
    httpd.server_close()


def test_db_update_then_offline_scan_uses_the_cache(server: str, sam_app: Path, isolated_cache: Path) -> None:
    runner = CliRunner()
    updated = runner.invoke(main, ["db", "update"])
    assert updated.exit_code == 0, updated.output
    assert "PyPI: 8 advisories" in updated.output
    assert "1 corrupt record(s) skipped" in updated.output
    assert (isolated_cache / "osv" / "PyPI.sqlite").is_file()
    assert (isolated_cache / "osv" / "npm.sqlite").is_file()
    assert not list((isolated_cache / "osv").glob("*.download"))
    status = runner.invoke(main, ["db", "status"])
    assert "PyPI: 8 advisories" in status.output
    OsvStub.requests_seen.clear()
    result = runner.invoke(main, ["scan", str(sam_app), "--select", "FG601", "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    ids = {f["message"].split("vulnerability ")[1].split(" ")[0] for f in report["findings"]}
    assert {"CVE-2023-32681", "CVE-2020-14343", "CVE-2021-23337"} <= ids
    assert OsvStub.requests_seen == []  # an offline scan never touches the network


def test_db_update_failure_keeps_previous_database(server: str, isolated_cache: Path) -> None:
    assert all(r.ok for r in update_database(["PyPI"]))
    OsvStub.mode = "error"
    results = update_database(["PyPI"])
    assert not results[0].ok
    assert "HTTP 503" in results[0].message
    assert "previous database is kept" in results[0].message
    assert (isolated_cache / "osv" / "PyPI.sqlite").is_file()
    failed = CliRunner().invoke(main, ["db", "update", "--ecosystem", "npm"])
    assert failed.exit_code == 1
    assert "update failed" in failed.output


def test_db_update_timeout_is_a_clear_error(server: str) -> None:
    OsvStub.mode = "timeout"
    results = update_database(["PyPI"], timeout=0.3)
    assert not results[0].ok
    assert "did not answer within 0.3 s" in results[0].message


def test_online_scan_queries_the_batch_api(server: str, sam_app: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(sam_app), "--select", "FG601", "--online", "--format", "json"])
    report = json.loads(result.output)
    messages = [f["message"] for f in report["findings"]]
    assert any(m.startswith("requests 2.25.0 in function OrdersFunction") and "CVE-2023-32681" in m
               for m in messages)
    assert any(m.startswith("lodash 4.17.20") for m in messages)
    assert "POST /v1/querybatch" in OsvStub.requests_seen
    assert "GET /v1/vulns/GHSA-j8r2-6x86-q33q" in OsvStub.requests_seen


@pytest.mark.parametrize(("mode", "message"), [
    ("error", "HTTP 500"), ("garbage", "invalid JSON"), ("timeout", "did not answer"),
])
def test_online_failure_is_a_diagnostic_and_the_scan_goes_on(server: str, sam_app: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             mode: str, message: str) -> None:
    OsvStub.mode = mode
    import faasguard.analysis.deps.advisories as adv

    original = adv.query_online
    monkeypatch.setattr(adv, "query_online", lambda triples: original(triples, timeout=0.3))
    result = CliRunner().invoke(main, ["scan", str(sam_app), "--select", "FG6", "--online", "--format", "json"])
    report = json.loads(result.output)
    failures = [d for d in report["diagnostics"] if "online advisory lookup failed" in d["message"]]
    assert len(failures) == 1
    assert message in failures[0]["message"]
    rules = {f["rule_id"] for f in report["findings"]}
    assert "FG601" not in rules
    assert {"FG602", "FG603", "FG605"} <= rules
    assert result.exit_code == 1  # findings, not an internal error


def test_query_online_rejects_non_http_urls() -> None:
    with pytest.raises(AdvisoryError, match="only http"):
        query_online([("PyPI", "requests", "2.25.0")], url="file:///etc")
