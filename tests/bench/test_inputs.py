"""Benchmark inputs: audio files, references, manifests, the built-in clips, the model argument."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from lfmdoctor.bench import inputs
from lfmdoctor.bench.inputs import InputProblem, gather, load_audio, read_reference, resolve_model


def write(path: Path, data: np.ndarray, rate: int, **kw) -> Path:
    sf.write(str(path), data, rate, **kw)
    return path


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("suffix", "rate", "channels"), [(".wav", 8000, 1), (".flac", 44_100, 2), (".ogg", 48_000, 2)])
def test_reads_any_rate_and_channel_count(tmp_path, suffix, rate, channels):
    data = 0.2 * np.sin(np.linspace(0, 200, rate * channels)).reshape(rate, channels)
    samples, got_rate = load_audio(write(tmp_path / f"a{suffix}", data, rate))
    assert got_rate == rate
    assert samples.shape == (rate, channels) and samples.dtype == np.float32


def test_int16_wav_reads_as_unit_floats(tmp_path):
    data = np.array([32767, -32768] * 2000, dtype=np.int16)
    samples, _ = load_audio(write(tmp_path / "a.wav", data, 16_000, subtype="PCM_16"))
    assert samples.max() == pytest.approx(32767 / 32768) and samples.min() == -1.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.wav", "not found"),
        (lambda d: d, "is a folder"),
        (lambda d: put(d / "empty.wav", b""), r"empty \(0 bytes\)"),
        (lambda d: put(d / "notes.wav", b"not audio at all"), "not a readable audio file"),
        (lambda d: write(d / "zero.wav", np.zeros(0, np.float32), 16_000), "zero length"),
        (lambda d: write(d / "blip.wav", np.zeros(400, np.float32), 16_000), "25 ms long"),
    ],
)
def test_bad_audio_is_one_line(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(InputProblem, match=message) as caught:
        load_audio(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_reference_text_or_file(tmp_path):
    assert read_reference("  hello   world ", "x") == "hello world"
    ref = tmp_path / "ref.txt"
    ref.write_text("From a\nfile.\n", encoding="utf-8")
    assert read_reference(str(ref), "x") == "From a file."
    for empty in ("", "   ", "?!", "[music]", "Uh, um...", "..."):  # the normaliser leaves a lone "." of the last two
        with pytest.raises(InputProblem, match="reference for x"):
            read_reference(empty, "x")
    (tmp_path / "blank.txt").write_text("\n")
    with pytest.raises(InputProblem, match="is empty"):
        read_reference(str(tmp_path / "blank.txt"), "x")


def test_audio_and_refs_must_pair_up(tmp_path):
    with pytest.raises(InputProblem, match="2 --audio but 1 --ref"):
        gather(["a.wav", "b.wav"], ["one"], None)
    with pytest.raises(InputProblem, match="--ref given without --audio"):
        gather([], ["one"], None)


def test_manifest_paths_are_relative_to_the_manifest(tmp_path):
    (tmp_path / "sub").mkdir()
    manifest = tmp_path / "sub" / "m.jsonl"
    manifest.write_text(json.dumps({"path": "clip.wav", "text": "hi there"}) + "\n")
    specs, builtin = gather(["/abs/x.wav"], ["words"], str(manifest))
    assert not builtin
    assert [s.path for s in specs] == [Path("/abs/x.wav"), tmp_path / "sub" / "clip.wav"]
    assert [s.id for s in specs] == ["x", "clip"]


def test_manifest_problems(tmp_path):
    with pytest.raises(InputProblem, match="manifest .* not found"):
        gather([], [], str(tmp_path / "none.jsonl"))
    bad = tmp_path / "m.csv"
    bad.write_text("path,reference\nclip.wav,\n")
    with pytest.raises(InputProblem, match=r"reference for .*clip.wav .*m.csv:2\) is empty"):
        gather([], [], str(bad))


def test_builtin_clips_are_small_16k_mono_speech_with_transcripts():
    specs, builtin = gather([], [], None)
    assert builtin and len(specs) >= 3
    folder = inputs.assets_dir()
    assert sum(f.stat().st_size for f in folder.glob("asr*")) < 300 * 1024
    for spec in specs:
        info = sf.info(str(spec.path))
        assert (info.samplerate, info.channels) == (16_000, 1)
        assert 1.0 < info.duration < 6.0
        assert len(spec.reference.split()) >= 5


def test_model_hub_id_not_cached_says_how_to_get_it():
    with pytest.raises(InputProblem, match="not in the local Hugging Face cache.*hf download lfmdoctor-test/no-such-model"):
        resolve_model("lfmdoctor-test/no-such-model", "python")


@pytest.mark.parametrize(("model", "message"), [("no/such/thing", "does not exist"), ("plainword", "neither")])
def test_model_that_is_nothing(model, message):
    with pytest.raises(InputProblem, match=message):
        resolve_model(model, "python")


def test_model_folder_without_config(tmp_path):
    with pytest.raises(InputProblem, match="no config.json"):
        resolve_model(str(tmp_path), "python")


def test_model_fixture_is_random_weights():
    from lfmdoctor.repro.models import resolve_model as repro_model

    ref = resolve_model("fixture", sys.executable)
    assert ref.random_weights and ref.spec == "fixture" and ref.folder == repro_model("fixture").folder
    assert resolve_model(str(ref.folder), "python").random_weights


def test_chunk_seconds_bounds():
    assert inputs.chunk_seconds_ok(0) == 0 and inputs.chunk_seconds_ok(30) == 30
    with pytest.raises(InputProblem, match="too small"):
        inputs.chunk_seconds_ok(0.5)


def test_audio_far_outside_unit_range_is_flagged():
    quiet = inputs.Clip("quiet", Path("q.wav"), "", np.full((16_000, 1), 0.5, dtype=np.float32), 16_000)
    loud = inputs.Clip("loud", Path("l.wav"), "", np.full((16_000, 1), 1e30, dtype=np.float32), 16_000)
    clipped = inputs.Clip("clipped", Path("c.wav"), "", np.full((16_000, 1), 1.5, dtype=np.float32), 16_000)
    [note] = inputs.level_notes([quiet, loud, clipped])
    assert note.startswith("clip loud: samples reach 1e+30, far outside [-1, 1]")


def test_a_csv_manifest_with_a_byte_order_mark_reads_as_without(tmp_path):
    """Issue 21 item 13: a CSV saved by Excel starts with a UTF-8 BOM."""
    manifest = tmp_path / "m.csv"
    manifest.write_bytes("path,reference\nclip.wav,hello there\n".encode("utf-8-sig"))
    specs, _ = gather([], [], str(manifest))
    assert [(s.path, s.reference) for s in specs] == [(tmp_path / "clip.wav", "hello there")]


def test_a_sample_rate_too_low_for_speech_is_flagged():
    """Issue 21 item 13: a 1 Hz WAV reads, but no speech fits in it."""
    slow = inputs.Clip("slow", Path("s.wav"), "", np.full((5, 1), 0.1, dtype=np.float32), 1)
    fine = inputs.Clip("fine", Path("f.wav"), "", np.full((8000, 1), 0.1, dtype=np.float32), 8000)
    [note] = inputs.level_notes([slow, fine])
    assert note.startswith("clip slow: sampled at 1 Hz")
