"""``lfmdoctor bench`` end to end: the real liquid-audio in a child process, on the tiny checkpoint."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from lfmdoctor.cli import main

torch = pytest.importorskip("torch")
pytest.importorskip("liquid_audio")
sf = pytest.importorskip("soundfile")

ASSETS = Path(__file__).resolve().parents[2] / "bench" / "assets"
CONTRACT = ("wer", "cer", "rtf", "rtfx", "latency_s", "first_token_s", "tokens_per_s", "peak_mem_mb")


def quiet_env(**extra: str) -> dict[str, str]:
    """One torch thread: the tiny model is as fast on one, and a busy 2-core machine slows two down 10x."""
    return dict(os.environ, OMP_NUM_THREADS="1", **extra)


def bench(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lfmdoctor", "bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or quiet_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )


def hub_cache(root: Path, repo: str, source: Path) -> Path:
    """A Hugging Face cache entry for ``repo`` holding ``source``'s files (as `hf download` leaves it)."""
    folder = root / f"models--{repo.replace('/', '--')}"
    snapshot = folder / "snapshots" / "c0ffee"
    shutil.copytree(source, snapshot)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text("c0ffee")
    return snapshot


def stereo_manifest(folder: Path) -> Path:
    """A 44.1 kHz stereo ogg of three clips (9.4 s) and a 16 kHz int16 wav, in a CSV manifest."""
    parts = [sf.read(str(ASSETS / f"asr-{name}.flac"), dtype="float32")[0] for name in ("fox", "time", "stella")]
    mono = np.concatenate(parts)
    rate = 44_100
    index = np.linspace(0, len(mono) - 1, int(len(mono) * rate / 16_000))
    stereo = np.stack([np.interp(index, np.arange(len(mono)), gain * mono) for gain in (1.0, 0.5)], axis=1)
    sf.write(str(folder / "long.ogg"), stereo, rate)
    sf.write(str(folder / "short.wav"), parts[0], 16_000, subtype="PCM_16")
    manifest = folder / "m.csv"
    manifest.write_text(
        "path,reference\n"
        "long.ogg,\"The quick brown fox jumps over the lazy dog. It's 10 past 9, and we're almost done. "
        'Please call Stella and ask her to bring these things."\n'
        "short.wav,The quick brown fox jumps over the lazy dog.\n"
    )
    return manifest


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The slow end-to-end runs, started together two at a time (each child uses one core)."""
    from lfmdoctor.repro.fixture import ensure_fixture

    folder = tmp_path_factory.mktemp("runs")
    hub_cache(folder / "hub", "lfmdoctor-test/tiny", ensure_fixture())
    manifest = stereo_manifest(folder)
    fox = [
        "--audio",
        str(ASSETS / "asr-fox.flac"),
        "--ref",
        "The quick brown fox jumps over the lazy dog.",
        "--warmup",
        "0",
        "--no-baselines",
        "--json",
    ]
    jobs = {
        "default": (["--out", str(folder / "default.json")], None),
        "none": (["--strategy", "none", "--no-baselines", "--out", str(folder / "none.json")], None),
        "hub": (
            [
                "--manifest",
                str(manifest),
                "--model",
                "lfmdoctor-test/tiny",
                "--device",
                "cpu",
                "--chunk-seconds",
                "4",
                "--runs",
                "2",
                "--warmup",
                "0",
                "--no-baselines",
                "--json",
            ],
            quiet_env(HF_HUB_CACHE=str(folder / "hub"), HF_HUB_OFFLINE="1"),
        ),
        "runtime": (["--strategy", "runtime", *fox], None),
        "source": (["--strategy", "source", *fox], None),
    }
    pool = ThreadPoolExecutor(max_workers=2)
    futures = {name: pool.submit(bench, *args, env=env) for name, (args, env) in jobs.items()}
    yield {"folder": folder, **futures}
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def default_run(runs):
    return runs["default"].result(), runs["folder"] / "default.json"


@pytest.mark.slow
def test_default_run_works_offline_on_the_builtin_clips(default_run):
    done, out = default_run
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    summary = data["summary"]
    for key in CONTRACT:
        assert isinstance(summary[key], float), key
    assert summary["model"] == "fixture" and summary["random_weights"] is True
    assert summary["device"] == ("cuda:0" if torch.cuda.is_available() else "cpu")
    assert summary["dtype"] == ("bfloat16" if torch.cuda.is_available() else "float32")
    assert summary["strategy"] == "callsite" and summary["runs"] == 1 and summary["warmup"] == 1
    assert summary["clips"] == 4 and summary["audio_s"] == pytest.approx(13.378, abs=0.01)
    assert summary["rtf"] == pytest.approx(1 / summary["rtfx"])
    assert summary["loop_s"] > 0 and summary["liquid_audio"]
    for clip in data["clips"]:
        for key in CONTRACT:
            assert isinstance(clip[key], float), (clip["id"], key)
        assert isinstance(clip["hypothesis"], str)
        assert clip["substitutions"] + clip["deletions"] + clip["insertions"] >= 0
        assert clip["chunks"] == 1 and clip["sample_rate"] == 16_000
    assert any("random weights" in note and "meaningless" in note for note in data["notes"])
    assert {b["name"]: b["status"] for b in data["baselines"]} == {
        "openai-whisper": "skipped",
        "faster-whisper": "skipped",
    } or all(b["status"] in ("ok", "skipped") for b in data["baselines"])
    assert data["failure"] is None and data["exit_code"] == 0


@pytest.mark.slow
def test_default_run_terminal_output_labels_its_figures(default_run):
    done, _ = default_run
    text = " ".join(done.stdout.split())
    for label in (
        "WER",
        "CER",
        "S/D/I",
        "RTF",
        "(processing ÷ audio, lower is faster)",
        "(audio ÷ processing, higher is faster)",
        "time to first token",
        "tokens/s",
        "peak memory: RSS",
        "note: random weights",
        "meaningless",
    ):
        assert label in text, label
    for clip in ("fox", "time", "stella", "meeting"):
        assert f"\n{clip} " in done.stdout


@pytest.mark.slow
def test_strategy_none_reports_the_bug_that_stopped_it(runs):
    done = runs["none"].result()
    assert done.returncode == 1, done.stderr
    failure = json.loads((runs["folder"] / "none.json").read_text())["failure"]
    if torch.cuda.is_available():  # the device defaults work; numpy 1-D audio does not
        assert (failure["bug_id"], failure["stage"]) == ("audio-format", "clip")
    else:  # the seed's situation: no usable CUDA, processor loaded without device=
        assert (failure["bug_id"], failure["stage"]) == ("processor-device", "load_processor")
        assert failure["where"].startswith("liquid_audio/processor.py:")
    assert failure["workaround"]
    text = " ".join(done.stdout.split())  # rich wraps at 80 columns off a terminal
    assert f"bug: {failure['bug_id']}" in text and "lfmdoctor bench --strategy callsite" in text
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["runtime", "source"])
def test_patched_strategies_run_the_seed_code_to_the_end(runs, strategy):
    import lfmdoctor.patches

    if not hasattr(lfmdoctor.patches, "strategy_environment"):
        pytest.skip("lfmdoctor.patches provides no strategy_environment yet")
    done = runs[strategy].result()
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["failure"] is None
    assert data["summary"]["strategy"] == strategy and data["clips"][0]["tokens"] > 0
    assert data["summary"]["dtype"] == "bfloat16"  # the seed's calls: liquid-audio's default dtype


@pytest.mark.slow
def test_hub_model_manifest_stereo_resampling_and_chunks(runs):
    done = runs["hub"].result()
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["summary"]["model"] == "lfmdoctor-test/tiny" and not data["summary"]["random_weights"]
    long, short = data["clips"]
    assert (long["sample_rate"], long["channels"], long["chunks"]) == (44_100, 2, 3)
    assert long["audio_s"] == pytest.approx(9.4, abs=0.01)
    assert len(long["latencies_s"]) == 2 and long["ref_words"] == 29
    assert (short["sample_rate"], short["channels"], short["chunks"]) == (16_000, 1, 1)
    assert data["summary"]["ref_words"] == 38


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--audio", "/no/such.wav", "--ref", "hello"], "audio file /no/such.wav not found"),
        (["--audio", str(ASSETS / "asr-fox.flac")], "1 --audio but 0 --ref"),
        (["--audio", str(ASSETS / "asr-fox.flac"), "--ref", "  "], "is empty"),
        (["--audio", str(ASSETS / "asr_clips.jsonl"), "--ref", "x"], "not a readable audio file"),
        (["--model", "lfmdoctor-test/not-cached"], "hf download lfmdoctor-test/not-cached"),
        (["--device", "tpu"], "'tpu' is not one of"),
        (["--runs", "0"], "--runs 0 must be at least 1"),
        (["--chunk-seconds", "0.2"], "--chunk-seconds 0.2 is too small"),
        (["--manifest", "/no/such.jsonl"], "manifest /no/such.jsonl not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, tmp_path):
    out = tmp_path / "r.json"
    with pytest.raises(SystemExit) as done:
        main(["bench", "--no-baselines", "--out", str(out), *args])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lfmdoctor: error: ") and message in " ".join(err.split()), err
    assert not out.exists()


def test_an_existing_out_file_is_refused_unless_forced(capsys, tmp_path):
    """Issue 21 item 4: ``bench --out FILE`` over a file that exists."""
    out = tmp_path / "r.json"
    out.write_text("an earlier result")
    with pytest.raises(SystemExit) as done:
        main(["bench", "--no-baselines", "--runs", "100000", "--out", str(out)])
    assert done.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"--out {out} exists" in err and "--force" in err
    assert out.read_text() == "an earlier result"


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA works here")
def test_unavailable_device_is_a_usage_problem():
    done = bench("--device", "cuda", "--no-baselines")
    assert done.returncode == 2
    assert "--device cuda is not available here" in done.stderr and "Traceback" not in done.stderr


def tagged_children(tag: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if tag.encode() in (entry / "environ").read_bytes() and b"asr_child" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_ctrl_c_leaves_no_result_file_and_no_child(tmp_path):
    tag = f"LFMDOCTOR_TEST_TAG={uuid.uuid4().hex}"
    env = quiet_env(TMPDIR=str(tmp_path), LFMDOCTOR_TEST_TAG=tag.split("=", 1)[1])
    out = tmp_path / "result.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "lfmdoctor", "bench", "--runs", "100000", "--no-baselines", "--out", str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not tagged_children(tag) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tagged_children(tag), "the ASR child never started"
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err  # typer turns KeyboardInterrupt into exit status 130
    assert "Traceback" not in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [], list(tmp_path.iterdir())  # no partial file, no temp audio
    assert tagged_children(tag) == []


def test_target_without_torch_is_a_usage_problem(tmp_path, capsys):
    broken = tmp_path / "python"
    broken.write_text(f'#!/bin/sh\nexec {sys.executable} -S "$@"\n')  # -S: no site-packages, so no torch
    broken.chmod(0o755)
    with pytest.raises(SystemExit) as done:
        main(["bench", "--no-baselines", "--python", str(broken)])
    assert done.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "do not import in" in err and "No module named 'torch'" in err and "lfmdoctor check --python" in err


@pytest.mark.slow
def test_none_and_callsite_share_one_child_and_match_their_own_runs(runs, monkeypatch):
    """``lfmdoctor run``'s pair: one child imports torch and liquid-audio, each strategy runs in a fork of it, and
    each result is what its own run gives."""
    from lfmdoctor.bench import core, runner

    started = []
    child = runner.Child
    monkeypatch.setattr(runner, "Child", lambda *args, **kwargs: started.append(args) or child(*args, **kwargs))
    configs = [core.BenchConfig(strategy=s, runs=1, warmup=0, baselines=False) for s in ("none", "callsite")]
    before, after = core.run_benches(configs)
    assert len(started) == 1 if sys.platform.startswith("linux") else len(started) == 2
    alone = json.loads((runs["folder"] / "none.json").read_text())["failure"]
    assert before.failure is not None and (before.failure.bug_id, before.failure.stage) == (alone["bug_id"], alone["stage"])
    assert before.summary.strategy == "none" and after.summary.strategy == "callsite"
    assert after.failure is None and after.clips and all(clip.tokens > 0 for clip in after.clips)
    default = json.loads((runs["folder"] / "default.json").read_text())
    assert [clip.id for clip in after.clips] == [clip["id"] for clip in default["clips"]]
