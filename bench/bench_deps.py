"""Benchmark: match 30 pinned requirements against a full-size PyPI OSV export held offline.

    .venv/bin/python bench/bench_deps.py [--export /tmp/PyPI-all.zip]

With `--export` it indexes a real OSV export (`https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip`,
downloaded by hand into /tmp, never into the repository). Without it, it writes a synthetic export of the same
scale and shape into /tmp (≈ 25,000 records over ≈ 9,000 packages, GHSA/PYSEC/MAL-shaped, `versions` lists and
ECOSYSTEM ranges, aliases), since this machine may not reach the OSV bucket. It reports:

* index build time and size (one-time, what `faasguard db update` / a large `--advisories` zip costs),
* matching time for the 30 requirements after the build (opening the index + lookup + OSV matching + merging),
  cold (new process state) and warm.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REQUIREMENTS = """\
requests==2.25.0
PyYAML==5.3
urllib3==1.26.5
Django==3.2.10
Jinja2==2.11.2
Flask==1.1.2
Werkzeug==1.0.1
cryptography==3.3.1
Pillow==8.1.0
numpy==1.19.5
pandas==1.2.0
boto3==1.34.0
botocore==1.34.0
idna==2.10
certifi==2020.12.5
aiohttp==3.7.3
lxml==4.6.2
sqlalchemy==1.3.22
paramiko==2.7.2
pyjwt==1.7.1
markupsafe==1.1.1
setuptools==50.3.2
protobuf==3.14.0
grpcio==1.34.0
psycopg2-binary==2.8.6
redis==3.5.3
httpx==0.16.1
starlette==0.13.6
fastapi==0.61.2
pydantic==1.7.3
"""


def synthetic_export(path: Path, seed: int = 7) -> None:
    rng = random.Random(seed)
    wanted = [line.split("==")[0] for line in REQUIREMENTS.splitlines()]
    names = wanted + [f"pkg-{i:05d}" for i in range(9_000)]
    fixtures = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "deps" / "advisories"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for fixture in fixtures.glob("*.json"):
            zf.writestr(fixture.name, fixture.read_text())
        for i in range(25_000):
            name = names[i % len(wanted)] if i < len(wanted) * 6 else rng.choice(names)
            major = rng.randint(0, 5)
            fixed = f"{major}.{rng.randint(1, 30)}.{rng.randint(0, 9)}"
            versions = [f"{major}.{m}.{p}" for m in range(rng.randint(1, 20)) for p in range(rng.randint(1, 6))]
            kind = rng.random()
            if kind < 0.45:
                record_id = f"GHSA-{i:04x}-{rng.randint(0, 0xffff):04x}-{rng.randint(0, 0xffff):04x}"
                aliases = [f"CVE-20{rng.randint(10, 25)}-{rng.randint(1000, 99999)}"]
                extra = {"database_specific": {"severity": rng.choice(["LOW", "MODERATE", "HIGH", "CRITICAL"])},
                         "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}
            elif kind < 0.75:
                record_id = f"PYSEC-20{rng.randint(10, 25)}-{i}"
                aliases = [f"CVE-20{rng.randint(10, 25)}-{rng.randint(1000, 99999)}"]
                extra = {}
            else:
                record_id = f"MAL-2024-{i}"
                aliases = []
                extra = {}
            record = {
                "schema_version": "1.6.0", "id": record_id, "modified": "2025-01-01T00:00:00Z",
                "published": "2024-01-01T00:00:00Z", "aliases": aliases,
                "summary": f"synthetic advisory {i}", "details": "x" * rng.randint(200, 2000),
                "affected": [{"package": {"ecosystem": "PyPI", "name": name, "purl": f"pkg:pypi/{name.lower()}"},
                              "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
                              "versions": versions}],
                "references": [{"type": "WEB", "url": f"https://example.org/{i}"}] * rng.randint(1, 6),
                **extra,
            }
            zf.writestr(f"{record_id}.json", json.dumps(record))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--export", type=Path, help="a real OSV PyPI all.zip")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from faasguard.analysis.deps._python import RequirementsFile, RequirementsParser, marker_environments
    from faasguard.analysis.deps.advisories import SqliteStore, build_index
    from faasguard.analysis.deps.osv import match, merge
    from faasguard.model import Location

    work = Path(tempfile.mkdtemp(prefix="faasguard-bench-deps-"))
    export = args.export
    if export is None:
        export = work / "PyPI-all-synthetic.zip"
        started = time.perf_counter()
        synthetic_export(export)
        print(f"synthetic export: {export} ({export.stat().st_size / 1e6:.1f} MB, "
              f"{len(zipfile.ZipFile(export).namelist())} records) in {time.perf_counter() - started:.1f} s")
    index = work / "PyPI.sqlite"
    started = time.perf_counter()
    built = build_index(export, index, str(export))
    build_s = time.perf_counter() - started
    print(f"index build: {build_s:.2f} s, {built.records} records, {len(built.skipped)} skipped, "
          f"index size {index.stat().st_size / 1e6:.1f} MB")

    def run() -> tuple[int, int]:
        parser = RequirementsParser(lambda _f, _t: "n/a", marker_environments(["python3.12"]))
        deps = parser.parse(RequirementsFile("requirements.txt", REQUIREMENTS, lambda n: Location("r", n), "r"),
                            dev=False)
        store = SqliteStore(index)
        vulnerable = advisories = 0
        for dep in deps:
            assert dep.version
            found = [m for r in store.lookup("PyPI", dep.key) if (m := match(r, "PyPI", dep.key, dep.version))]
            if found:
                vulnerable += 1
                advisories += len(merge(found, "PyPI"))
        store.close()
        return vulnerable, advisories

    timings = []
    result = (0, 0)
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = run()
        timings.append((time.perf_counter() - started) * 1000)
    print(f"matching 30 pinned requirements: first {timings[0]:.1f} ms, median {statistics.median(timings):.1f} ms, "
          f"max {max(timings):.1f} ms over {args.repeat} runs (each opens the index afresh) -> "
          f"{result[0]} vulnerable packages, {result[1]} advisories")


if __name__ == "__main__":
    main()
