"""Build the PyPI advisory snapshot that ships in the package (src/faasguard/data/advisories/).

Source: a checkout of the PyPA advisory database (https://github.com/pypa/advisory-database, CC-BY 4.0), OSV
records in YAML under `vulns/<package>/`. Each record is reduced to what matching and reporting read (id,
aliases, summary, withdrawn, affected packages with their non-GIT ranges and versions, severity) and written
with a package index, the attribution the licence asks for, and the data's date: the newest `modified` time of
any record, which is what "the advisories are as of" means to a reader (the checkout's own date may be later).

    python scripts/build_advisory_snapshot.py ../shared/advisories/pypa-advisory-database \\
        --commit 3ccb612573e2511ab5cad7dafecd838605c80cda

The output is deterministic for a given input (sorted records, gzip mtime 0), so a refresh diff shows only
real changes. Format 2 is JSON Lines: a header with the package index, then one record per line, so that a scan
parses the few records it looks up rather than all 2,600 (~45 ms of every scan with Python dependencies).
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name

OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "faasguard" / "data" / "advisories"
FORMAT = 2
SUMMARY_CHARS = 200


def reduce(record: dict[str, Any]) -> dict[str, Any] | None:
    """The fields faasguard reads; None for a record without a PyPI package."""
    affected = []
    for entry in record.get("affected") or []:
        package = entry.get("package") or {}
        if package.get("ecosystem") != "PyPI" or not isinstance(package.get("name"), str):
            continue
        kept: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": package["name"]}}
        ranges = [{"type": r["type"], "events": r["events"]} for r in entry.get("ranges") or []
                  if isinstance(r, dict) and r.get("type") in ("ECOSYSTEM", "SEMVER")]
        if ranges:
            kept["ranges"] = ranges
        if entry.get("versions"):
            kept["versions"] = [str(v) for v in entry["versions"]]
        for key in ("ecosystem_specific", "database_specific"):
            specific = entry.get(key)
            if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
                kept[key] = {"severity": specific["severity"]}
        affected.append(kept)
    if not affected:
        return None
    summary = record.get("summary") or ""
    if not summary and isinstance(record.get("details"), str) and record["details"].strip():
        summary = record["details"].strip().splitlines()[0]
    out: dict[str, Any] = {"id": record["id"], "summary": str(summary)[:SUMMARY_CHARS], "affected": affected}
    if record.get("aliases"):
        out["aliases"] = [str(a) for a in record["aliases"]]
    if record.get("withdrawn"):
        out["withdrawn"] = str(record["withdrawn"])
    if record.get("severity"):
        out["severity"] = record["severity"]
    specific = record.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        out["database_specific"] = {"severity": specific["severity"]}
    return out


def build(source: Path, commit: str | None) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    records: list[dict[str, Any]] = []
    newest = ""
    for path in sorted((source / "vulns").rglob("*.yaml")):
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            sys.exit(f"{path}: not an OSV record")
        # YAML turns unquoted timestamps into datetimes; the date is compared as ISO text.
        modified = raw.get("modified")
        stamp = modified.isoformat() if hasattr(modified, "isoformat") else str(modified or "")
        newest = max(newest, stamp)
        reduced = reduce(json.loads(json.dumps(raw, default=str)))
        if reduced is not None:
            records.append(reduced)
    records.sort(key=lambda r: r["id"])
    packages: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        for key in sorted({canonicalize_name(a["package"]["name"]) for a in record["affected"]}):
            packages.setdefault(key, []).append(index)
    return {
        "format": FORMAT,
        "ecosystem": "PyPI",
        "date": newest[:10],
        "source": "https://github.com/pypa/advisory-database" + (f" at {commit}" if commit else ""),
        "license": "CC-BY-4.0",
        "attribution": "Python Packaging Advisory Database (https://github.com/pypa/advisory-database), "
                       "CC-BY 4.0; records reduced to the fields faasguard matches on",
        "packages": dict(sorted(packages.items())),
        "records": records,
    }


def serialise(snapshot: dict[str, Any]) -> bytes:
    """Format 2: the header (everything but the records, with the package index) on the first line, then one
    record per line in index order, so that a scan parses only the header and the records it looks up."""
    header = {k: v for k, v in snapshot.items() if k != "records"}
    lines = [json.dumps(header, separators=(",", ":"))]
    lines += [json.dumps(record, separators=(",", ":")) for record in snapshot["records"]]
    return "\n".join(lines).encode() + b"\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="checkout of pypa/advisory-database")
    parser.add_argument("--commit", help="the checkout's commit, recorded in the snapshot")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    snapshot = build(args.source, args.commit)
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / "pypi-snapshot.jsonl.gz"
    target.write_bytes(gzip.compress(serialise(snapshot), compresslevel=9, mtime=0))
    shutil.copyfile(args.source / "LICENSE", args.out / "LICENSE-pypa-advisory-database")
    print(f"wrote {target}: {len(snapshot['records'])} records, {len(snapshot['packages'])} packages, "
          f"data of {snapshot['date']}, {target.stat().st_size} bytes")


if __name__ == "__main__":
    main()
