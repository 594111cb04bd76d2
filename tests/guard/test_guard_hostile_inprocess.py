"""Issue 20, guard half, in real interpreters: an attacker running Python inside the handler tries each class
of bypass (several variants each). Each case runs in its own subprocess (audit hooks cannot be removed)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from guard_harness import run


def events_of(events: list[dict[str, Any]], kind: str = "event") -> list[dict[str, Any]]:
    return [e for e in events if e["faasguard"] == kind]


def test_guard_state_is_out_of_the_handlers_reach(tmp_path: Path) -> None:
    result, events = run("""
    import gc, subprocess, _posixsubprocess
    @guard(tamper="alert")
    def handler(event, context):
        g = installed()
        out = {}
        out["local.internal"] = attempt(lambda: setattr(g, "local", None))
        out["has_local"] = hasattr(g, "local")
        out["has_table"] = hasattr(g, "table")
        out["osa_guard"] = attempt(lambda: object.__setattr__(g, "policies", None))
        out["osa_policies"] = attempt(lambda: object.__setattr__(g.policies, "process_names", frozenset({"sh"})))
        out["osa_config"] = attempt(lambda: object.__setattr__(g.config, "policies", {"process": "off"}))
        out["dict_setitem"] = attempt(lambda: dict.__setitem__(g.config.policies, "process", "off"))
        out["closure"] = [getattr(f, "__closure__", None) is None for f in (
            _posixsubprocess.fork_exec, subprocess._fork_exec, __import__("socket").getaddrinfo)]
        out["same_wrapper"] = subprocess._fork_exec is _posixsubprocess.fork_exec
        out["audit_internal"] = attempt(lambda: sys.audit("faasguard.internal", True))
        out["gc"] = attempt(lambda: gc.get_referrers(g))
        out["still_blocks"] = attempt(lambda: subprocess.run(["true"]))
        return out
    print("RESULT " + json.dumps(handler({}, Ctx("r1"))))
    """, tmp_path)
    assert result["local.internal"] == "GuardTamper" and not result["has_local"] and not result["has_table"]
    assert result["osa_guard"].startswith("AttributeError") and result["osa_policies"].startswith("AttributeError")
    assert result["osa_config"].startswith("AttributeError") and result["dict_setitem"].startswith("TypeError")
    assert result["closure"] == [True, True, True] and result["same_wrapper"]
    assert result["audit_internal"] == "GuardTamper" and result["gc"] == "ok"
    assert result["still_blocks"] == "GuardBlocked"
    tamper = [e["detail"] for e in events_of(events) if e["type"] == "tamper"]
    assert [t["action"] for t in tamper] == ["setattr", "faasguard.internal", "gc introspection"]


def test_module_patches_are_undone_after_the_invocation(tmp_path: Path) -> None:
    result, events = run("""
    import socket
    import faasguard.guard._policies as P
    import subprocess
    @guard(tamper="alert")
    def handler(event, context):
        if event.get("patch") == "module":
            P.METADATA_ADDRESSES = frozenset()
            P.open = lambda *a, **k: None  # shadowing a builtin inside the guard's module
        if event.get("patch") == "class":
            P.CompiledPolicies.check_process = lambda *a, **k: None
            del P.CompiledPolicies.check_dlsym
        return [attempt(lambda: socket.socket().connect(("169.254.169.254", 80))),
                attempt(lambda: subprocess.run(["true"]))]
    out = [handler({"patch": "module"}, Ctx("r1")), handler({}, Ctx("r2")),
           handler({"patch": "class"}, Ctx("r3")), handler({}, Ctx("r4"))]
    out.append([hasattr(P, "open"), hasattr(P.CompiledPolicies, "check_dlsym")])
    print("RESULT " + json.dumps(out))
    """, tmp_path)
    # inside the invocation that patched, the patch works (module and class attributes raise no audit event);
    # it is undone when the invocation ends, and reported with the invocation's request id
    assert result == [["ok", "GuardBlocked"], ["GuardBlocked", "GuardBlocked"], ["GuardBlocked", "ok"],
                      ["GuardBlocked", "GuardBlocked"], [False, True]]
    patched = [(e["request_id"], e["detail"]["action"], e["detail"]["names"])
               for e in events_of(events) if e["type"] == "tamper"]
    assert patched == [("r1", "module patched", ["METADATA_ADDRESSES", "open"]),
                       ("r3", "class patched", ["check_dlsym", "check_process"])]


def test_original_fork_exec_is_not_reachable_and_direct_calls_are_checked(tmp_path: Path) -> None:
    result, events = run("""
    import _posixsubprocess, subprocess, inspect
    @guard
    def handler(event, context):
        out = {}
        f = _posixsubprocess.fork_exec
        out["closure_vars"] = attempt(lambda: inspect.getclosurevars(f).nonlocals)
        out["nonlocals"] = inspect.getclosurevars(f).nonlocals if out["closure_vars"] == "ok" else None
        argv = [b"/bin/true"]
        rest = ((-1, None, None, None, -1, None, False) if sys.version_info >= (3, 12)
                else (None, None, None, -1, None))
        out["direct"] = attempt(lambda: f(argv, argv, True, (), None, None, -1, -1, -1, -1, -1, -1, -1, -1,
                                          False, False, *rest))
        out["via_subprocess_module"] = attempt(lambda: subprocess._fork_exec(
            argv, argv, True, (), None, None, -1, -1, -1, -1, -1, -1, -1, -1, False, False, *rest))
        out["forged_audit"] = attempt(lambda: sys.audit("faasguard.fork_exec", (argv, argv), {}, []))
        return out
    print("RESULT " + json.dumps(handler({}, Ctx("r1"))))
    """, tmp_path)
    assert result["nonlocals"] == {}
    assert result["direct"] == result["via_subprocess_module"] == result["forged_audit"] == "GuardBlocked"
    sources = [e["detail"]["event"] for e in events_of(events) if e["type"] == "process"]
    assert sources == ["_posixsubprocess.fork_exec"] * 3


def test_code_named_like_trusted_modules_is_not_trusted(tmp_path: Path) -> None:
    handler_file = tmp_path / "handler_mod.py"
    handler_file.write_text("def handler(event, context):\n    return 1\n")
    result, events = run(f"""
    import marshal, importlib, traceback, socket
    sys.path.insert(0, {str(tmp_path)!r})
    import handler_mod
    wrapped = guard(deserialization="block", metadata="block")(handler_mod.handler)
    ext = sys.modules["_frozen_importlib_external"]
    def as_if(filename, source, name="get_code"):
        code = compile(source, filename, "exec")
        namespace = {{"marshal": marshal, "SRC": handler_mod.__file__, "socket": socket, "os": os}}
        return lambda: exec(code.replace(co_name=name), namespace)
    def inner(event, context):
        out = {{}}
        out["marshal"] = attempt(as_if("<frozen importlib._bootstrap_external>",
                                       "marshal.loads(marshal.dumps(compile('1', 'x', 'eval')))"))
        out["source_as_traceback"] = attempt(as_if(traceback.__file__, "open(SRC).read()", "format_exc"))
        out["source_as_importlib"] = attempt(as_if("<frozen importlib._bootstrap_external>",
                                                   "open(SRC, 'rb').read()"))
        out["runtime_as_awslambdaric"] = attempt(as_if("/var/runtime/awslambdaric/lambda_runtime_client.py",
            "s = socket.socket(); s.settimeout(0.2); s.connect_ex(('127.0.0.1', int(os.environ['PORT'])))",
            "call_rapid"))
        return out
    print("RESULT " + json.dumps(guard(inner)({{}}, Ctx("r1"))))
    """, tmp_path, {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9", "PORT": "9"})
    assert result == {"marshal": "GuardBlocked", "source_as_traceback": "GuardBlocked",
                      "source_as_importlib": "GuardBlocked", "runtime_as_awslambdaric": "GuardBlocked"}
    reasons = [e["detail"]["reason"] for e in events_of(events)]
    assert any("Lambda Runtime API reached from function code" in r for r in reasons)


def test_every_socket_route_to_metadata_and_runtime(tmp_path: Path) -> None:
    hosts = Path("/etc/hosts").read_text().split()
    alias = next((name for index, name in enumerate(hosts[1:], 1) if hosts[index - 1].startswith("127.")
                  and name.replace("-", "").isalnum() and not name.startswith("localhost")), "localhost")
    result, events = run(f"""
    import socket
    @guard(network="alert", allow_hosts=[{alias!r}, "169.254.169.254"])
    def handler(event, context):
        out = {{}}
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tcp = socket.socket(); tcp.settimeout(0.2)
        out["sendto"] = attempt(lambda: udp.sendto(b"x", ("169.254.169.254", 53)))
        out["sendmsg"] = attempt(lambda: udp.sendmsg([b"x"], [], 0, ("169.254.169.254", 53)))
        out["connect_ex"] = attempt(lambda: tcp.connect_ex(("::ffff:169.254.169.254", 80)) if socket.has_ipv6
                                    else tcp.connect_ex(("169.254.169.254", 80)))
        out["decimal"] = attempt(lambda: udp.sendto(b"x", ("2852039166", 53)))
        out["runtime_by_name"] = attempt(lambda: udp.sendto(b"x", ({alias!r}, int(os.environ["PORT"]))))
        out["runtime_zero"] = attempt(lambda: tcp.connect_ex(("0.0.0.0", int(os.environ["PORT"]))))
        out["ordinary_udp"] = attempt(lambda: udp.sendto(b"x", ("127.0.0.1", 9)))
        return out
    print("RESULT " + json.dumps(handler({{}}, Ctx("r1"))))
    """, tmp_path, {"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "PORT": "9001"})
    assert result == {"sendto": "GuardBlocked", "sendmsg": "GuardBlocked", "connect_ex": "GuardBlocked",
                      "decimal": "GuardBlocked", "runtime_by_name": "GuardBlocked", "runtime_zero": "GuardBlocked",
                      "ordinary_udp": "ok"}
    flagged = events_of(events)
    assert all(e["policy"] == "metadata" and e["action"] == "blocked" for e in flagged)
    assert {e["detail"]["event"] for e in flagged} == {"socket.sendto", "socket.sendmsg", "socket.connect"}


def test_paths_resolved_like_the_kernel(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    result, events = run(f"""
    @guard
    def handler(event, context):
        out = {{}}
        out["root"] = attempt(lambda: open("/proc/self/root/proc/self/environ", "rb").read())
        out["dev_fd"] = attempt(lambda: open("/dev/fd/../environ", "rb").read())
        out["thread_self"] = attempt(lambda: open("/proc/thread-self/environ", "rb").read())
        out["dir_fd"] = attempt(lambda: os.open("environ", os.O_RDONLY, dir_fd=os.open("/proc/self", os.O_RDONLY)))
        os.symlink({str(outside)!r}, os.path.join(TMP, "planted"))
        out["planted_write"] = attempt(lambda: open(os.path.join(TMP, "planted", "x.py"), "w").write("1"))
        out["relative_link"] = attempt(lambda: os.symlink("../../../../../../../../../proc/self/environ",
                                                          os.path.join(TMP, "e")))
        out["tmp_write"] = attempt(lambda: open(os.path.join(TMP, "fine.txt"), "w").write("1"))
        out["status"] = attempt(lambda: open("/proc/self/status").read())
        return out
    print("RESULT " + json.dumps(handler({{}}, Ctx("r1"))))
    """, tmp_path)
    assert result == {"root": "GuardBlocked", "dev_fd": "GuardBlocked", "thread_self": "GuardBlocked",
                      "dir_fd": "GuardBlocked", "planted_write": "GuardBlocked", "relative_link": "GuardBlocked",
                      "tmp_write": "ok", "status": "ok"}
    assert not list(outside.iterdir())
    reasons = [e["detail"]["reason"] for e in events_of(events)]
    assert sum(r.startswith("process environment") for r in reasons) == 3
    assert any("directory descriptor" in r for r in reasons)
    assert reasons.count("write outside the allowed directories") == 1
    assert reasons.count("symlink to a sensitive file") == 1


def test_tmp_cleanup_never_follows_a_swapped_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    (victim / "d").mkdir(parents=True)
    for name in ("f", "g"):
        (victim / "d" / name).write_text("precious")
    (victim / "file").write_text("precious")
    result, events = run(f"""
    import subprocess
    @guard(tamper="alert", allow_processes=["ln"])
    def handler(event, context):
        d = os.path.join(TMP, "work")
        os.mkdir(d)
        open(os.path.join(d, "f"), "w").write("mine")
        os.mkdir(os.path.join(d, "sub"))
        open(os.path.join(d, "sub", "g"), "w").write("mine")
        open(os.path.join(TMP, "file"), "w").write("mine")
        os.rename(d, os.path.join(TMP, "moved-away"))
        if event["how"] == "python":  # the swap seen by the guard (the symlink is the invocation's own file)
            os.symlink({str(victim / "d")!r}, d)
        else:  # the swap done where no hook sees it (a child process, native code)
            subprocess.run(["ln", "-s", {str(victim / "d")!r}, d], check=True)
        os.remove(os.path.join(TMP, "file"))
        os.symlink({str(victim / "file")!r}, os.path.join(TMP, "file"))
        nest = os.path.join(TMP, "nest"); os.mkdir(nest)  # a symlink inside a directory the invocation made
        os.symlink({str(victim)!r}, os.path.join(nest, "inner"))
        return 1
    out = {{}}
    for how in ("python", "child"):
        handler({{"how": how}}, Ctx(how))
        out[how] = sorted(os.listdir(TMP))
    print("RESULT " + json.dumps(out))
    """, tmp_path)
    assert sorted(p.name for p in (victim / "d").iterdir()) == ["f", "g"]
    assert (victim / "file").read_text() == "precious" and (victim / "d" / "f").read_text() == "precious"
    assert result == {"python": [], "child": []}  # what the invocations made is gone, their symlinks included
    swaps = [e for e in events_of(events) if e["type"] == "tamper"]
    assert {e["request_id"] for e in swaps} == {"child"}
    assert sorted(e["detail"]["path"].rsplit("/work/", 1)[1] for e in swaps) == ["f", "sub", "sub/g"]
    assert all(e["detail"]["action"] == "tmp symlink swap" for e in swaps)


def test_redaction_on_every_output_route(tmp_path: Path) -> None:
    secret = 'pa"ss\\\\wörd-0123'
    result, events = run("""
    import logging, subprocess
    own = logging.getLogger("own"); own.propagate = False
    own.addHandler(logging.StreamHandler(sys.__stderr__))
    early = logging.getLogger("early"); early.propagate = False
    early.addHandler(logging.StreamHandler(sys.stdout))
    @guard(process="alert")
    def handler(event, context):
        secret = os.environ["DB_PASSWORD"]
        sys.stdout.buffer.write(("buffer " + secret + "\\n").encode()); sys.stdout.flush()
        sys.__stdout__.write("dunder-out " + secret + "\\n"); sys.__stdout__.flush()
        sys.__stderr__.write("dunder-err " + secret + "\\n")
        sys.stderr.buffer.write(b"raw-err " + secret.encode() + b"\\n"); sys.stderr.flush()
        own.warning("own handler %s", secret)
        early.error("early handler " + secret)
        subprocess.run(["true", "--password=" + secret])  # the event's argv carries the secret
        print("postgres://app:" + secret + "@db/x and cwd " + os.getcwd())
        raise KeyError("lookup failed for " + secret)
    try:
        handler({}, Ctx("r1"))
    except KeyError as exc:
        print("RESULT " + json.dumps([type(exc).__name__, str(exc), isinstance(exc, KeyError)]))
    """, tmp_path, {"DB_PASSWORD": secret.replace("\\\\", "\\"), "PWD": str(tmp_path), "AUTHOR": "someone-long"})
    assert result[0] == "KeyError" and result[2] and "****" in result[1]
    process_event = next(e for e in events_of(events) if e["type"] == "process")
    assert process_event["detail"]["argv"] == ["true", "--password=****"]


def test_redaction_routes_leave_nothing_in_the_raw_output(tmp_path: Path) -> None:
    import subprocess
    import sys

    from guard_harness import PRELUDE, SRC

    secret = 'pa"ss\\wörd-0123'
    script = PRELUDE + """
import logging
own = logging.getLogger("own"); own.propagate = False
own.addHandler(logging.StreamHandler(sys.__stderr__))
@guard
def handler(event, context):
    s = os.environ["DB_PASSWORD"]
    sys.stdout.buffer.write(("buffer " + s + "\\n").encode()); sys.stdout.flush()
    sys.__stdout__.write("dunder-out " + s + "\\n"); sys.__stdout__.flush()
    sys.__stderr__.write("dunder-err " + s + "\\n")
    own.warning("own handler %s", s)
    print("dsn postgres://app:longpassword@db/x cwd " + os.getcwd() + " author " + os.environ["AUTHOR"])
    return 1
handler({}, Ctx("r1"))
"""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": SRC, "APP_TMP": str(tmp_path), "DB_PASSWORD": secret,
           "PWD": str(tmp_path), "AUTHOR": "someone-long", "LANG": "C.UTF-8",
           "FAASGUARD_CONFIG_JSON": json.dumps({"tmp": {"dir": str(tmp_path)}})}
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60, check=True,
                          cwd=tmp_path)
    raw = proc.stdout + proc.stderr
    assert secret.encode() not in raw and b"longpassword" not in raw
    for marker in (b"buffer ****", b"dunder-out ****", b"dunder-err ****", b"own handler ****",
                   b"postgres://app:****@db/x"):
        assert marker in raw, marker
    assert f"cwd {tmp_path} author someone-long".encode() in raw  # PWD and AUTHOR are not secrets


def test_threads_outliving_the_invocation_stay_under_policy(tmp_path: Path) -> None:
    result, events = run("""
    import base64, pickle, threading
    done = threading.Event()
    out = {}
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo PWNED",))
    payload = pickle.dumps(Evil())
    def later():
        time.sleep(0.3)  # the invocation has returned by now
        out["pickle"] = attempt(lambda: pickle.loads(payload))
        out["fork"] = attempt(lambda: os.fork())
        out["environ"] = attempt(lambda: open("/proc/self/environ", "rb").read())
        open(os.path.join(TMP, "left-behind"), "w").write("x")
        done.set()
    @guard(deserialization="block")
    def handler(event, context):
        if event.get("start"):
            threading.Thread(target=later).start()
        return 1
    handler({"start": True}, Ctx("r1"))
    done.wait(10)
    out["left_before"] = os.listdir(TMP)
    handler({}, Ctx("r2"))
    out["left_after"] = os.listdir(TMP)
    print("RESULT " + json.dumps(out))
    """, tmp_path)
    assert result == {"pickle": "GuardBlocked", "fork": "GuardBlocked", "environ": "GuardBlocked",
                      "left_before": ["left-behind"], "left_after": []}
    background = [e for e in events_of(events) if e["phase"] == "background"]
    assert sorted(e["type"] for e in background) == ["deserialization", "file", "process"]


def test_children_with_attacker_loaders_and_shells_from_tmp(tmp_path: Path) -> None:
    evil = tmp_path / "fn-tmp" / "evil"
    evil.mkdir(parents=True)
    (evil / "sitecustomize.py").write_text("print('SITECUSTOMIZE-RAN')\n")
    payload = tmp_path / "fn-tmp" / "payload"
    payload.write_text("#!/bin/sh\necho PAYLOAD-RAN\n")
    payload.chmod(0o755)
    result, events = run(f"""
    import subprocess
    py = sys.executable
    @guard(allow_processes=[os.path.basename(py), "sh"])
    def handler(event, context):
        out = {{}}
        out["pythonpath"] = attempt(lambda: subprocess.run([py, "-c", "1"], env={{"PYTHONPATH": {str(evil)!r}}}))
        out["isolated"] = attempt(lambda: subprocess.run([py, "-I", "-c", "1"]))
        out["clean_env"] = attempt(lambda: subprocess.run([py, "-c", "1"], env={{}}))
        out["sh_cd_tmp"] = attempt(lambda: subprocess.run(["sh", "-c", "cd " + TMP + " && ./payload"]))
        out["sh_cwd_tmp"] = attempt(lambda: subprocess.run(["sh", "-c", "./payload"], cwd=TMP))
        out["putenv"] = attempt(lambda: os.environ.__setitem__("PYTHONPATH", {str(evil)!r}))
        out["inherited"] = attempt(lambda: subprocess.run([py, "-c", "1"]))
        return out
    print("RESULT " + json.dumps(handler({{}}, Ctx("r1"))))
    """, tmp_path)
    assert result == {"pythonpath": "GuardBlocked", "isolated": "GuardBlocked", "clean_env": "GuardBlocked",
                      "sh_cd_tmp": "GuardBlocked", "sh_cwd_tmp": "GuardBlocked", "putenv": "ok",
                      "inherited": "GuardBlocked"}
    tamper = [e for e in events_of(events) if e["type"] == "tamper"]
    assert tamper and tamper[0]["detail"]["variable"] == "PYTHONPATH"


def test_ctypes_routes_to_system_leave_a_clear_event(tmp_path: Path) -> None:
    result, events = run("""
    import ctypes
    @guard(process="alert", ctypes="alert")
    def handler(event, context):
        libc = ctypes.CDLL(None)
        out = {}
        for name in ("dlsym", "syscall", "__libc_system", "execve", "strlen"):
            out[name] = attempt(lambda: getattr(libc, name))
        return out
    print("RESULT " + json.dumps(handler({}, Ctx("r1"))))
    """, tmp_path)
    assert result["dlsym"] == result["syscall"] == result["execve"] == result["strlen"] == "ok"
    flagged = {e["detail"]["symbol"]: e for e in events_of(events) if e["detail"].get("event") == "ctypes.dlsym"}
    assert sorted(flagged) == ["__libc_system", "dlsym", "execve", "syscall"]
    assert all(e["action"] == "alerted" and e["policy"] == "process" for e in flagged.values())
    assert "'syscall' resolved through ctypes" in flagged["syscall"]["detail"]["reason"]


def test_dir_fd_operations_are_judged_where_the_descriptor_points(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("precious")
    result, events = run(f"""
    import shutil
    @guard
    def handler(event, context):
        out = {{}}
        tree = os.path.join(TMP, "tree", "a", "b")
        os.makedirs(tree)
        open(os.path.join(tree, "f"), "w").write("x")
        out["rmtree_in_tmp"] = attempt(lambda: shutil.rmtree(os.path.join(TMP, "tree")))  # unlink(dir_fd=)
        fd = os.open({str(outside)!r}, os.O_RDONLY)
        out["unlink_outside"] = attempt(lambda: os.unlink("keep.txt", dir_fd=fd))
        out["mkdir_outside"] = attempt(lambda: os.mkdir("new", dir_fd=fd))
        tmp_fd = os.open(TMP, os.O_RDONLY)
        out["mkdir_in_tmp"] = attempt(lambda: os.mkdir("made-by-fd", dir_fd=tmp_fd))
        return out
    out = handler({{}}, Ctx("r1"))
    out["left"] = sorted(os.listdir(TMP))
    print("RESULT " + json.dumps(out))
    """, tmp_path)
    assert result == {"rmtree_in_tmp": "ok", "unlink_outside": "GuardBlocked", "mkdir_outside": "GuardBlocked",
                      "mkdir_in_tmp": "ok", "left": []}  # made-by-fd was tracked through its descriptor
    assert (outside / "keep.txt").read_text() == "precious"
    paths = [e["detail"]["path"] for e in events_of(events)]
    assert paths == [str(outside / "keep.txt"), str(outside / "new")]
