"""Bounded work and per-file isolation (issue 20, items 2 and 3).

Each hostile input runs through the real CLI in a subprocess whose address space is capped (RLIMIT_AS), so a
regression fails fast instead of swapping the machine. Each case asserts the located diagnostic for the bad
file and that a good sibling file of the same scan still yields its finding.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

MEMORY_CAP = 1536 * 1024 * 1024

GOOD = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Role: arn:aws:iam::123456789012:role/x
      Runtime: python2.7
      Handler: a.b
      Code: {ZipFile: x}
"""


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def scan(root: Path) -> tuple[int, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = root / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "faasguard", "scan", "bad", "good", "--format", "json", "-o", str(out)],
        cwd=root, env=env, preexec_fn=_cap, timeout=180, capture_output=True, check=False)
    assert out.exists(), proc.stderr.decode()[-2000:]
    return proc.returncode, json.loads(out.read_text())


def _aliases(levels: int, indent: str) -> list[str]:
    lines = [f"{indent}a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{indent}a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return lines


def complex_keys() -> dict[str, str]:
    return {"template.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Q: {Type: AWS::SQS::Queue}\n'
            + "? " * 32 + "a\n"}


def find_in_map() -> dict[str, str]:
    lines = ['AWSTemplateFormatVersion: "2010-09-09"', "Mappings:", "  M:", "    K:", *_aliases(6, "      "),
             "Resources:"]
    for n in range(60):
        lines += [f"  F{n}:", "    Type: AWS::Lambda::Function", "    Properties:",
                  "      Role: arn:aws:iam::123456789012:role/x", "      Tags: !FindInMap [M, K, a5]"]
    return {"template.yaml": "\n".join(lines) + "\n"}


def sam_globals() -> dict[str, str]:
    lines = ["Transform: AWS::Serverless-2016-10-31", "Globals:", "  Function:", "    Environment:",
             "      Variables:", *_aliases(6, "        "), "Resources:"]
    for n in range(60):
        lines += [f"  F{n}:", "    Type: AWS::Serverless::Function", "    Properties:", "      Runtime: python3.12",
                  "      Handler: a.b", "      InlineCode: x"]
    return {"template.yaml": "\n".join(lines) + "\n"}


def serverless_doubling() -> dict[str, str]:
    text = "service: s\nprovider:\n  name: aws\n  runtime: python3.12\ncustom:\n  v0: aaaaaaaaaaaaaaaa\n"
    text += "".join(f"  v{i}: ${{self:custom.v{i - 1}}}${{self:custom.v{i - 1}}}\n" for i in range(1, 40))
    text += "functions:\n  f:\n    handler: app.handler\n    environment:\n      X: ${self:custom.v39}\n"
    return {"serverless.yml": text}


def module_fan_out() -> dict[str, str]:
    # ten calls of the next level's module at each of six levels: 10^6 instances if nothing stops it
    files = {}
    for depth in range(7):
        prefix = "".join(f"m{i}/" for i in range(1, depth + 1))
        calls = "".join(f'module "m{n}" {{\n  source = "./m{depth + 1}"\n}}\n' for n in range(10)) if depth < 6 else ""
        files[prefix + "main.tf"] = calls + f'resource "aws_sqs_queue" "q" {{\n  name = "q{depth}"\n}}\n'
    return files


def terraform_doubling() -> dict[str, str]:
    text = 'locals {\n  l0 = ["aaaaaaaaaaaaaaaa"]\n  s0 = "aaaaaaaaaaaaaaaa"\n'
    text += "".join(f"  l{i} = concat(local.l{i - 1}, local.l{i - 1})\n" for i in range(1, 40))
    text += "".join(f'  s{i} = format("%s%s", local.s{i - 1}, local.s{i - 1})\n' for i in range(1, 40))
    text += ('}\nresource "aws_lambda_function" "f" {\n  function_name = local.s39\n  role = "r"\n'
             '  environment {\n    variables = { X = join(",", local.l39) }\n  }\n}\n')
    return {"main.tf": text}


def big_integer() -> dict[str, str]:
    return {"template.yaml": 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  F:\n'
            "    Type: AWS::Lambda::Function\n    Properties:\n      Timeout: " + "9" * 5000 + "\n"}


def nested_dynamic() -> dict[str, str]:
    opening = 'dynamic "ingress" {\nfor_each = [1]\ncontent {\n' * 2000
    return {"main.tf": 'resource "aws_security_group" "g" {\n' + opening + "}\n}\n}\n" * 2000 + "}\n"}


def long_filename() -> dict[str, str]:
    return {"main.tf": 'resource "aws_lambda_function" "f" {\n  function_name = "f"\n  role = "r"\n'
            f'  filename = "{"a" * 300}.zip"\n  handler = "app.handler"\n  runtime = "python3.12"\n}}\n'}


def long_file_variable() -> dict[str, str]:
    return {"serverless.yml": "service: s\nprovider:\n  name: aws\n  runtime: python3.12\ncustom:\n"
            f"  x: ${{file(./{'a' * 300}.yml)}}\nfunctions:\n  f:\n    handler: app.handler\n"}


# (builder, bad file, expected diagnostic kind, text in its message or None when an Unknown suffices, line)
CASES: list[tuple[Callable[[], dict[str, str]], str, str | None, str | None, int | None]] = [
    (find_in_map, "bad/template.yaml", "parse-error", "work budget of bad/template.yaml (nodes", 16),
    (sam_globals, "bad/template.yaml", "parse-error", "work budget of bad/template.yaml (nodes", 6),
    (serverless_doubling, "bad/serverless.yml", "parse-error", "work budget of bad/serverless.yml (text", None),
    (module_fan_out, "bad", "parse-error", "(modules above 1,000)", None),
    (nested_dynamic, "bad/main.tf", "parse-error", "nests too deeply to load", 1),
    (long_filename, None, "parse-error", "names a path the system refuses (File name too long)", None),
    (long_file_variable, "bad/serverless.yml", "parse-error", "names a path the system refuses", 6),
    # bounded without refusing the file: the value becomes Unknown / a placeholder, the file is modelled
    (complex_keys, None, None, None, None),
    (terraform_doubling, None, None, None, None),
    (big_integer, None, None, None, None),
]


@pytest.mark.parametrize(("build", "path", "kind", "message", "line"), CASES,
                         ids=[case[0].__name__ for case in CASES])
def test_hostile_input_is_bounded_and_isolated(tmp_path: Path, build: Callable[[], dict[str, str]],
                                               path: str | None, kind: str | None, message: str | None,
                                               line: int | None) -> None:
    for name, text in build().items():
        target = tmp_path / "bad" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "template.yaml").write_text(GOOD)
    code, report = scan(tmp_path)
    diagnostics = report["diagnostics"]
    assert isinstance(diagnostics, list)
    assert not [d for d in diagnostics if d["kind"] == "internal-error"]
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["rule_id"], f["resource"], f["location"]["path"], f["location"]["line"])
            for f in findings if f["location"]["path"] == "good/template.yaml"] == [
        ("FG402", "Fn", "good/template.yaml", 7)]
    assert code == 1  # the exit code follows the findings: malformed input is not an internal error
    if kind is None:
        return
    matching = [d for d in diagnostics if d["kind"] == kind and message is not None and message in d["message"]]
    assert matching, diagnostics
    if path is not None:
        assert matching[0]["location"]["path"].startswith(path)
    if line is not None:
        assert matching[0]["location"]["line"] == line
