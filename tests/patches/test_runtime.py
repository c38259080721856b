"""The runtime patch against the real liquid-audio: in this process, in overlays, and via lfmdoctor exec."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
liquid_audio = pytest.importorskip("liquid_audio")

from lfmdoctor.bugs import BUGS, audio_format, dtype_mismatch, model_device, processor_device
from lfmdoctor.patches import runtime
from lfmdoctor.patches.bootstrap import exec_environment, runtime_bootstrap
from lfmdoctor.patches.source import apply_plan, plan

from .conftest import copy_package

FIXED_UPSTREAM = dtype_mismatch.BUG.id  # liquid-audio casts the conformer input since 1.2.0
# the bugs with a runtime fix (the others say why they have none: ``source_only``); a fix of a module liquid_audio
# does not import (the demo's, the trainer's) is "patched" where its source has the bug, and goes in at that import
FIXED_IN_1_3_0 = {bug.id for bug in BUGS if bug.runtime} - {FIXED_UPSTREAM}
Processor, Model, ChatState = (
    liquid_audio.LFM2AudioProcessor,
    liquid_audio.LFM2AudioModel,
    liquid_audio.ChatState,
)
TARGETS = [
    (Processor, "from_pretrained"),
    (Processor, "audio_detokenizer"),
    (Processor, "mimi"),
    (Processor, "decode"),
    (ChatState, "add_audio"),
    (Model, "from_pretrained"),
    (liquid_audio.utils, "get_model_dir"),
    (liquid_audio.processor, "get_model_dir"),
]


@pytest.fixture
def originals():
    saved = {(owner, name): vars(owner)[name] for owner, name in TARGETS}
    yield saved
    runtime.revert()
    assert {key: vars(key[0])[key[1]] for key in saved} == saved


def test_apply_patches_what_the_installed_code_has_and_is_idempotent(originals):
    report = runtime.apply()
    assert {bug for bug, what in report.items() if what == "patched"} == FIXED_IN_1_3_0
    assert report[FIXED_UPSTREAM].startswith("not needed")
    assert all(vars(owner)[name] is not originals[(owner, name)] for owner, name in TARGETS)
    patched_now = {key: vars(key[0])[key[1]] for key in originals}
    again = runtime.apply()
    assert {what for bug, what in again.items() if bug in FIXED_IN_1_3_0} == {"already patched"}
    assert {key: vars(key[0])[key[1]] for key in originals} == patched_now  # nothing wrapped twice


def test_revert_restores_the_original_objects(originals):
    runtime.apply()
    restored = runtime.revert()
    assert "LFM2AudioProcessor.from_pretrained" in restored
    assert all(vars(owner)[name] is originals[(owner, name)] for owner, name in TARGETS)
    assert not [a for a in vars(Processor) if a.startswith(runtime.SIDE)]
    assert runtime.revert() == []


def test_the_seed_code_runs_with_the_patch(originals, tiny_checkpoint):
    with runtime.patched():
        processor = Processor.from_pretrained(str(tiny_checkpoint))  # no device=, a str path
        model = Model.from_pretrained(str(tiny_checkpoint), dtype=torch.float32)
        assert processor.device.type == "cpu" and not model.training
        chat = ChatState(processor, dtype=torch.float32)
        chat.new_turn("user")
        chat.add_audio(0.1 * np.sin(np.arange(800, dtype=np.float32) / 8), 16_000)  # 50 ms of numpy 1-D
        chat.end_turn()
        chat.new_turn("assistant")
        assert len(list(model.generate_sequential(**chat, max_new_tokens=2))) == 2
        frames = torch.zeros((1, 8, 3), dtype=torch.long)
        frames[..., -1] = 2048
        assert processor.decode(frames).shape[0] == 1
        with pytest.raises(RuntimeError, match=r"expected audio codes in range") as raised:
            processor.decode(torch.full((1, 8, 2), 4000))  # not end of audio: liquid-audio's own error, from its line
        assert raised.traceback[-1].path.name == "processor.py"
        with pytest.raises(ValueError, match="got shape"):
            chat.add_audio(np.zeros((2, 3, 4), np.float32), 16_000)
    with pytest.raises(Exception, match="Repo id must"):
        Processor.from_pretrained(str(tiny_checkpoint), device="cpu")  # reverted on leaving the block


def test_a_block_leaves_an_earlier_apply_alone(originals):
    runtime.apply()
    with runtime.patched() as report:
        assert report[processor_device.BUG.id] == "already patched"
    assert vars(Processor)["from_pretrained"] is not originals[(Processor, "from_pretrained")]


def test_flash_attention_only_on_cuda_in_half_precision(originals, tiny_checkpoint, monkeypatch, tmp_path):
    stub = tmp_path / "stub"
    (stub / "flash_attn").mkdir(parents=True)
    (stub / "flash_attn" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(stub))
    module_exists = liquid_audio.model.lfm2_audio.module_exists
    assert module_exists("flash_attn")
    runtime.apply()
    model = Model.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.bfloat16)
    assert model.lfm.config._attn_implementation == "sdpa"
    assert liquid_audio.model.lfm2_audio.module_exists("flash_attn")  # outside loading: unchanged


def test_the_fine_tuning_trainer_still_trains(originals):
    runtime.apply()
    from liquid_audio import trainer

    try:
        assert runtime._installed(trainer.Trainer, "__init__")
    finally:
        runtime.revert()
    assert not runtime._installed(trainer.Trainer, "__init__")


# --- other code, in child interpreters (run side by side, once per module) ---------------------------

PROBE = """
import json, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    import lfmdoctor.patches as patches
    report = patches.apply()
print(json.dumps({"report": report, "warnings": [str(w.message) for w in caught
                  if w.category.__name__ == "RuntimePatchWarning"]}))
"""

WITHOUT_LFMDOCTOR = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "lfmdoctor" or name.startswith("lfmdoctor."):
            raise ImportError("no lfmdoctor here")
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
import sitecustomize  # what the interpreter runs at start-up under lfmdoctor exec
import liquid_audio
print(type(liquid_audio.ChatState.__dict__["add_audio"]).__name__,
      "_lfmdoctor_runtime_add_audio" in vars(liquid_audio.ChatState), "lfmdoctor" in sys.modules)
"""

SEED = """
import sys
import numpy as np
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor

processor = LFM2AudioProcessor.from_pretrained(sys.argv[1])
model = LFM2AudioModel.from_pretrained(sys.argv[1])
chat = ChatState(processor)
chat.new_turn("user")
chat.add_audio(np.zeros(16_000, dtype=np.float32), 16_000)
chat.end_turn()
chat.new_turn("assistant")
print("tokens:", len(list(model.generate_sequential(**chat, max_new_tokens=2))))
sys.exit(5)
"""


def _run(job: tuple[list[str], dict[str, str]]) -> subprocess.CompletedProcess[str]:
    argv, env = job
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, env=dict(os.environ, **env), check=False)


def _probe_result(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def children(liquid_audio_dir, tiny_checkpoint, tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("runtime-children")
    drift = copy_package(liquid_audio_dir, root / "drift")
    processor = drift / "processor.py"
    processor.write_text(processor.read_text().replace("assert len(wave.shape) == 2", "assert wave.dim() == 2"))
    fixed = copy_package(liquid_audio_dir, root / "fixed")
    apply_plan(plan(fixed), backup=False)
    (root / "seed.py").write_text(SEED)
    jobs = {
        "drift": ([sys.executable, "-c", PROBE], {"PYTHONPATH": str(drift.parent)}),
        "fixed": ([sys.executable, "-c", PROBE], {"PYTHONPATH": str(fixed.parent)}),
        "without lfmdoctor": ([sys.executable, "-c", WITHOUT_LFMDOCTOR, str(runtime_bootstrap())], {}),
        "seed as written": ([sys.executable, str(root / "seed.py"), str(tiny_checkpoint)], {}),
    }
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return dict(zip(jobs, pool.map(_run, jobs.values())))


@pytest.mark.slow
def test_code_that_no_longer_looks_as_expected_is_left_alone_with_a_warning(children):
    result = _probe_result(children["drift"])
    assert result["report"][audio_format.BUG.id].startswith("skipped: ChatState.add_audio does not look as expected")
    assert len(result["warnings"]) == 1 and "left alone" in result["warnings"][0]
    assert result["report"][processor_device.BUG.id] == "patched"  # the other fixes still go in


@pytest.mark.slow
def test_source_patched_code_needs_no_runtime_fix(children):
    result = _probe_result(children["fixed"])
    assert result["warnings"] == []
    assert all(what.startswith("not needed") for what in result["report"].values()), result["report"]


@pytest.mark.slow
def test_runtime_loads_where_lfmdoctor_is_not_installed(children):
    done = children["without lfmdoctor"]
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["function", "True", "False"]


# --- lfmdoctor exec ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_exec_runs_an_unmodified_program_with_the_patch(cli, children, tiny_checkpoint, tmp_path):
    plain = children["seed as written"]
    assert plain.returncode == 1 and "HFValidationError" in plain.stderr  # the seed code fails as written
    script = Path(plain.args[1])
    chained = tmp_path / "site"
    chained.mkdir()
    (chained / "sitecustomize.py").write_text("import os\nos.environ['CHAINED'] = 'yes'\n")
    done = cli(
        "exec",
        "--verbose",
        "--",
        sys.executable,
        "-c",
        f"import os, runpy, sys; sys.argv = [{str(script)!r}, {str(tiny_checkpoint)!r}]; "
        "print('chained:', os.environ.get('CHAINED')); runpy.run_path(sys.argv[0], run_name='__main__')",
        env={"PYTHONPATH": str(chained)},
    )
    assert done.returncode == 5, done.stderr  # the program's own exit status
    assert "chained: yes" in done.stdout and "tokens: 2" in done.stdout
    assert f"liquid-audio patched at runtime: {processor_device.BUG.id}, {model_device.BUG.id}" in done.stderr


def test_exec_environment_puts_the_bootstrap_first():
    env = exec_environment({"PYTHONPATH": "/elsewhere"})
    first, rest = env["PYTHONPATH"].split(os.pathsep)
    assert (Path(first) / "sitecustomize.py").is_file() and rest == "/elsewhere"


@pytest.mark.parametrize("args, words", [([], "nothing to run"), (["--", "no-such-program-x"], "not found")])
def test_exec_bad_input_is_one_line_exit_2(cli, args, words):
    done = cli("exec", *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


@pytest.mark.slow
def test_a_lookup_before_the_import_does_not_disarm_the_runtime_fix():
    """A program (or a library) may ask importlib where liquid_audio is before importing it."""
    code = (
        "import importlib.util\n"
        "importlib.util.find_spec('liquid_audio')\n"
        "from liquid_audio import LFM2AudioProcessor\n"
        "print('_lfmdoctor_runtime_from_pretrained' in vars(LFM2AudioProcessor))\n"
    )
    env = exec_environment(dict(os.environ))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.stdout.strip() == "True", done.stderr[-2000:]
