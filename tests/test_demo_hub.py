"""The hub cache the demo's tests lay out: its model ids are the checkpoint, its voice-activity model loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from lfmdoctor.demo_hub import DEMO_REPOS, VAD_MODEL, environment, lay_out, stand_in_vad


def test_every_demo_repo_resolves_offline_to_the_checkpoint(tmp_path, monkeypatch):
    from huggingface_hub import constants, try_to_load_from_cache

    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text("{}")
    hub = lay_out(checkpoint, tmp_path / "hub")
    assert environment(hub) == {"HF_HUB_CACHE": str(hub), "HF_HUB_OFFLINE": "1"}
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub))
    for repo in DEMO_REPOS:
        found = try_to_load_from_cache(repo, "config.json", cache_dir=hub)
        assert isinstance(found, str) and Path(found).resolve() == (checkpoint / "config.json").resolve()
    assert isinstance(try_to_load_from_cache(*VAD_MODEL, cache_dir=hub), str)
    assert lay_out(checkpoint, hub) == hub  # a second lay-out over the first is fine


def test_the_stand_in_voice_activity_model_runs_as_silero_and_hears_only_loud_windows():
    np = pytest.importorskip("numpy")
    onnxruntime = pytest.importorskip("onnxruntime", reason="onnxruntime comes with the demo extra (fastrtc[vad])")
    session = onnxruntime.InferenceSession(stand_in_vad(), providers=["CPUExecutionProvider"])
    state = np.arange(128, dtype=np.float32).reshape(2, 1, 64)
    window = np.sin(np.arange(1024, dtype=np.float32) / 8)[None]  # fastrtc's window: [1, 1024] at 16 kHz
    heard = []
    for amplitude in (0.0, 0.005, 0.1):  # silence, a hum below -40 dBFS, a tone
        inputs = {"input": amplitude * window, "h": state, "c": -state, "sr": np.array(16_000, dtype=np.int64)}
        out, h, c = session.run(None, inputs)
        assert out.shape == (1, 1) and out.dtype == np.float32
        assert (h == state).all() and (c == -state).all()
        heard.append(out.item())
    assert heard == [0.0, 0.0, 1.0]
