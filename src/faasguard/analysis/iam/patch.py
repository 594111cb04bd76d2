"""Least-privilege changes to a SAM/CloudFormation YAML template, as a unified diff `git apply` accepts.

Why text edits and not a YAML round-trip: re-serializing a template loses comments, key order, quoting and
short-form intrinsics, so the diff would touch every line. We edit only the lines that change, located by the
model's line numbers: the function's `Role:` line, its `Policies:` block, and the role resource's block.

Per function that needs a change (its role is shared, grants unused or wildcard permissions, or lacks one
the code needs):
* explicit role (`Role: !GetAtt X.Arn`): a new `AWS::IAM::Role` `<FunctionId>Role` with the AWS managed
  execution policies for logs/VPC/X-Ray and one inline policy with the generated statements; the function
  points at it; the old role is removed once nothing references it (a shared role is so split per function);
* implicit SAM role (`Policies:` on the function): the `Policies` block is replaced by the generated
  statements (SAM keeps attaching the execution policies it attaches for logs, VPC, tracing and pollers).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faasguard.analysis.iam.facts import FunctionNeeds, IamFacts, Need, RoleAccess, is_wildcard_resource
from faasguard.analysis.iam.least_privilege import (
    LOGS_ACTIONS,
    VPC_ACTIONS,
    XRAY_ACTIONS,
    generate,
    need_covered,
)
from faasguard.escape import path_bytes
from faasguard.model import Application, Function, PolicyKind
from faasguard.safeio import read_regular
from faasguard.sources import display_path

EXECUTION_ARN = "arn:${AWS::Partition}:iam::aws:policy/service-role/"

_C_ESCAPES = {0x07: "\\a", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0B: "\\v", 0x0C: "\\f", 0x0D: "\\r",
              0x22: '\\"', 0x5C: "\\\\"}
_OTHER_LINE_BREAKS = re.compile("\r(?!\n)|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""Line breaks other than LF/CRLF: Python's `splitlines`, YAML's line count and `git apply` disagree about them."""


def git_quote(name: str) -> str:
    """`name` as git writes it in a patch header: unchanged when it is plain, else C-style quoted with octal escapes
    for each byte of a control character or of a non-ASCII name (git's `core.quotePath` default). A newline in a
    directory name therefore cannot start a forged `+++` header: `git apply` unquotes it back to the one file."""
    raw = path_bytes(name)
    if not any(b < 0x20 or b >= 0x7F or b in (0x22, 0x5C) for b in raw):
        return name
    out = ['"']
    for byte in raw:
        if byte in _C_ESCAPES:
            out.append(_C_ESCAPES[byte])
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\{byte:03o}")
        else:
            out.append(chr(byte))
    out.append('"')
    return "".join(out)


@dataclass
class PatchResult:
    diffs: dict[str, str] = field(default_factory=dict)
    """Template path (relative to the scanned directory) → unified diff."""
    notes: list[str] = field(default_factory=list)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_content(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith("#")


def _block_end(lines: Sequence[str], start: int) -> int:
    """Index after the block whose key is at `start` (0-based): up to the next line at the same or lower
    indentation, trailing blank lines excluded."""
    base = _indent(lines[start])
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > base):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _sub(value: str) -> str:
    return f"!Sub {json.dumps(value)}" if "${" in value else json.dumps(value)


def yaml_statements(statements: Sequence[Mapping[str, object]], indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for st in statements:
        out.append(f"{pad}- Effect: {st['Effect']}")
        out.append(f"{pad}  Action:")
        actions = st["Action"]
        assert isinstance(actions, list)
        out.extend(f"{pad}    - {a}" for a in actions)
        out.append(f"{pad}  Resource:")
        resources = st["Resource"]
        assert isinstance(resources, list)
        out.extend(f"{pad}    - {_sub(str(r))}" for r in resources)
    return out


def _role_yaml(role_id: str, indent: int, managed: list[str], statements: list[dict[str, object]],
               step: int) -> list[str]:
    p = " " * indent
    s = " " * step
    out = [f"{p}{role_id}:", f"{p}{s}Type: AWS::IAM::Role", f"{p}{s}Properties:",
           f"{p}{s * 2}AssumeRolePolicyDocument:", f'{p}{s * 3}Version: "2012-10-17"', f"{p}{s * 3}Statement:",
           f"{p}{s * 4}- Effect: Allow", f"{p}{s * 4}  Principal:", f"{p}{s * 4}    Service: lambda.amazonaws.com",
           f"{p}{s * 4}  Action: sts:AssumeRole"]
    if managed:
        out.append(f"{p}{s * 2}ManagedPolicyArns:")
        out.extend(f"{p}{s * 3}- !Sub {json.dumps(EXECUTION_ARN + m)}" for m in managed)
    if statements:
        out += [f"{p}{s * 2}Policies:", f"{p}{s * 3}- PolicyName: least-privilege",
                f"{p}{s * 3}  PolicyDocument:", f'{p}{s * 3}    Version: "2012-10-17"',
                f"{p}{s * 3}    Statement:"]
        out.extend(yaml_statements(statements, indent + step * 3 + 6))
    return out


def needs_change(ra: RoleAccess, fn_needs: FunctionNeeds, app: Application) -> bool:
    """Whether the function's declared role differs from what it needs (in a way FG1xx rules report)."""
    from faasguard.analysis.iam.catalog import get_catalog
    from faasguard.analysis.iam.facts import action_matches

    if len(ra.functions) > 1:
        return True
    cat = get_catalog()
    needed = {n.action.lower() for n in fn_needs.needs}
    for g in ra.allows:
        if g.execution_policy or g.policy.kind is PolicyKind.SAM_TEMPLATE:
            continue
        if g.not_actions is not None or g.not_resources is not None:
            return True
        for pattern in g.actions:
            if "*" in pattern or not any(action_matches(pattern, n) for n in needed):
                return True
            if g.wildcard_resources() and cat.resource_types(pattern):
                return True
    return any(need_covered(ra, n, app) is False for n in fn_needs.needs if n.origin == "code")


def _platform_managed(fn: Function, needs: Sequence[Need]) -> tuple[list[str], set[str]]:
    """AWS managed execution policies to attach for the platform needs, and the actions they cover."""
    managed = ["AWSLambdaBasicExecutionRole"]
    covered = set(LOGS_ACTIONS)
    if fn.vpc is not None:
        managed = ["AWSLambdaVPCAccessExecutionRole"]
        covered |= set(VPC_ACTIONS)
    if any(n.action in XRAY_ACTIONS for n in needs):
        managed.append("AWSXRayDaemonWriteAccess")
        covered |= set(XRAY_ACTIONS)
    return managed, covered


def _template_text(path: Path) -> list[str] | None:
    try:
        text = read_regular(path).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if text.lstrip().startswith("{") or _OTHER_LINE_BREAKS.search(text):
        return None
    return text.splitlines(keepends=True)


def build_patch(app: Application, iam: IamFacts, scanned_dir: Path, cwd: Path) -> PatchResult:  # noqa: C901, PLR0912, PLR0915 -- the patch is built in one ordered pass (roles split, policies, references)
    result = PatchResult()
    per_file: dict[Path, list[tuple[int, int, list[str]]]] = {}
    role_users: dict[str, int] = {}
    moved: dict[str, int] = {}
    originals: dict[Path, list[str]] = {}
    for fn in app.functions:
        fn_needs = iam.needs.get(fn.id)
        ra = iam.role_of(fn.id)
        if fn_needs is None or ra is None or not fn_needs.code_analyzed or ra.role.external:
            continue
        if fn_needs.unmapped:
            result.notes.append(f"{fn.id}: not patched, calls we cannot map: {', '.join(fn_needs.unmapped)}")
            continue
        if not needs_change(ra, fn_needs, app):
            continue
        path = Path(fn.location.path)
        path = path if path.is_absolute() else cwd / path
        lines = originals.get(path) or _template_text(path)
        if lines is None:
            result.notes.append(f"{fn.id}: {fn.location.path} is not a YAML template with LF or CRLF line ends "
                                "(or cannot be read); patch it by hand")
            continue
        originals[path] = lines
        edits = per_file.setdefault(path, [])
        start = fn.location.line - 1
        if start >= len(lines) or fn.id not in lines[start]:
            result.notes.append(f"{fn.id}: could not find the function in {fn.location.path}")
            continue
        end = _block_end(lines, start)
        step = max(2, _indent(lines[start + 1]) - _indent(lines[start])) if start + 1 < end else 2
        if ra.role.implicit:
            excluded = {n.action for n in fn_needs.needs if n.origin == "platform" and n.action != "kms:Decrypt"}
            gen = generate(fn_needs, ra, exclude_actions=excluded)
            edit = _replace_policies(lines, start, end, gen.document["Statement"], step)  # type: ignore[arg-type]
            if edit is None:
                result.notes.append(f"{fn.id}: no Policies block found; not patched")
                continue
            edits.append(edit)
        else:
            managed, covered = _platform_managed(fn, fn_needs.needs)
            gen = generate(fn_needs, ra, exclude_actions=covered)
            new_id = _free_id(f"{fn.id}Role", app, lines)
            role_line = _find_key(lines, start, end, "Role")
            if role_line is None:
                result.notes.append(f"{fn.id}: no Role property found (set in Globals?); not patched")
                continue
            r_end = _block_end(lines, role_line)
            key_pad = lines[role_line][: _indent(lines[role_line])]
            edits.append((role_line, r_end, [f"{key_pad}Role: !GetAtt {new_id}.Arn\n"]))
            block = _role_yaml(new_id, _indent(lines[start]), managed,
                               gen.document["Statement"], step)  # type: ignore[arg-type]
            edits.append((end, end, ["\n", *(line + "\n" for line in block)]))
            moved[ra.role.id] = moved.get(ra.role.id, 0) + 1
            role_users[ra.role.id] = len(ra.functions)
        result.notes.extend(f"{fn.id}: {n}" for n in gen.notes)
    for path, edits in per_file.items():
        lines = list(originals[path])
        for role_id, count in moved.items():
            role = next(r for r in app.roles if r.id == role_id)
            if count < role_users[role_id] or Path(role.location.path).name != path.name:
                continue
            r_start = role.location.line - 1
            if r_start < len(lines) and lines[r_start].strip().startswith(f"{role_id}:"):
                r_end = _block_end(lines, r_start)
                c_start = r_start
                while c_start > 0 and lines[c_start - 1].strip().startswith("#") and \
                        _indent(lines[c_start - 1]) == _indent(lines[r_start]):
                    c_start -= 1
                others = "".join(lines[:c_start] + lines[r_end:])
                still_used = [i for i, line in enumerate(lines) if i < c_start or i >= r_end
                              if re.search(rf"\b{re.escape(role_id)}\b", line) and not _in_edit(i, edits)]
                if not still_used and others:
                    if r_end < len(lines) and not lines[r_end].strip():
                        r_end += 1
                    edits.append((c_start, r_end, []))
        if any(_broken_line(line) for _, _, repl in edits for line in repl):
            # A logical id or resource from the template carried a line break into a generated line: written as is,
            # it would add unprefixed lines (a forged header or hunk) to the patch. Refused, not escaped.
            result.notes.append(f"{display_path(path)}: a generated line would hold a line break from a name in the "
                                "template; not patched")
            continue
        new = list(lines)
        for s, e, repl in sorted(edits, key=lambda x: (x[0], x[1]), reverse=True):
            new[s:e] = repl
        try:
            rel = path.resolve().relative_to(scanned_dir.resolve()).as_posix()
        except ValueError:
            rel = path.name
        if new != lines:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
                new[-1] = new[-1] if new[-1].endswith("\n") else new[-1] + "\n"
            result.diffs[rel] = "".join(difflib.unified_diff(lines, new, git_quote(f"a/{rel}"),
                                                             git_quote(f"b/{rel}"), lineterm="\n"))
    return result


def _broken_line(line: str) -> bool:
    body = line[:-1] if line.endswith("\n") else line
    return "\n" in body or bool(_OTHER_LINE_BREAKS.search(body)) or any(ord(c) < 0x20 and c != "\t" for c in body)


def _in_edit(index: int, edits: list[tuple[int, int, list[str]]]) -> bool:
    return any(s <= index < e for s, e, _ in edits)


def _find_key(lines: Sequence[str], start: int, end: int, key: str) -> int | None:
    for i in range(start + 1, end):
        if re.match(rf"^\s+{key}:(\s|$)", lines[i]):
            return i
    return None


def _free_id(base: str, app: Application, lines: Sequence[str]) -> str:
    taken = {r.id for r in app.roles} | {r.id for r in app.resources} | {f.id for f in app.functions}
    text = "".join(lines)
    candidate = base
    n = 2
    while candidate in taken or re.search(rf"^\s+{re.escape(candidate)}:", text, re.MULTILINE):
        candidate = f"{base}{n}"
        n += 1
    return candidate


def _replace_policies(lines: Sequence[str], start: int, end: int, statements: list[dict[str, object]],
                      step: int) -> tuple[int, int, list[str]] | None:
    i = _find_key(lines, start, end, "Policies")
    if i is None:
        return None
    base = _indent(lines[i])
    j = i + 1
    while j < end and (not lines[j].strip() or _indent(lines[j]) > base or
                       (_indent(lines[j]) == base and lines[j].lstrip().startswith("- "))):
        j += 1
    while j > i + 1 and not lines[j - 1].strip():
        j -= 1
    pad = " " * base
    s = " " * step
    block = [f"{pad}Policies:", f'{pad}{s}- Version: "2012-10-17"', f"{pad}{s}  Statement:"]
    block += yaml_statements(statements, base + step + 4)
    return i, j, [line + "\n" for line in block]


def wildcard_fallbacks(statements: Sequence[Mapping[str, object]]) -> list[str]:
    return [str(a) for st in statements for a in st.get("Action", []) or []  # type: ignore[attr-defined]
            if any(is_wildcard_resource(str(r)) for r in st.get("Resource", []) or [])]  # type: ignore[attr-defined]
