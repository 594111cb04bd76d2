"""`faasguard scan --repos`: real serverless-patterns checkouts on the local process pool; merged report ==
union of single `faasguard scan PATH` reports; a missing checkout fails its unit only; `--resume` runs the rest."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from faasguard.cli import main

CORPUS = Path("/work/shared/corpora/serverless-patterns")
if not CORPUS.is_dir():
    CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "serverless-patterns"
REPOS = ["api-sqs-lambda-python", "apigw-data-validation-tf", "apigw-lambda-dynamodb"]


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.output


def _keys(findings: list[dict[str, Any]]) -> Counter[tuple[str, str, str, int]]:
    return Counter((f["rule_id"], f["resource"], f["location"]["path"], f["location"]["line"]) for f in findings)


def test_merged_report_is_the_union_and_a_missing_checkout_fails_alone(tmp_path: Path) -> None:
    repos = tmp_path / "repos.txt"
    repos.write_text("\n".join([str(CORPUS / r) for r in REPOS] + [str(tmp_path / "gone")]) + "\n")
    args = ["scan", "--repos", str(repos), "--jobs", "2", "--units-dir", str(tmp_path / "units"),
            "--format", "json", "-o", str(tmp_path / "merged.json")]
    code, _ = _run(args)
    merged = json.loads((tmp_path / "merged.json").read_text())
    union: Counter[tuple[str, str, str, int]] = Counter()
    for repo in REPOS:
        _run(["scan", str(CORPUS / repo), "--format", "json", "-o", str(tmp_path / "one.json")])
        union += _keys(json.loads((tmp_path / "one.json").read_text())["findings"])
    assert sum(union.values()) > 0
    assert _keys(merged["findings"]) == union
    assert code == 1
    manifest = json.loads((tmp_path / "units" / "manifest.json").read_text())
    assert sorted(manifest["units"]) == sorted(str(CORPUS / r) for r in REPOS)
    assert list(manifest["failed"]) == [str(tmp_path / "gone")]
    failed = [d for d in merged["diagnostics"] if d["component"] == "fleet"]
    assert [(d["level"], d["location"]["path"]) for d in failed] == [("error", str(tmp_path / "gone"))]
    assert "FileNotFoundError: no checkout at" in failed[0]["message"]
    # the checkout appears; --resume runs that unit only and reports the whole set
    (tmp_path / "gone").mkdir()
    (tmp_path / "gone" / "app.py").write_text("import os\n\ndef handler(event, context):\n"
                                              "    os.system(event['cmd'])\n")
    mtimes = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "units").glob("0000[012]-*.json")}
    code, _ = _run([*args, "--resume"])
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "units").glob("0000[012]-*.json")} == mtimes
    resumed = json.loads((tmp_path / "merged.json").read_text())
    assert not [d for d in resumed["diagnostics"] if d["component"] == "fleet"]
    added = _keys(resumed["findings"]) - union
    assert added == Counter({("FG501", "app.handler", str(tmp_path / "gone" / "app.py"), 4): 1})
    assert json.loads((tmp_path / "units" / "manifest.json").read_text())["failed"] == {}


def test_fleet_options_need_repos(tmp_path: Path) -> None:
    # `--jobs` is not one of them: without --repos it is the scan's own number of processes
    code, out = _run(["scan", "--units-dir", str(tmp_path / "units"), str(tmp_path)])
    assert code == 2
    assert "--repos" in out
