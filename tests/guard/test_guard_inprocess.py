"""The decorator inside real interpreters: concurrency, tamper attempts, bypass routes, child processes, learn mode.

Each case runs in its own subprocess because audit hooks cannot be removed from a process.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from guard_harness import run


def test_tmp_attribution_across_threads(tmp_path: Path) -> None:
    """Two invocations at once in one process (threads): each removes only what it created."""
    result, _ = run("""
    barrier = threading.Barrier(2)
    seen = {}
    @guard
    def handler(event, context):
        path = os.path.join(TMP, event["name"])
        open(path, "w").write("x")
        barrier.wait()
        if event["name"] == "slow":
            time.sleep(0.3)  # the fast one has returned and cleaned up by now
            seen["slow_sees_own"] = os.path.exists(path)
            seen["slow_sees_fast"] = os.path.exists(os.path.join(TMP, "fast"))
        return event["name"]
    threads = [threading.Thread(target=handler, args=({"name": n}, Ctx(n))) for n in ("slow", "fast")]
    [t.start() for t in threads]; [t.join() for t in threads]
    seen["left"] = sorted(os.listdir(TMP))
    print("RESULT " + json.dumps(seen))
    """, tmp_path)
    assert result == {"slow_sees_own": True, "slow_sees_fast": False, "left": []}


def test_keep_list_and_init_files(tmp_path: Path) -> None:
    result, events = run("""
    os.makedirs(os.path.join(TMP, "cache"), exist_ok=True)
    open(os.path.join(TMP, "made-at-init"), "w").write("x")   # cold start: kept
    @guard(tmp_keep=[os.path.join(TMP, "cache"), "*.model"])
    def handler(event, context):
        import tempfile
        open(os.path.join(TMP, "cache", "kept"), "w").write("x")
        open(os.path.join(TMP, "w.model"), "w").write("x")
        fd, name = tempfile.mkstemp(dir=TMP); os.close(fd)
        d = tempfile.mkdtemp(dir=TMP); open(os.path.join(d, "f"), "w").write("x")
        os.rename(name, os.path.join(TMP, "renamed"))
        return 1
    handler({}, Ctx("r1"))
    print("RESULT " + json.dumps(sorted(os.listdir(TMP))))
    """, tmp_path)
    assert result == ["cache", "made-at-init", "w.model"]
    summary = next(e for e in events if e["faasguard"] == "summary")
    assert summary["tmp_removed"] == 3 and summary["request_id"] == "r1"


def test_tamper_attempts_are_events(tmp_path: Path) -> None:
    result, events = run("""
    import socket
    @guard(tamper="block")
    def handler(event, context):
        g = installed()
        out = {}
        out["setattr"] = attempt(lambda: setattr(g, "config", None))
        out["policy"] = attempt(lambda: g.config.policies.__setitem__("process", "off"))
        out["hook"] = attempt(lambda: sys.addaudithook(lambda *a: None))
        out["env"] = attempt(lambda: os.environ.__setitem__("FAASGUARD_POLICY_PROCESS", "off"))
        socket.getaddrinfo = lambda *a, **k: []  # drop the guard's wrapper
        out["reinstall"] = attempt(lambda: __import__("faasguard.guard").guard.install(
            __import__("faasguard.guard").guard.load_config({}, process="off")))
        return out
    out = handler({}, Ctx("r1"))
    import subprocess
    out["still_blocks"] = attempt(lambda: subprocess.run(["true"]))
    out["gai_restored"] = getattr(socket.getaddrinfo, "_faasguard", False)
    print("RESULT " + json.dumps(out))
    """, tmp_path)
    # sys.addaudithook swallows the RuntimeError by design: the new hook is silently not added
    assert result == {"setattr": "GuardTamper", "policy": "AttributeError(\"'mappingproxy' object has no "
                      "attribute '__setitem__'\")", "hook": "ok", "env": "GuardTamper", "reinstall": "GuardTamper",
                      "still_blocks": "GuardBlocked", "gai_restored": True}
    actions = [e["detail"]["action"] for e in events if e.get("type") == "tamper"]
    assert actions == ["setattr", "sys.addaudithook", "putenv", "reinstall", "socket.getaddrinfo replaced"]


def test_bypass_routes(tmp_path: Path) -> None:
    """ctypes into libc, _posixsubprocess directly, multiprocessing spawn, fork during an invocation."""
    result, events = run("""
    @guard(ctypes="alert")
    def handler(event, context):
        out = {}
        import ctypes, _posixsubprocess, multiprocessing
        out["ctypes_system"] = attempt(lambda: ctypes.CDLL(None).system)
        out["posixsubprocess"] = attempt(lambda: _posixsubprocess.fork_exec(
            [b"/bin/true"], [b"/bin/true"], True, (), None, None, -1, -1, -1, -1, -1, -1, -1, -1,
            False, False, *( (-1, None, None, None, -1, None, False) if sys.version_info >= (3, 12) else
                             (None, None, None, -1, None) if sys.version_info >= (3, 11) else
                             (None, None, None, -1, None) )))
        ctx = multiprocessing.get_context("spawn")
        out["spawn"] = attempt(lambda: ctx.Process(target=print).start())
        out["fork"] = attempt(lambda: os.fork())
        out["dlopen"] = attempt(lambda: ctypes.CDLL("libm.so.6"))
        return out
    print("RESULT " + json.dumps(handler({}, Ctx("r1"))))
    """, tmp_path)
    assert result["ctypes_system"] == "GuardBlocked"
    assert result["posixsubprocess"] == "GuardBlocked"
    assert result["spawn"] == "GuardBlocked"
    assert result["fork"] == "GuardBlocked"
    assert result["dlopen"] == "ok"
    kinds = [(e["type"], e["detail"]["event"]) for e in events if e["faasguard"] == "event"]
    assert ("process", "ctypes.dlsym") in kinds and ("process", "_posixsubprocess.fork_exec") in kinds
    assert ("process", "os.fork") in kinds and ("ctypes", "ctypes.dlopen") in kinds


def test_child_python_process_is_guarded(tmp_path: Path) -> None:
    result, _ = run("""
    import subprocess
    @guard(allow_processes=[os.path.basename(sys.executable)])
    def handler(event, context):
        child = subprocess.run([sys.executable, "-c", "open('/proc/self/environ').read()"],
                               capture_output=True, text=True)
        return {"rc": child.returncode, "blocked": "GuardBlocked" in child.stderr,
                "child_events": [l for l in child.stderr.splitlines() if l.startswith('{"faasguard"')]}
    print("RESULT " + json.dumps(handler({}, Ctx("r1"))))
    """, tmp_path)
    assert result["rc"] != 0 and result["blocked"]
    child = [json.loads(line) for line in result["child_events"]]
    assert [e["faasguard"] for e in child] == ["init", "event"]
    assert child[1]["phase"] == "child" and re.fullmatch(r"/proc/\d+/environ", child[1]["detail"]["path"])


def test_handler_source_read_and_marshal(tmp_path: Path) -> None:
    script = tmp_path / "handler_mod.py"
    script.write_text(textwrap.dedent("""
    import marshal
    def boom():
        raise ValueError("boom")
    from faasguard.guard import guard
    @guard(deserialization="block")
    def handler(event, context):
        out = {}
        try:
            open(__file__).read(); out["source"] = "ok"
        except PermissionError:
            out["source"] = "blocked"
        try:
            marshal.loads(marshal.dumps(compile("1", "x", "eval"))); out["marshal"] = "ok"
        except PermissionError:
            out["marshal"] = "blocked"
        return out
    """))
    result, _ = run(f"""
    sys.path.insert(0, {str(tmp_path)!r})
    import handler_mod, traceback, linecache
    out = handler_mod.handler({{}}, Ctx("r1"))
    out["linecache"] = bool(linecache.getline(handler_mod.__file__, 4))  # no direct reads of the source
    out["inspect"] = attempt(lambda: __import__("inspect").getsource(handler_mod))
    try:
        handler_mod.boom()
    except ValueError:
        out["traceback"] = 'raise ValueError("boom")' in traceback.format_exc()  # ...but tracebacks show it
    print("RESULT " + json.dumps(out))
    """, tmp_path)
    assert result == {"source": "blocked", "marshal": "blocked", "traceback": True, "linecache": False,
                      "inspect": "OSError('could not get source code')"}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_learn_mode_writes_allowlist_and_cloudtrail(tmp_path: Path, moto_endpoint: str) -> None:
    learned, trail = tmp_path / "learned.json", tmp_path / "trail.json"
    result, events = run(f"""
    import subprocess
    import boto3
    s3 = boto3.client("s3")
    @guard(mode="learn", learn_output={str(learned)!r}, learn_cloudtrail={str(trail)!r},
           role_arn="arn:aws:iam::123456789012:role/fn-role")
    def handler(event, context):
        s3.create_bucket(Bucket="learn-bucket")
        s3.put_object(Bucket="learn-bucket", Key="a.txt", Body=b"secret data")
        subprocess.run(["true"])
        open("/proc/self/environ").read()
        return "done"
    print("RESULT " + json.dumps(handler({{}}, Ctx("r1"))))
    """, tmp_path, {"AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"})
    assert result == "done"
    assert not [e for e in events if e["faasguard"] == "event"]  # learn mode blocks and alerts nothing
    config = json.loads(learned.read_text())
    assert config["mode"] == "enforce" and config["process"]["allow"] == ["true"]
    assert any(h.startswith("127.0.0.1:") for h in config["network"]["allow"])
    records = json.loads(trail.read_text())["Records"]
    assert [(r["eventSource"], r["eventName"]) for r in records] == [("s3.amazonaws.com", "CreateBucket"),
                                                                     ("s3.amazonaws.com", "PutObject")]
    put = records[1]
    assert put["awsRegion"] == "us-east-1" and put["requestParameters"] == {"bucketName": "learn-bucket",
                                                                            "key": "a.txt"}
    assert put["userIdentity"]["arn"] == "arn:aws:sts::123456789012:assumed-role/fn-role/fn"
    assert put["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == "arn:aws:iam::123456789012:role/fn-role"
    assert put["eventTime"].endswith("Z") and "secret data" not in trail.read_text()
    # the learned config is a valid guard config
    from faasguard.guard import load_config

    assert load_config({"FAASGUARD_CONFIG": str(learned)}).allow_processes == ("true",)


def test_decorator_broken_config(tmp_path: Path) -> None:
    script = """
    try:
        @guard(process="sometimes")
        def handler(event, context):
            return 1
        print("RESULT " + json.dumps("unguarded" if installed() is None else "guarded"))
    except Exception as exc:
        print("RESULT " + json.dumps(type(exc).__name__))
    """
    result, events = run(script, tmp_path)
    assert result == "GuardConfigError" and events[0]["faasguard"] == "config-error"
    result, events = run(script, tmp_path, {"FAASGUARD_ON_CONFIG_ERROR": "open"})
    assert result == "unguarded" and "WITHOUT the guard" in events[0]["consequence"]
