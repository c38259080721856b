"""Collect environment facts from a target interpreter by running ``probe_child.py`` in child processes.

The probes run in parallel, each with a timeout; whatever a probe cannot answer becomes a
``ProbeFailure`` instead of an exception. All subprocess I/O goes through an injectable runner.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lfmdoctor import child_protocol
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import write_atomic
from lfmdoctor.results import (
    EnvironmentFacts,
    LiquidAudioFacts,
    ProbeFailure,
    TorchaudioFacts,
    TorchFacts,
    WeightsFacts,
)

PROBE = Path(__file__).with_name("probe_child.py")
KNOWN_WEIGHTS = ("LiquidAI/LFM2.5-Audio-1.5B", "LiquidAI/LFM2-Audio-1.5B")

# (returncode, stdout, stderr); returncode None means the command timed out or could not start.
RunResult = tuple[int | None, str, str]
Runner = Callable[[list[str], float], RunResult]


class TargetUnusable(LfmdoctorError):
    """The target interpreter does not exist or does not run."""


def run_command(argv: list[str], timeout: float) -> RunResult:
    """Run ``argv`` in its own process group; at ``timeout`` the whole group is killed (a wrapper script's
    children too), so the stated limit holds and nothing is left running. Output that is not UTF-8 is kept,
    undecodable bytes replaced."""
    try:
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True
        )
    except OSError as exc:
        return None, "", str(exc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        try:
            out, _ = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a grandchild that left the group holds the pipe: stop reading
            out = b""
        return None, _text(out), f"timed out after {timeout:g} s"
    except BaseException:
        kill_group(proc)
        raise
    return proc.returncode, _text(out), _text(err)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc``'s process group (it leads one: ``start_new_session``), then reap it."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    except OSError:
        pass


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", errors="replace")


def parse_stages(stdout: str) -> dict[str, dict]:
    """The probe's records by stage (the last one of each)."""
    return {record.pop(child_protocol.KEY): record for record in child_protocol.records(stdout)}


def torch_flavour(facts: dict, os_name: str) -> str | None:
    if not facts.get("version"):
        return None
    if facts.get("hip_build"):
        return f"ROCm {facts['hip_build']}"
    if facts.get("cuda_build"):
        return f"CUDA {facts['cuda_build']}"
    if os_name.startswith("Darwin"):
        return "macOS (MPS)" if facts.get("mps_built") else "macOS (CPU)"
    return "CPU-only"


def crash_reason(stage: str, result: RunResult) -> str:
    code, _out, err = result
    tail = [line for line in err.strip().splitlines() if line.strip()]
    last = tail[-1] if tail else ""
    if code is None:
        return f"{stage} probe {err or 'did not run'}"
    if code < 0:
        return f"{stage} probe was killed by signal {-code} {last}".rstrip()
    return f"{stage} probe exited {code}: {last}".rstrip(": ")


def build_facts(basics: RunResult, torch_run: RunResult, driver: str | None, weights: list[WeightsFacts]) -> EnvironmentFacts:
    """Pure: turn the probes' raw outputs into EnvironmentFacts."""
    base = parse_stages(basics[1]).get("basics")
    if base is None:
        raise TargetUnusable(crash_reason("basics", basics))
    failures: list[ProbeFailure] = []
    stages = parse_stages(torch_run[1])
    torch_stage = stages.get("torch")
    torch = TorchFacts()
    if torch_stage is None:
        torch.import_error = crash_reason("torch", torch_run)
        failures.append(ProbeFailure("torch", torch.import_error))
    elif torch_stage.get("import_error"):
        torch.import_error = torch_stage["import_error"]
    else:
        torch = TorchFacts(
            version=torch_stage["version"],
            flavour=torch_flavour(torch_stage, base["os"]),
            cuda_build=torch_stage.get("cuda_build"),
            hip_build=torch_stage.get("hip_build"),
            cuda_available=torch_stage.get("cuda_available"),
            cuda_unavailable_reason=torch_stage.get("cuda_unavailable_reason"),
            cuda_devices=torch_stage.get("cuda_devices", []),
            cuda_driver=driver,
            mps_built=torch_stage.get("mps_built"),
            mps_available=torch_stage.get("mps_available"),
        )
    audio_stage = stages.get("torchaudio")
    packages = base["packages"]
    if audio_stage is not None:
        torchaudio = TorchaudioFacts(
            version=audio_stage.get("version") or packages.get("torchaudio"),
            imports=audio_stage["imports"],
            import_error=audio_stage.get("import_error"),
        )
    elif packages.get("torchaudio") and torch_stage is not None and not torch.import_error:
        reason = crash_reason("torchaudio", torch_run)
        torchaudio = TorchaudioFacts(version=packages["torchaudio"], imports=False, import_error=reason)
        failures.append(ProbeFailure("torchaudio", reason))
    else:
        torchaudio = TorchaudioFacts(version=packages.get("torchaudio"))
    location = base.get("liquid_audio_location")
    dist_location = base.get("liquid_audio_dist_location")
    return EnvironmentFacts(
        python=base["python"],
        python_executable=base["executable"],
        os=base.get("os_pretty") or base["os"],
        arch=base["arch"],
        packages=packages,
        torch=torch,
        torchaudio=torchaudio,
        liquid_audio=LiquidAudioFacts(
            version=packages.get("liquid-audio"),
            location=location,
            shadowed=bool(location and dist_location and Path(location) != Path(dist_location)),
            import_error=(stages.get("liquid_audio") or {}).get("import_error"),
        ),
        flash_attn=bool(base.get("flash_attn_spec")),
        weights=weights,
        probe_failures=failures,
    )


def cached_weights(repo_ids: Iterable[str] = KNOWN_WEIGHTS) -> list[WeightsFacts]:
    """Look in the local Hugging Face cache only; never touches the network."""
    from huggingface_hub import try_to_load_from_cache

    found = []
    for repo_id in repo_ids:
        hit = try_to_load_from_cache(repo_id, "config.json")
        path = str(Path(hit).parent) if isinstance(hit, str) else None
        found.append(WeightsFacts(repo_id=repo_id, cached=path is not None, path=path))
    return found


def nvidia_driver(runner: Runner, timeout: float) -> str | None:
    if shutil.which("nvidia-smi") is None:
        return None
    code, out, _ = runner(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"], timeout)
    return out.strip().splitlines()[0] if code == 0 and out.strip() else None


def collect(
    python: str, timeout: float = 30.0, runner: Runner = run_command, cache_dir: Path | None = None, fresh: bool = False
) -> EnvironmentFacts:
    """Probe the target. The torch stage (importing torch, ~2 s) is reused from ``cache_dir`` while the
    basics probe's fingerprint (installed torch files, sys.path, GPU driver, CUDA_* variables) is unchanged."""
    if not (os.path.isfile(python) or shutil.which(python)):
        raise TargetUnusable(f"interpreter {python} not found")
    with ThreadPoolExecutor(max_workers=4) as pool:
        driver = pool.submit(nvidia_driver, runner, timeout)
        weights = pool.submit(cached_weights)
        probe_torch = lambda: runner([python, str(PROBE), "torch"], timeout)  # noqa: E731
        fresh_run = pool.submit(probe_torch) if fresh else None
        basics = runner([python, str(PROBE), "basics"], timeout)
        if basics[0] is None and fresh_run is None:  # the target hangs: another probe would hang as long
            return build_facts(basics, (None, "", f"not run: {basics[2]}"), driver.result(), weights.result())
        fingerprint = (parse_stages(basics[1]).get("basics") or {}).get("fingerprint")
        torch_run = None if fresh else load_cached_torch_stage(cache_dir, fingerprint)
        if torch_run is None:
            torch_run = fresh_run.result() if fresh_run else probe_torch()
            store_torch_stage(cache_dir, fingerprint, torch_run)
        return build_facts(basics, torch_run, driver.result(), weights.result())


def _cache_file(cache_dir: Path | None, fingerprint: str | None) -> Path | None:
    if cache_dir is None or not fingerprint:
        return None
    return cache_dir / "probes" / f"torch-{fingerprint[:32]}.json"


def load_cached_torch_stage(cache_dir: Path | None, fingerprint: str | None) -> RunResult | None:
    path = _cache_file(cache_dir, fingerprint)
    try:
        data = json.loads(path.read_text()) if path else None
    except (OSError, ValueError):
        return None
    return (data["returncode"], data["stdout"], data["stderr"]) if data else None


def store_torch_stage(cache_dir: Path | None, fingerprint: str | None, result: RunResult) -> None:
    path = _cache_file(cache_dir, fingerprint)
    if path is None or result[0] is None:  # never remember a timeout
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"returncode": result[0], "stdout": result[1], "stderr": result[2]}))
    except OSError:
        pass
