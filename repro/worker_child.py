"""Run reproduction cases inside the target interpreter (standard library + torch + liquid-audio).

Reads a JSON job on stdin, prints records (``lfmdoctor.child_protocol``): one ``facts`` record, then one
``case`` record per case (or one ``import_error`` record). A job with ``runs`` holds several such jobs, one
per fix strategy: each runs in a forked child of this process, with the strategy put in place there (the
runtime fix armed, or the patched copy imported instead), and its records carry ``run``: its label. So
torch and liquid-audio are imported once for all of them.
torch and liquid-audio are imported once; each case then runs in its own forked child with a
deadline, so a case that initialises CUDA, hangs or dies cannot affect the others. Where fork is
unsafe (macOS, Windows) each case runs in a fresh interpreter instead.
"""

import contextlib
import gc
import importlib.metadata
import importlib.util
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings

# NVML answers torch.cuda.is_available() without initialising CUDA, which must not happen before fork.
os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


# lfmdoctor/child_protocol.py, by path (lfmdoctor may not be importable here): in the folder above when
# installed (lfmdoctor/<sub>/this file), in its lfmdoctor/ folder in the source tree (<sub>/ beside it).
_UP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_AT = next(d for d in (_UP, os.path.join(_UP, "lfmdoctor")) if os.path.isfile(os.path.join(d, "child_protocol.py")))
_SPEC = importlib.util.spec_from_file_location("lfmdoctor_child_protocol", os.path.join(_AT, "child_protocol.py"))
protocol = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(protocol)


RUN = None  # the label of the run this process belongs to, in a job with several runs


def emit(kind, **fields):
    protocol.emit(kind, **fields, **({"run": RUN} if RUN is not None else {}))


def exception_record(exc):
    return {
        "type": type(exc).__name__,
        "mro": [cls.__name__ for cls in type(exc).__mro__],
        "message": str(exc),
        "frames": [{"file": f.filename, "line": f.lineno, "func": f.name} for f in traceback.extract_tb(exc.__traceback__)],
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    }


def base_namespace(job):
    from pathlib import Path

    import numpy as np
    import torch
    from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor

    model = Path(job["model"]) if job["model_is_path"] else job["model"]
    namespace = {
        "np": np,
        "torch": torch,
        "Path": Path,
        "ChatState": ChatState,
        "LFM2AudioModel": LFM2AudioModel,
        "LFM2AudioProcessor": LFM2AudioProcessor,
        "MODEL": model,
        "MODEL_DIR": Path(job["model_dir"]),
    }
    if job.get("callsite_file"):  # the call-site helpers, for lfmdoctor patch verify --strategy callsite
        callsite = protocol.load_file("lfmdoctor_callsite", job["callsite_file"])
        namespace.update({name: getattr(callsite, name) for name in callsite.__all__})
    return namespace


def machine_facts(job):
    """What the cases' conditions need to know, each measured by the expression its ``Condition`` declares
    (a condition a simulation makes hold is not asked for)."""
    import torch
    from liquid_audio import LFM2AudioProcessor

    names = {"torch": torch, "importlib": importlib, "LFM2AudioProcessor": LFM2AudioProcessor, "version_below": version_below}
    return {
        "cuda_available": torch.cuda.is_available(),
        "conditions": {name: bool(eval(holds, dict(names))) for name, holds in job.get("conditions", {}).items()},
        "liquid_audio_dir": os.path.dirname(importlib.util.find_spec("liquid_audio").origin),
        "torch": torch.__version__,
        # Some libraries touch CUDA at import; then a forked child cannot use CUDA at all.
        "bad_fork": bool(getattr(torch.cuda, "_is_in_bad_fork", lambda: False)()),
    }


def version_below(distribution, bound):
    """Whether the installed ``distribution`` is older than ``bound`` ("major.minor")."""
    return _major_minor(importlib.metadata.version(distribution)) < _major_minor(bound)


def _major_minor(version):
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else (0, 0)


def unmet(case, facts):
    return [name for name in case["requires"] if not facts["conditions"].get(name)]


class ThreadRaised(Exception):
    """Raised in the main thread when another thread of the case raised (its exception is the cause)."""


def stop_when_a_thread_raises():
    """A thread of the case that raises ends the case with its exception: whoever waits on that thread (the demo's
    reply waits on its generation thread's queue) would otherwise wait until the time limit. A case that sets its own
    ``threading.excepthook`` replaces this."""
    failed = []

    def hook(args):
        threading.__excepthook__(args)  # its traceback still goes to stderr
        failed.append(args.exc_value)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)  # wakes a main thread blocked on a lock

    def interrupt(signum, frame):
        raise ThreadRaised() from failed[-1]

    signal.signal(signal.SIGUSR1, interrupt)
    threading.excepthook = hook


def run_case(case, namespace, stub_dirs):
    """Run one case in this process; return its record (with the deprecations it met). Never raises."""
    if case.get("stubs"):
        sys.path[:0] = [stub_dirs[name] for name in case["stubs"]]
        importlib.invalidate_caches()
    ns = dict(namespace)
    for code in case.get("simulations", ()):  # each case runs in its own process: nothing leaks to the next
        exec(compile(code, f"<simulation for {case['id']}>", "exec"), dict(ns))
    stop_when_a_thread_raises()
    start = time.perf_counter()
    # stdout carries the records: what the code under study prints (the demo prints its replies without a newline)
    # goes to stderr, so it cannot run into the next record's line
    with warnings.catch_warnings(), contextlib.redirect_stdout(sys.stderr):
        package = os.path.dirname(importlib.util.find_spec("liquid_audio").origin)
        met = protocol.watch_deprecations(package)
        for phase in ("setup", "trigger"):
            try:
                exec(compile(case[phase] or "pass", f"<repro {case['id']} {phase}>", "exec"), ns)
            except BaseException as exc:  # the point is to capture whatever the library raises
                if isinstance(exc, ThreadRaised):
                    exc = exc.__cause__
                if isinstance(exc, (DeprecationWarning, FutureWarning)):  # a filter made the warning an error
                    frames = traceback.extract_tb(exc.__traceback__)
                    found = protocol.deprecation_record(type(exc).__name__, str(exc), frames, package)
                    met += [found] if found else []
                status = "raised" if phase == "trigger" else "setup_error"
                record = {"status": status, "exception": exception_record(exc), "duration_s": time.perf_counter() - start}
                return dict(record, deprecations=met)
    return {"status": "completed", "duration_s": time.perf_counter() - start, "deprecations": met}


def in_child(fn):
    """Fork; the child runs fn and sends its JSON result through a pipe. Returns (pid, read fd)."""
    read_fd, write_fd = os.pipe()
    gc.freeze()  # the child's collections then skip what it inherits, instead of copying every page they touch
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            result = fn()
        except BaseException as exc:
            result = {"status": "setup_error", "exception": exception_record(exc), "duration_s": 0.0}
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(json.dumps(result).encode())
        os._exit(0)
    os.close(write_fd)
    return pid, read_fd


def collect(pid, read_fd, deadline):
    chunks = []
    while True:
        # Past the deadline select still reports a result already written (cases run side by side).
        left = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_fd)
            return None
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return {"status": "crashed", "detail": f"case process died (wait status {status})"}
    return json.loads(b"".join(chunks))


class ResourceTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ResourceTimeout("timed out while loading")


def build_resource(job, need, namespace):
    """Build a shared resource in this process, under the case timeout; return an error record or None."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, job["timeout"])
    try:
        exec(compile(job["resources"][need], f"<resource {need}>", "exec"), namespace)
    except Exception as exc:
        record = exception_record(exc)
        if isinstance(exc, ResourceTimeout):
            record["message"] = f"loading {need} timed out after {job['timeout']:g} s"
        return record
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    return None


def run_forked(job, cases, stub_dirs, parallel):
    """Resources are built once here, before forking, then shared copy-on-write by every case."""
    import torch

    # A thread pool started before fork deadlocks in the children: stay single-threaded.
    torch.set_num_threads(1)
    namespace = base_namespace(job)
    pid, fd = in_child(lambda: machine_facts(job))
    facts = collect(pid, fd, time.monotonic() + job["timeout"])
    emit("facts", **(facts or {}))
    if facts is None or "cuda_available" not in facts:
        for case in cases:
            emit(
                "case",
                id=case["id"],
                status="setup_error",
                exception=(facts or {}).get("exception"),
                detail="the machine probe failed",
            )
        return
    todo = []
    for case in cases:
        missing = unmet(case, facts)
        if missing:
            emit("case", id=case["id"], status="unmet", unmet=missing)
        else:
            todo.append(case)
    if facts.get("bad_fork"):
        fresh = [c for c in todo if set(job.get("fresh_process", ())) & set(c["requires"])]
        todo = [c for c in todo if c not in fresh]
        run_spawned(job, fresh, stub_dirs, with_facts=False)
    # A resource can change one built before it (Mimi loads into the processor, which datasets then hashes): each
    # is built just before the first case that needs it, and the cases that need only earlier ones go first.
    order = list(job["resources"])
    todo.sort(key=lambda case: max(map(order.index, case["needs"]), default=-1))
    resource_errors = {}
    running = []
    while todo or running:
        while todo and len(running) < parallel:
            case = todo.pop(0)
            for need in case["needs"]:
                if need not in namespace and need not in resource_errors:
                    error = build_resource(job, need, namespace)
                    if error:
                        resource_errors[need] = error
            failed = [n for n in case["needs"] if n in resource_errors]
            if failed:
                emit("case", id=case["id"], status="setup_error", exception=resource_errors[failed[0]], duration_s=0.0)
                continue
            pid, fd = in_child(lambda case=case: run_case(case, namespace, stub_dirs))
            running.append((case, pid, fd, time.monotonic() + job["timeout"]))
        if not running:
            continue
        case, pid, fd, deadline = running.pop(0)
        result = collect(pid, fd, deadline)
        if result is None:
            result = {"status": "timeout", "duration_s": job["timeout"]}
        emit("case", id=case["id"], **result)


IMPORT_ALLOWANCE_S = 600.0  # a fresh interpreter's imports (torch, transformers, liquid-audio) on a slow machine


def spawn_one(job, case, stub_dirs):
    """Run one case in a fresh interpreter; return its JSON lines (a case line always among them)."""
    single = dict(job, mode="inline", cases=[case], stub_dirs=stub_dirs)
    child = subprocess.Popen(
        [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err, ready = [], [], threading.Event()

    def read_out():
        for line in child.stdout:
            out.append(line)
            if f'"{protocol.KEY}": "ready"' in line:
                ready.set()

    readers = [threading.Thread(target=read_out), threading.Thread(target=lambda: err.append(child.stderr.read()))]
    for reader in readers:
        reader.start()
    child.stdin.write(json.dumps(single))
    child.stdin.close()
    # The interpreter's imports and the shared resources are not the case: they get their own allowance, and the
    # case's limit starts once the child says it is ready to run it.
    deadline = time.monotonic() + IMPORT_ALLOWANCE_S + job["timeout"]
    while not ready.wait(0.1) and child.poll() is None and time.monotonic() < deadline:
        continue
    try:
        child.wait(timeout=job["timeout"] + 30 if ready.is_set() else 0)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        for reader in readers:
            reader.join()
        if ready.is_set():
            return [{protocol.KEY: "case", "id": case["id"], "status": "timeout", "duration_s": job["timeout"]}]
        slow = f"starting the interpreter, importing liquid-audio and loading took over {IMPORT_ALLOWANCE_S:g} s"
        return [{protocol.KEY: "case", "id": case["id"], "status": "setup_error", "detail": slow}]
    for reader in readers:
        reader.join()
    lines = [line for line in protocol.records("".join(out)) if line[protocol.KEY] != "ready"]
    if not any(line[protocol.KEY] == "case" for line in lines):
        tail = [x for x in "".join(err).splitlines() if x.strip()]
        lines.append(
            {
                protocol.KEY: "case",
                "id": case["id"],
                "status": "crashed",
                "detail": f"case process died: {tail[-1] if tail else child.returncode}",
            }
        )
    return lines


def run_spawned(job, cases, stub_dirs, with_facts=True):
    """One fresh interpreter per case, a few at a time: slower, but safe where fork is not."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, job.get("parallel", 2))) as pool:
        results = list(pool.map(lambda case: spawn_one(job, case, stub_dirs), cases))
    for index, lines in enumerate(results):
        for line in lines:
            if line[protocol.KEY] == "case" or (with_facts and index == 0):
                emit(line.pop(protocol.KEY), **line)


def run_inline(job, cases, stub_dirs):
    namespace = base_namespace(job)
    facts = machine_facts(job)
    emit("facts", **facts)
    for case in cases:
        missing = unmet(case, facts)
        if missing:
            emit("case", id=case["id"], status="unmet", unmet=missing)
            continue
        try:
            for need in case["needs"]:
                exec(compile(job["resources"][need], f"<resource {need}>", "exec"), namespace)
        except Exception as exc:
            emit("case", id=case["id"], status="setup_error", exception=exception_record(exc))
            continue
        emit("ready", id=case["id"])  # from here on the case's own time limit counts
        emit("case", id=case["id"], **run_case(case, namespace, stub_dirs))


def make_stubs(cases):
    """{module: folder holding an importable but empty package of that name}, for the cases' simulations."""
    folders = {}
    for name in sorted({stub for case in cases for stub in case.get("stubs", ())}):
        folders[name] = tempfile.mkdtemp(prefix=f"lfmdoctor-{name}-stub-")
        os.makedirs(os.path.join(folders[name], name))
        with open(os.path.join(folders[name], name, "__init__.py"), "w") as f:
            f.write('"""Importable but unusable stand-in (lfmdoctor --simulate)."""\n')
    return folders


def put_strategy_in_place(job):
    """In a run's own process: arm the runtime fix, or import the patched copy instead of the installed
    liquid-audio. Either way the fresh interpreters a case may need get it through PYTHONPATH too."""
    if job.get("pythonpath"):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [job["pythonpath"], os.environ.get("PYTHONPATH")]))
    if job.get("runtime_file"):
        protocol.load_file("_lfmdoctor_runtime_patch", job["runtime_file"]).install_import_hook()
    if job.get("source_path"):
        for name in [name for name in sys.modules if name == "liquid_audio" or name.startswith("liquid_audio.")]:
            del sys.modules[name]
        sys.path.insert(0, job["source_path"])
        importlib.invalidate_caches()
        import liquid_audio  # noqa: F401  (the patched copy)


def can_fork(job):
    """Forking after torch is imported is safe on Linux only (and a job may ask for fresh interpreters)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux") and not job.get("spawn")


def relay(run):
    """A run in a fresh interpreter with its strategy first on PYTHONPATH (where forking is unsafe)."""
    env = dict(os.environ)
    if run.get("pythonpath"):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [run["pythonpath"], env.get("PYTHONPATH")]))
    single = {key: value for key, value in run.items() if key not in ("runtime_file", "source_path")}
    done = subprocess.run([sys.executable, __file__], input=json.dumps(single), capture_output=True, text=True, env=env)
    for record in protocol.records(done.stdout):
        emit(record.pop(protocol.KEY), **record)


def run_several(job):
    """Each run in its own forked child, all at once, sharing the job's parallelism; each writes its records to
    a file of its own, copied to stdout once it ends, so the records of different runs never interleave."""
    global RUN
    if not can_fork(job):
        for run in job["runs"]:
            RUN = run["label"]
            relay(run)
        RUN = None
        return
    share = max(1, job["runs"][0].get("parallel", 2) // len(job["runs"]))
    children = []
    for run in job["runs"]:
        records = tempfile.TemporaryFile()
        sys.stdout.flush()
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            os.dup2(records.fileno(), sys.stdout.fileno())
            RUN = run["label"]
            try:
                put_strategy_in_place(run)
                run_job(dict(run, parallel=share))
            except BaseException as exc:
                emit("import_error", exception=exception_record(exc))
            finally:
                sys.stdout.flush()
                os._exit(0)
        children.append((pid, records))
    for pid, records in children:
        os.waitpid(pid, 0)
        records.seek(0)
        shutil.copyfileobj(records, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        records.close()


def main():
    job = json.load(sys.stdin)
    if job.get("mode") == "inline":
        run_inline(job, job["cases"], job.get("stub_dirs", {}))
        return
    try:
        import liquid_audio  # noqa: F401  (imported once, before any fork)
    except BaseException as exc:
        emit("import_error", exception=exception_record(exc))
        return
    preload(job)
    if "runs" in job:
        run_several(job)
    else:
        run_job(job)


def preload(job):
    """Import, once and before any fork, the libraries the cases import besides liquid-audio (never liquid-audio's
    own modules: a run may import a patched copy of them)."""
    for name in sorted({name for one in job.get("runs", [job]) for case in one["cases"] for name in case.get("imports", ())}):
        try:
            importlib.import_module(name)
        except Exception:
            pass  # the case imports it again, and reports what fails


def run_job(job):
    cases = job["cases"]
    stub_dirs = make_stubs(cases)
    try:
        if can_fork(job):
            run_forked(job, cases, stub_dirs, job.get("parallel", 2))
        else:
            run_spawned(job, cases, stub_dirs)
    finally:
        for folder in stub_dirs.values():
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
