"""Differential fuzzers for the guard's two "read it like the kernel does" functions, with the kernel and libc as
the oracle: path resolution (os.stat follows the path exactly as open() will) and address canonicalisation
(getaddrinfo with AI_NUMERICHOST parses an address exactly as connect()/sendto() will).

Bounded for CI (a few seconds); run longer by hand: FAASGUARD_FUZZ_ITERATIONS=200000 FAASGUARD_FUZZ_SEED=7
pytest tests/guard/test_guard_fuzz.py. A failure prints the input, to be added to the regression tests.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from pathlib import Path

import pytest

from faasguard.guard._config import load_config
from faasguard.guard._policies import CompiledPolicies, canonical_ip

ITERATIONS = int(os.environ.get("FAASGUARD_FUZZ_ITERATIONS", "3000"))
SEED = int(os.environ.get("FAASGUARD_FUZZ_SEED", "20"))


def _sensitive_inodes() -> set[tuple[int, int]]:
    pid, tid = os.getpid(), threading.get_native_id()
    found = set()
    for path in (f"/proc/{pid}/environ", f"/proc/{pid}/mem", f"/proc/{pid}/task/{tid}/environ",
                 f"/proc/{pid}/task/{tid}/mem"):
        info = os.stat(path)
        found.add((info.st_dev, info.st_ino))
    return found


def test_fuzz_path_resolution_against_the_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    (scratch / "d" / "e").mkdir(parents=True)
    (scratch / "l_proc").symlink_to("/proc")
    (scratch / "l_self").symlink_to("/proc/self")
    (scratch / "l_up").symlink_to("..")
    (scratch / "d" / "l_root").symlink_to("/proc/self/root")
    (scratch / "l_fd").symlink_to("/dev/fd")
    (scratch / "environ").write_text("a file that is not the process environment")
    monkeypatch.chdir(scratch / "d")
    policies = CompiledPolicies(load_config({}, tmp_dir=str(scratch), write_allow=[str(scratch)]), {})
    sensitive = _sensitive_inodes()
    rng = random.Random(SEED)
    parts = ["proc", "self", "thread-self", str(os.getpid()), "task", str(threading.get_native_id()), "root",
             "cwd", "fd", "dev", "..", ".", "", "environ", "mem", "status", "d", "e", "l_proc", "l_self", "l_up",
             "l_root", "l_fd", scratch.name, *scratch.parts[1:]]
    starts = ["/", str(scratch) + "/", "/dev/fd/", "/proc/self/root/", "/proc/self/cwd/", "", "../", "//"]
    misses, false_alarms = [], []
    for _ in range(ITERATIONS):
        path = rng.choice(starts) + "/".join(rng.choice(parts) for _ in range(rng.randint(1, 7)))
        if rng.random() < 0.5:
            path = path.rstrip("/") + "/" + rng.choice(["environ", "mem"])
        if not path:
            continue
        verdict = policies.check_open(path, os.O_RDONLY)  # must never raise
        try:
            info = os.stat(path)
        except OSError:
            continue
        is_sensitive = (info.st_dev, info.st_ino) in sensitive
        flagged = verdict is not None and verdict.detail["reason"].startswith("process environment")
        if is_sensitive and verdict is None:
            misses.append(path)
        elif flagged and not is_sensitive:
            false_alarms.append(path)
    assert not misses, f"reached environ/mem unflagged (seed {SEED}): {misses[:5]}"
    assert not false_alarms, f"flagged as environ/mem but is not (seed {SEED}): {false_alarms[:5]}"


def _spellings(rng: random.Random, address: str) -> str:
    """A numeric spelling of an IPv4 address that libc may accept: parts in decimal, octal or hex, 1 to 4 parts,
    as IPv4-mapped/compatible IPv6, with brackets or a trailing dot."""
    octets = [int(o) for o in address.split(".")]
    value = int.from_bytes(bytes(octets), "big")
    form = rng.randint(0, 7)
    def num(n: int) -> str:
        return rng.choice([str(n), oct(n).replace("0o", "0"), hex(n), hex(n).upper().replace("0X", "0x")])
    if form == 0:
        text = ".".join(num(o) for o in octets)
    elif form == 1:
        text = f"{num(octets[0])}.{num(value & 0xFFFFFF)}"
    elif form == 2:
        text = f"{num(octets[0])}.{num(octets[1])}.{num(value & 0xFFFF)}"
    elif form == 3:
        text = num(value)
    elif form == 4:
        text = f"::ffff:{address}"
    elif form == 5:
        text = f"::ffff:{value >> 16:x}:{value & 0xFFFF:x}"
    elif form == 6:
        text = f"0:0:0:0:0:ffff:{address}"
    else:
        text = "0" * rng.randint(1, 3) + address if rng.random() < 0.5 else address
    return text + ("." if rng.random() < 0.1 else "")


def test_fuzz_address_canonicalisation_against_libc() -> None:
    rng = random.Random(SEED)
    targets = ["169.254.169.254", "169.254.170.2", "127.0.0.1", "10.1.2.3", "0.0.0.0", "8.8.8.8"]
    mismatches = []
    for _ in range(ITERATIONS):
        address = rng.choice(targets)
        text = _spellings(rng, address)
        try:
            parsed = socket.getaddrinfo(text, 0, socket.AF_UNSPEC, 0, 0, socket.AI_NUMERICHOST)[0][4][0]
        except (OSError, UnicodeError):
            continue  # libc rejects it: connect() would too
        libc = canonical_ip(parsed)  # e.g. '::ffff:169.254.169.254' -> the IPv4 address it reaches
        if canonical_ip(text) != libc:
            mismatches.append((text, parsed, canonical_ip(text)))
    assert not mismatches, f"canonical_ip disagrees with libc (seed {SEED}): {mismatches[:5]}"
