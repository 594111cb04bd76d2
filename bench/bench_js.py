"""JavaScript/TypeScript handler analysis throughput, against the Python analysis on the same shape of code.

Generates N handler projects in a temporary directory (a handler plus two local modules each, in the style of
the corpus: Express behind serverless-http, SDK v3 calls, SQL and child_process helpers) and the equivalent
Python project, analyses every handler, and prints files/s and lines/s for each language. With
`--tree DIR` it instead analyses every .js/.ts file under DIR as a bare module (e.g. an installed
node_modules) and reports throughput, the slowest file and crashes: there must be none. Run by hand:
`python bench/bench_js.py [N]`, `python bench/bench_js.py --tree DIR`. A real dependency tree for `--tree`:
`npm install --ignore-scripts` of an app's package.json in a scratch directory (never run install scripts).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from faasguard.analysis.code import analyze_file

JS_HANDLER = """const {{ query }} = require('./db');
const {{ notify }} = require('./notify');
const {{ S3Client, GetObjectCommand }} = require('@aws-sdk/client-s3');

const s3 = new S3Client({{}});

exports.handler = async (event) => {{
  const body = JSON.parse(event.body || '{{}}');
  for (const record of event.Records || []) {{
    const key = decodeURIComponent(record.s3.object.key);
    await s3.send(new GetObjectCommand({{ Bucket: process.env.BUCKET_{i}, Key: key }}));
  }}
  const rows = await query(body.customer);
  await notify(body.email, rows.length);
  return {{ statusCode: 200, body: JSON.stringify(rows) }};
}};
"""
JS_DB = """const mysql = require('mysql2/promise');
const pool = mysql.createPool({ host: process.env.DB_HOST });

async function query(customer) {
  const [rows] = await pool.query('SELECT * FROM orders WHERE customer = ?', [customer]);
  return rows;
}

module.exports = { query };
"""
JS_NOTIFY = """const { execFile } = require('child_process');

function notify(email, count) {
  return new Promise((resolve) => execFile('/usr/bin/mail', ['-s', String(count), email], resolve));
}

module.exports = { notify };
"""
PY_HANDLER = """import json
import os
from urllib.parse import unquote_plus

import boto3

from db import query
from notify import notify

s3 = boto3.client("s3")


def handler(event, context):
    body = json.loads(event.get("body") or "{{}}")
    for record in event.get("Records", []):
        key = unquote_plus(record["s3"]["object"]["key"])
        s3.get_object(Bucket=os.environ["BUCKET_{i}"], Key=key)
    rows = query(body["customer"])
    notify(body["email"], len(rows))
    return {{"statusCode": 200, "body": json.dumps(rows)}}
"""
PY_DB = """import os

import pymysql

conn = pymysql.connect(host=os.environ["DB_HOST"])


def query(customer):
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM orders WHERE customer = %s", (customer,))
        return cur.fetchall()
"""
PY_NOTIFY = """import subprocess


def notify(email, count):
    subprocess.run(["/usr/bin/mail", "-s", str(count), email], check=False)
"""


def _generate(root: Path, n: int) -> tuple[list[Path], list[Path]]:
    js, py = [], []
    for i in range(n):
        jdir, pdir = root / "js" / f"svc{i}", root / "py" / f"svc{i}"
        jdir.mkdir(parents=True)
        pdir.mkdir(parents=True)
        (jdir / "index.js").write_text(JS_HANDLER.format(i=i))
        (jdir / "db.js").write_text(JS_DB)
        (jdir / "notify.js").write_text(JS_NOTIFY)
        (pdir / "app.py").write_text(PY_HANDLER.format(i=i))
        (pdir / "db.py").write_text(PY_DB)
        (pdir / "notify.py").write_text(PY_NOTIFY)
        js.append(jdir / "index.js")
        py.append(pdir / "app.py")
    return js, py



def _time(handlers: list[Path]) -> float:
    start = time.perf_counter()
    for handler in handlers:
        facts, _ = analyze_file(handler, "handler")
        assert facts is not None
    return time.perf_counter() - start


def bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        js, py = _generate(Path(tmp), n)
        for label, handlers in (("javascript", js), ("python", py)):
            files = 3 * len(handlers)
            lines = sum(len(f.read_text().splitlines()) for h in handlers for f in h.parent.iterdir())
            seconds = _time(handlers)
            print(f"{label:10} {files} files {lines} lines in {seconds:.2f}s: {files / seconds:,.0f} files/s, "
                  f"{lines / seconds:,.0f} lines/s")


def tree(directory: Path) -> None:
    from faasguard.analysis.code.js.analyzer import JsAnalyzer
    from faasguard.analysis.code.js.modules import JS_SUFFIXES

    files = [p for p in directory.rglob("*") if p.suffix in JS_SUFFIXES and p.is_file() and not p.is_symlink()]
    analyzer = JsAnalyzer((directory.resolve(),))
    crashes = 0
    lines = 0
    slowest = (0.0, Path())
    start = time.perf_counter()
    for path in files:
        began = time.perf_counter()
        try:
            lines += path.read_bytes().count(b"\n")
            analyzer.scope_of(path.resolve())
            analyzer.analyze_handler(path.resolve(), "handler")
        except Exception as exc:  # counting crashes is the point
            crashes += 1
            print(f"CRASH {path}: {type(exc).__name__}: {exc}")
        slowest = max(slowest, (time.perf_counter() - began, path))
    seconds = time.perf_counter() - start
    print(f"{len(files)} files, {lines:,} lines in {seconds:.1f}s ({len(files) / seconds:,.0f} files/s, "
          f"{lines / seconds:,.0f} lines/s), {crashes} crashes; slowest {slowest[0]:.2f}s {slowest[1]}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--tree":
        tree(Path(sys.argv[2]))
    else:
        bench(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
