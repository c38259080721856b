"""The upstream README's chat and TTS examples, verbatim but for the model id, run under ``lfmdoctor exec`` on the
steered tiny checkpoint: they reach text, audio frames and the decoded waveform every time, on a CPU-only machine.

"Every time" is ``RUNS`` runs of the example in one ``exec``, each after its own ``torch.manual_seed``: separate
interpreters would all sample with torch's same default seed, so their runs could not differ."""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys

import pytest

from lfmdoctor.repro import fixture_builder

HF_REPO = 'HF_REPO = "LiquidAI/LFM2.5-Audio-1.5B"'
RUNS = 3  # "every time": on random weights (issue 22) the chat example worked about 2 runs in 5, TTS never reached audio
SEEDED_RUNS = """\
import runpy
from pathlib import Path

import torch

for seed in range({runs}):
    torch.manual_seed(seed)
    runpy.run_path("example.py", run_name="__main__")
    print(f"\\nRUN {{seed}} DONE", flush=True)
    for name in {outputs!r}:
        Path(name).rename(f"{{seed}}-{{name}}")
"""


def readme_example(heading: str) -> str:
    """The first python block after ``### <heading>`` in the installed liquid-audio's README."""
    readme = importlib.metadata.metadata("liquid-audio").get_payload()
    section = readme.split(f"### {heading}\n", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def steered_checkpoint():
    from lfmdoctor.repro.fixture import ensure_fixture

    return ensure_fixture(steered=True, detokenizer=True)


@pytest.fixture
def folder(tmp_path):
    soundfile = pytest.importorskip("soundfile")
    np = pytest.importorskip("numpy")
    (tmp_path / "assets").mkdir()
    wave = 0.1 * np.sin(np.arange(16_000, dtype=np.float32) / 8)
    for name in ("question.wav", "asr.wav"):
        soundfile.write(tmp_path / "assets" / name, wave, 16_000)
    return tmp_path


def run_under_exec(example: str, folder, checkpoint, outputs: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """The example as ``example.py`` in ``folder``, run under ``exec``: once, or with ``outputs`` (the files it
    writes) ``RUNS`` times, seeded 0, 1, ..., each run's files renamed ``<seed>-<name>``."""
    assert example.count(HF_REPO) == 1
    script = folder / "example.py"
    script.write_text(example.replace(HF_REPO, f"HF_REPO = {str(checkpoint)!r}"))  # a str path, as users write it
    if outputs:
        script = folder / "runs.py"
        script.write_text(SEEDED_RUNS.format(runs=RUNS, outputs=outputs))
    env = dict(os.environ, HF_HUB_OFFLINE="1", CUDA_VISIBLE_DEVICES="")
    argv = [sys.executable, "-m", "lfmdoctor", "exec", "--", sys.executable, str(script)]
    return subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=600)


def runs(done: subprocess.CompletedProcess) -> list[str]:
    """What each seeded run printed; all ``RUNS`` of them, or the test fails."""
    parts = re.split(r"\nRUN (\d+) DONE\n", done.stdout)
    assert parts[1::2] == [str(seed) for seed in range(RUNS)] and parts[-1] == "", done.stdout
    return parts[0:-1:2]


def samples(path) -> int:
    import soundfile

    return soundfile.info(str(path)).frames


SCRIPT_SAMPLES = 1920 * fixture_builder.SCRIPT_FRAMES  # 24 kHz, a Mimi frame is 80 ms


@pytest.mark.slow
def test_readme_chat_example_under_exec_every_time(folder, steered_checkpoint):
    outputs = ("answer1.wav", "answer2.wav")
    done = run_under_exec(readme_example("Multi-turn, multi-modal chat"), folder, steered_checkpoint, outputs)
    assert done.returncode == 0, done.stderr[-3000:]
    for seed, printed in enumerate(runs(done)):
        assert printed.count(fixture_builder.SCRIPT_TEXT) == 2, printed  # both turns wrote the script's text
        assert [samples(folder / f"{seed}-{name}") for name in outputs] == [SCRIPT_SAMPLES] * 2
    assert "are deprecated. Use `cache` instead" not in done.stderr, done.stderr  # issue 21 item 22


@pytest.mark.slow
def test_readme_tts_example_under_exec_every_time(folder, steered_checkpoint):
    done = run_under_exec(readme_example("TTS"), folder, steered_checkpoint, ("tts.wav",))
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(runs(done)) == RUNS
    assert [samples(folder / f"{seed}-tts.wav") for seed in range(RUNS)] == [SCRIPT_SAMPLES] * RUNS


@pytest.mark.slow
def test_readme_asr_example_under_exec_prints_no_end_of_turn_token(folder, steered_checkpoint):
    done = run_under_exec(readme_example("ASR"), folder, steered_checkpoint)
    assert done.returncode == 0, done.stderr[-3000:]
    assert fixture_builder.SCRIPT_TEXT in done.stdout and "<|im_end|>" not in done.stdout, done.stdout
