"""Reproductions run the real liquid-audio code on the tiny checkpoint and see the real exceptions."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys

import pytest

from lfmdoctor import bugs
from lfmdoctor.bugs import CASES, select
from lfmdoctor.bugs._spec import CONDITIONS
from lfmdoctor.patches.sourcegen import ruff_binary
from lfmdoctor.repro.emit import emit_scripts, render_script
from lfmdoctor.repro.engine import Run, run_cases, run_in_one_worker
from lfmdoctor.repro.models import resolve_model
from lfmdoctor.results import Outcome

from ..conftest import Overlay

LOCAL_PATH, EOA_CODE = bugs.local_path.BUG.id, bugs.eoa_code.BUG.id
# Cases this machine (CPU-only, liquid-audio 1.3.0) cannot or need not reproduce, and why.
NOT_HERE = {
    bugs.mimi_device.BUG.id: Outcome.SKIPPED,  # needs MPS
    bugs.flash_attn.BUG.id: Outcome.SKIPPED,  # needs flash_attn installed (see the --simulate test)
    bugs.dtype_mismatch.BUG.id: Outcome.NOT_REPRODUCED,  # fixed in 1.2.0
    bugs.short_audio.BUG.id: Outcome.NOT_REPRODUCED,  # needs CUDA available (see the --simulate test)
}
REPRODUCIBLE = [c.id for c in CASES if c.id not in NOT_HERE]


@pytest.fixture(scope="session")
def model(tiny_checkpoint):
    return resolve_model("fixture")


@pytest.fixture(scope="session")
def all_results(model):
    return {r.id: r for r in run_cases(sys.executable, CASES, model)}


@pytest.mark.slow
@pytest.mark.parametrize("case_id", REPRODUCIBLE)
def test_case_reproduces_here(all_results, case_id):
    result = all_results[case_id]
    assert result.outcome is Outcome.REPRODUCED, result.reason
    assert result.exception is not None
    case = next(c for c in CASES if c.id == case_id)
    assert result.exception.type in case.expect.types
    if case.expect.frame:
        assert any(f.startswith(f"liquid_audio/{case.expect.frame}") for f in result.frames), result.frames


@pytest.mark.slow
@pytest.mark.parametrize("case_id", sorted(NOT_HERE))
def test_cases_this_machine_cannot_show(all_results, case_id):
    result = all_results[case_id]
    assert result.outcome is NOT_HERE[case_id]
    assert result.reason


@pytest.mark.slow
def test_flash_attn_reproduces_with_an_unusable_stub(model):
    [case] = bugs.flash_attn.BUG.cases
    [simulation] = [CONDITIONS[name].simulate for name in case.requires]
    [result] = run_cases(sys.executable, [case], model, simulate=[simulation.name])
    assert result.outcome is Outcome.REPRODUCED, result.reason
    assert "FlashAttention2" in result.exception.message


@pytest.mark.slow
def test_short_audio_reproduces_with_cuda_said_available_in_its_own_process(model):
    """The simulation fakes torch.cuda.is_available() in the case's process only: a case that does not require
    it, run in the same worker, still has torch's own function."""
    [short] = bugs.short_audio.BUG.cases
    [simulation] = [CONDITIONS[name].simulate for name in short.requires]
    [other] = bugs.audio_padding.BUG.cases
    probe = dataclasses.replace(other, trigger="assert torch.cuda.is_available.__name__ == 'is_available', 'leaked'")
    results = {r.id: r for r in run_cases(sys.executable, [short, probe], model, simulate=[simulation.name])}
    assert results[short.id].outcome is Outcome.REPRODUCED, results[short.id].reason
    assert "received a tensor of length 1" in results[short.id].exception.message
    assert results[probe.id].outcome is Outcome.NOT_REPRODUCED, results[probe.id].reason


DETOK_FIX = ("processor.py", ".eval().cuda()", ".eval().to(self.device)")
FIXES = {
    # bug id: [(file, old, new)] – the smallest edits that remove the bug from a copy of 1.3.0
    bugs.processor_device.BUG.id: [
        ("processor.py", 'device: torch.device | str = "cuda"', 'device: torch.device | str = "cpu"'),
    ],
    bugs.model_device.BUG.id: [
        ("model/lfm2_audio.py", 'device: torch.device | str = "cuda"', 'device: torch.device | str = "cpu"'),
    ],
    bugs.detokenizer_device.BUG.id: [DETOK_FIX],
    LOCAL_PATH: [
        ("utils.py", "if isinstance(repo_id, str):", "if isinstance(repo_id, str) and not Path(repo_id).is_dir():"),
        ("utils.py", "cache_path = repo_id", "cache_path = Path(repo_id)"),
    ],
    bugs.train_mode.BUG.id: [("model/lfm2_audio.py", "        return model\n", "        return model.eval()\n")],
    # once end-of-audio frames are dropped, decode reaches the detokenizer: that bug must go too
    EOA_CODE: [
        DETOK_FIX,
        (
            "processor.py",
            "if torch.any(audio_codes >= 2048)",
            "audio_codes = audio_codes[..., (audio_codes != 2048).all(1)[0]]\n        if torch.any(audio_codes >= 2048)",
        ),
    ],
}


@pytest.fixture(scope="module")
def hand_fixed(model, tmp_path_factory, liquid_audio_dir):
    """{bug id: its outcomes} on a copy of liquid_audio with that bug's edits (FIXES), and on one left as it is
    ("unfixed": the local-path case), all in one worker: each copy is imported instead in a forked child of it."""
    runs = []
    for label, edits in [*FIXES.items(), ("unfixed", [])]:
        copy = Overlay(tmp_path_factory.mktemp("copy"))
        shutil.copytree(liquid_audio_dir, copy.package, ignore=shutil.ignore_patterns("__pycache__"))
        for edit in edits:
            copy.edit(*edit)
        bug = LOCAL_PATH if label == "unfixed" else label
        skip = tuple(case.id for case in CASES if case.bug != bug)
        runs.append(Run(label, source_path=str(copy), pythonpath=str(copy), skip=skip))
    outcomes = run_in_one_worker(sys.executable, CASES, model, runs)
    return {run.label: results for run, results in zip(runs, outcomes)}


@pytest.mark.slow
@pytest.mark.parametrize("bug_id", sorted(FIXES))
def test_fixed_copy_is_not_reproduced(hand_fixed, bug_id):
    assert hand_fixed[bug_id]
    for result in hand_fixed[bug_id]:
        assert result.outcome is Outcome.NOT_REPRODUCED, (result.id, result.reason)


@pytest.mark.slow
def test_unfixed_copy_still_reproduces(hand_fixed):
    [result] = hand_fixed["unfixed"]
    assert result.outcome is Outcome.REPRODUCED
    assert result.frames[-1].startswith("liquid_audio/utils.py")


@pytest.mark.slow
def test_a_hanging_case_becomes_error_after_its_timeout(model, liquid_audio_copy):
    liquid_audio_copy.edit(
        "utils.py",
        "    if isinstance(repo_id, str):\n",
        "    if isinstance(repo_id, str):\n        import time; time.sleep(600)\n",
    )
    results = run_cases(
        sys.executable, select([LOCAL_PATH, EOA_CODE]), model, timeout=3, extra_pythonpath=[str(liquid_audio_copy)]
    )
    outcomes = {r.id: r for r in results}
    assert outcomes[LOCAL_PATH].outcome is Outcome.ERROR
    assert "timed out" in outcomes[LOCAL_PATH].reason
    assert outcomes[EOA_CODE].outcome is Outcome.REPRODUCED  # the hang did not affect the other case


@pytest.mark.slow
def test_a_hanging_shared_load_is_an_error_for_the_cases_that_need_it(model, liquid_audio_copy):
    liquid_audio_copy.edit("utils.py", "    cache_path: Path\n", "    cache_path: Path\n    import time; time.sleep(600)\n")
    results = run_cases(
        sys.executable,
        select([EOA_CODE, bugs.audio_format.BUG.cases[0].id]),  # both need the shared processor
        model,
        timeout=3,
        extra_pythonpath=[str(liquid_audio_copy)],
    )
    for result in results:
        assert result.outcome is Outcome.ERROR
        assert "timed out" in result.reason


@pytest.mark.slow
def test_a_case_that_kills_its_process_is_an_error(model, liquid_audio_copy):
    liquid_audio_copy.edit("utils.py", "    cache_path: Path\n", "    cache_path: Path\n    import os; os._exit(3)\n")
    [result] = run_cases(sys.executable, select([LOCAL_PATH]), model, extra_pythonpath=[str(liquid_audio_copy)])
    assert result.outcome is Outcome.ERROR
    assert "died" in result.reason


def test_liquid_audio_that_does_not_import(model, tmp_path):
    (tmp_path / "liquid_audio").mkdir()
    (tmp_path / "liquid_audio" / "__init__.py").write_text("from transformers import Lfm2HybridConvCache\n")
    results = run_cases(sys.executable, select([LOCAL_PATH]), model, extra_pythonpath=[str(tmp_path)])
    assert results[0].outcome is Outcome.ERROR
    assert "does not import" in results[0].reason


# Runs each script given on its command line as ``python SCRIPT FOLDER`` would, in a child forked after the imports
# every script repeats (the scripts' own lines still run: runpy), its stdout and stderr to SCRIPT.out and .err;
# prints {script: exit code}. One fresh interpreter per script would import torch and liquid-audio 32 times.
SCRIPT_RUNNER = """\
import gc, importlib, json, os, runpy, sys, traceback
for name in ("torch", "numpy", "liquid_audio", "datasets", "gradio", "fastrtc.reply_on_pause"):
    importlib.import_module(name)
folder, scripts, codes, running = sys.argv[1], sys.argv[2:], {}, {}
while scripts or running:
    if scripts and len(running) < 2:
        script = scripts.pop(0)
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            for fd, suffix in ((1, ".out"), (2, ".err")):
                os.dup2(os.open(script + suffix, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            sys.argv, code = [script, folder], 0
            try:
                runpy.run_path(script, run_name="__main__")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush(), sys.stderr.flush()
            os._exit(code)
        running[pid] = script
        continue
    pid, status = os.wait()
    codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
print(json.dumps(codes))
"""


@pytest.mark.slow
def test_emitted_scripts_reproduce_with_plain_python(model, tmp_path, all_results):
    cases = [c for c in CASES if c.id in REPRODUCIBLE]
    emit_scripts(cases, model, tmp_path)
    scripts = {case.id: tmp_path / f"repro_{case.id.replace(':', '_').replace('-', '_')}.py" for case in cases}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT_RUNNER, str(model.folder), *map(str, scripts.values())],  # the fixture with every part
        capture_output=True,
        text=True,
        timeout=900,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    codes = json.loads(done.stdout)
    for case in cases:
        script = str(scripts[case.id])
        assert codes[script] != 0, (case.id, open(script + ".out").read())
        last = open(script + ".err").read().strip().splitlines()[-1]
        expected = all_results[case.id].exception.type
        assert last.startswith(expected) or f".{expected}" in last, (case.id, last)


@pytest.mark.slow
def test_emitted_script_builds_its_own_checkpoint(model, tmp_path):
    [case] = select([LOCAL_PATH])
    [script, _builder] = emit_scripts([case], model, tmp_path)
    imports = {
        line.split()[1].split(".")[0] for line in script.read_text().splitlines() if line.startswith(("import ", "from "))
    }
    assert imports <= {"subprocess", "sys", "pathlib", "numpy", "torch", "liquid_audio"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert "HFValidationError" in done.stderr.strip().splitlines()[-1]
    assert (tmp_path / "tiny-checkpoint" / "model.safetensors").is_file()


@pytest.mark.slow
def test_cli_json_contract_and_exit_codes(cli):
    done = cli("repro", "--bug", LOCAL_PATH, "--bug", EOA_CODE, "--json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    for result in data["results"]:
        assert set(result) >= {"id", "outcome", "exception", "frames", "duration_s", "reason"}
        assert result["outcome"] == "reproduced"
        assert set(result["exception"]) == {"type", "message"}
    assert cli("repro", "--bug", bugs.mimi_device.BUG.id, "--json").returncode == 0  # skipped: nothing reproduced


@pytest.mark.parametrize(
    "args, words",
    [
        (["--bug", "no-such-bug"], "unknown bug"),
        (["--model", "/no/such/folder"], "does not exist"),
        (["--model", "LiquidAI/LFM2.5-Audio-1.5B"], "hf download"),
        (["--simulate", "nope"], "--simulate"),
        (["--all", "--bug", LOCAL_PATH], "exclude"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(cli, args, words, tmp_path):
    done = cli("repro", *args, env={"HF_HOME": str(tmp_path / "hf")})
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], done.stderr


def test_emitted_scripts_import_exactly_what_they_use(model, tmp_path):
    ruff = ruff_binary()
    scripts = [p for p in emit_scripts(list(CASES), model, tmp_path) if p.name.startswith("repro_")]
    done = subprocess.run(
        [ruff, "check", "--isolated", "--no-cache", "--select", "F401,F841,F821", *map(str, scripts)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_each_set_of_checkpoint_parts_gets_its_own_folder(model, tmp_path):
    by_parts = {case.checkpoint: case for case in CASES}
    assert len(by_parts) > 1, "the cases declare no optional checkpoint parts any more"
    folders = {re.search(r'with_name\("([^"]+)"\)', render_script(case, model)).group(1) for case in by_parts.values()}
    assert len(folders) == len(by_parts)


@pytest.mark.slow
def test_several_runs_go_to_fresh_interpreters_where_forking_is_unsafe(model):
    """The path macOS and Windows take (``spawn``): each run in a fresh worker, its records labelled."""
    from lfmdoctor.patches.bootstrap import CALLSITE_FILE
    from lfmdoctor.repro import engine

    cases = select([LOCAL_PATH])
    runs = [dict(engine.build_job(cases, model, (), 120.0), label="none")]
    runs.append(dict(engine.build_job(cases, model, (), 120.0, str(CALLSITE_FILE)), label="callsite"))
    out, err, code = engine._run_worker(sys.executable, {"runs": runs, "spawn": True}, engine.worker_env((), ()), 600)
    [before] = engine.parse_worker_output(cases, out, err, code, "none")
    [after] = engine.parse_worker_output(cases, out, err, code, "callsite")
    assert (before.outcome, after.outcome) == (Outcome.REPRODUCED, Outcome.NOT_REPRODUCED), (before.reason, after.reason)
