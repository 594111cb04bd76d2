"""The evaluation-step budget of a Terraform root module grows with its source, in a bounded way (issue 18).

A fixed per-root limit refused legitimate large roots (10,000 functions take ~1.4M steps); the limit is now the
fixed floor or one step per `SOURCE_CHARS_PER_STEP` characters of the root's own files, whichever is larger,
never above the scan's. A small root that asks for more than the floor is still refused, with a located
diagnostic, while the other roots of the scan load.
"""

from __future__ import annotations

from pathlib import Path

from faasguard.config import Config
from faasguard.findings import DiagnosticKind
from faasguard.loaders import LoadContext, LoadResult, terraform
from faasguard.loaders._budget import FILE_LIMITS, SCAN_LIMITS
from faasguard.loaders.terraform import SOURCE_CHARS_PER_STEP, root_limits
from faasguard.sources import SourceType, discover

# Each local is cut off by the evaluator's per-expression cap (200,000 steps) and charges what it took, so six
# of them need ~1.2M steps from a root of a few hundred characters.
HUNGRY = "locals {\n" + "".join(
    f"  l{i} = [for i in range(90) : [for j in range(2000) : j if false]]\n" for i in range(6)) + "}\n" + (
    'resource "aws_sqs_queue" "q" {\n'
    '  name = "q"\n'
    "  tags = { n = " + " + ".join(f"length(local.l{i})" for i in range(6)) + " }\n"
    "}\n")
COMMENT_LINE = "# " + "x" * 97 + "\n"


def load(directory: Path) -> LoadResult:
    found = discover([str(directory)], cwd=directory)
    files = [f for f in found.files if f.type is SourceType.TERRAFORM]
    return terraform.load(files, LoadContext(Config(), directory, (directory,)))


def test_the_step_limit_is_the_floor_for_small_roots_and_grows_with_the_source_up_to_the_scans() -> None:
    assert root_limits(0) == FILE_LIMITS
    assert root_limits(FILE_LIMITS.steps * SOURCE_CHARS_PER_STEP) == FILE_LIMITS
    grown = root_limits(3 * FILE_LIMITS.steps * SOURCE_CHARS_PER_STEP)
    assert grown.steps == 3 * FILE_LIMITS.steps
    # only the steps grow: what multiplying constructs build (text, items, modules) keeps its fixed limits
    assert (grown.nodes, grown.text, grown.items, grown.modules) == (
        FILE_LIMITS.nodes, FILE_LIMITS.text, FILE_LIMITS.items, FILE_LIMITS.modules)
    assert root_limits(10**12).steps == SCAN_LIMITS.steps


def test_a_small_root_asking_for_more_steps_than_the_floor_is_refused_and_a_large_one_is_not(
        tmp_path: Path) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "main.tf").write_text(HUNGRY)
    # the same expressions in a root whose files hold 5.6M characters: its limit is 1.4M steps
    (tmp_path / "large").mkdir()
    (tmp_path / "large" / "main.tf").write_text(HUNGRY)
    (tmp_path / "large" / "notes.tf").write_text(COMMENT_LINE * 56_000)
    result = load(tmp_path)

    refused = [d for d in result.diagnostics if "work budget" in d.message]
    assert [(d.kind, d.location.path if d.location else None) for d in refused] == [
        (DiagnosticKind.PARSE_ERROR, "small/main.tf")]
    assert "(steps above 1,000,000)" in refused[0].message
    # charged where the evaluation that crossed the limit started: the attribute reading the locals
    assert refused[0].location is not None
    assert refused[0].location.line == 11
    apps = {app.name: app for app in result.apps}
    assert "small" not in apps
    queue = next(r for r in apps["large"].resources if r.id == "aws_sqs_queue.q")
    # every local is cut off at the per-expression cap, so the sum is unknown; the root itself loads
    assert (queue.location.path, queue.location.line) == ("large/main.tf", 9)
