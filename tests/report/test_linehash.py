"""`primaryLocationLineHash` must equal what github/codeql-action computes, bit for bit: the published test
vectors of its fingerprint tests, and a literal port of its character-by-character walk (below, test-only) on
generated text, including CR/LF mixes, blanks around line ends, identical lines and non-BMP characters."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from faasguard.report.linehash import line_hashes

VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
     ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1", "b86d3392aea1be30:1",
      "e6ceba753e1a442:1"]),
    *[(text, ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
              "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"])
      for text in (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
                   " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
                   " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
                   " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n")],
    ("Lorem ipsum dolor sit amet.\n" * 10,
     [*(f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)), "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
      "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]),
]


def test_published_vectors() -> None:
    for text, expected in VECTORS:
        assert line_hashes(text) == dict(enumerate(expected, 1)), repr(text)


def test_only_the_wanted_lines() -> None:
    text = "Lorem ipsum dolor sit amet.\n" * 10
    assert line_hashes(text, [3, 8]) == {3: "a7f2ff13bc495cf2:3", 8: "a9cf91f7bbf1862b:1"}
    assert line_hashes(text, [99]) == {}
    assert line_hashes(text, []) == {}


def _walk(text: str) -> dict[int, str]:
    """The action's algorithm as it is written: a 100-unit window, one UTF-16 unit at a time."""
    mask, block = (1 << 64) - 1, 100
    first = pow(37, block, 1 << 64)
    window, starts = [0] * block, [-1] * block
    state = {"value": 0, "index": 0, "line": 0, "start": True, "cr": False}
    counts: dict[str, int] = {}
    out: dict[int, str] = {}

    def emit() -> None:
        digest = format(state["value"], "x")
        counts[digest] = counts.get(digest, 0) + 1
        out[starts[state["index"]]] = f"{digest}:{counts[digest]}"
        starts[state["index"]] = -1

    def push(unit: int) -> None:
        index = state["index"]
        state["value"] = (37 * state["value"] + unit - first * window[index]) & mask
        window[index] = unit
        state["index"] = (index + 1) % block

    def process(unit: int) -> None:
        if unit in (0x20, 0x09) or (state["cr"] and unit == 0x0A):
            state["cr"] = False
            return
        state["cr"] = unit == 0x0D
        unit = 0x0A if unit == 0x0D else unit
        if starts[state["index"]] != -1:
            emit()
        if state["start"]:
            state["start"] = False
            state["line"] += 1
            starts[state["index"]] = state["line"]
        if unit == 0x0A:
            state["start"] = True
        push(unit)

    encoded = text.encode("utf-16-le", "surrogatepass")
    for position in range(0, len(encoded), 2):
        process(int.from_bytes(encoded[position:position + 2], "little"))
    process(65535)
    for _ in range(block):
        if starts[state["index"]] != -1:
            emit()
        push(0)
    return out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*list("ab{}: \t\r\n"), "é", "😀", "\u2028"]), max_size=400))
def test_equals_the_walk(text: str) -> None:
    assert line_hashes(text) == _walk(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*list("ab{}: \t\r\n"), "é", "😀"]), max_size=2000),
       st.sets(st.integers(min_value=1, max_value=120), max_size=4))
def test_a_few_wanted_lines_equal_those_of_the_whole_file(text: str, wanted: set[int]) -> None:
    """A few lines of a long file take the sparse path (their windows only); they must be those of the whole."""
    everything = line_hashes(text)
    assert line_hashes(text, wanted) == {line: everything[line] for line in wanted if line in everything}


def test_a_window_repeated_thousands_of_times_is_counted_in_one_pass() -> None:
    """A generated or hostile file whose lines all start the same 100 units: the per-line search would be
    quadratic, so the counts come from one pass; they must still be those of the whole file."""
    text = "x = 1\n" * 12_000 + "tail\n"
    everything = line_hashes(text)
    wanted = {2, 11_000, 12_001}
    assert line_hashes(text, wanted) == {line: everything[line] for line in wanted}
    assert everything[11_000].endswith(":11000")
