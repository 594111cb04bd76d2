"""A bounded random mutator over the real corpus: no input may make a loader raise past its isolation.

Each loader gets a few seconds in CI (`FAASGUARD_FUZZ_SECONDS`, default 2 per loader; set it higher to run it
by hand). Mutations are the ones that found real crashes: splicing a line of one file into another, repeating a
line or a block of lines (anchors/aliases, deep nesting), replacing a scalar with a huge integer, a long path or
bytes that are not text, and nesting brackets. The seed is printed on failure so a crash reproduces; every crash
found becomes a case in `test_budget.py` or below.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from faasguard.config import Config
from faasguard.findings import DiagnosticKind
from faasguard.pipeline import load_sources

_REPO = Path(__file__).resolve().parents[2]
SHARED = next((p for p in (_REPO.parent / "shared" / "corpora" / "serverless-patterns",
                          Path("/work/shared/corpora/serverless-patterns")) if p.is_dir()), None)
SECONDS = float(os.environ.get("FAASGUARD_FUZZ_SECONDS", "2"))
SEED = int(os.environ.get("FAASGUARD_FUZZ_SEED", "20"))

# A small fixed seed corpus ships with the tests (tests/fixtures/loaders); the shared corpus adds more when
# present (it always is on the project's machines and CI, which lay shared/ beside the checkout).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loaders"

INSERTS = [
    "9" * 5000, "a" * 300 + ".zip", "${file(./" + "b" * 300 + ".yml)}", "&x [x, x]", "*x", "? ? ? ? a",
    "[" * 300, "{" * 300, "!FindInMap [M, K, V]", "${self:custom.a}${self:custom.a}", "\udcff", "\x00",
    'concat(local.a, local.a)', 'dynamic "x" { for_each = [1] content {', "-1e999", "0x" + "f" * 5000,
]


def _seeds(suffixes: tuple[str, ...], names: tuple[str, ...] = ()) -> list[Path]:
    found: list[Path] = []
    for base in (FIXTURES, SHARED):
        if base is not None and base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and (path.suffix in suffixes or path.name in names) and path.stat().st_size < 50_000:
                    found.append(path)
    return found[:400]


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        at = rng.randrange(len(lines))
        if op == 0:  # repeat a block
            block = lines[at:at + rng.randint(1, 5)]
            lines[at:at] = block * rng.randint(2, 50)
        elif op == 1:  # splice an insert into a line
            line = lines[at]
            cut = rng.randrange(len(line) + 1)
            lines[at] = line[:cut] + rng.choice(INSERTS) + line[cut:]
        elif op == 2:  # nest: indent a tail deeper
            lines[at:] = ["  " * rng.randint(1, 40) + line for line in lines[at:]]
        elif op == 3:  # drop lines
            del lines[at:at + rng.randint(1, 3)]
            lines = lines or [""]
        else:  # swap two lines
            other = rng.randrange(len(lines))
            lines[at], lines[other] = lines[other], lines[at]
    return "".join(lines)


LOADERS = {
    "cloudformation": ((".yaml", ".yml", ".json"), ("template.yaml", "template.yml"), "template.yaml"),
    "serverless": ((), ("serverless.yml", "serverless.yaml"), "serverless.yml"),
    "terraform": ((".tf",), (), "main.tf"),
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_mutated_corpus_never_escapes_isolation(tmp_path: Path, loader: str) -> None:
    suffixes, names, target_name = LOADERS[loader]
    seeds = [p for p in _seeds(suffixes, names)
             if loader != "cloudformation" or b"Resources" in p.read_bytes()]
    assert seeds, f"no seed files for {loader}"
    rng = random.Random(f"{SEED}-{loader}")
    deadline = time.monotonic() + SECONDS
    runs = 0
    while time.monotonic() < deadline or runs < 5:
        seed = rng.choice(seeds)
        text = seed.read_text(encoding="utf-8", errors="replace")
        mutated = _mutate(text, rng)
        case = tmp_path / f"case{runs}"
        case.mkdir()
        (case / target_name).write_text(mutated, encoding="utf-8", errors="surrogateescape")
        result = load_sources([str(case)], Config(), cwd=tmp_path)
        crashes = [d for d in result.diagnostics if d.kind is DiagnosticKind.INTERNAL_ERROR]
        assert not crashes, (f"seed={SEED} run={runs} from {seed}: {crashes[0].message}\n--- input ---\n"
                             f"{mutated[:3000]}")
        runs += 1
