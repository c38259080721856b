"""Optional Whisper baselines for ``lfmdoctor bench``, run in the target interpreter. Standalone.

    python baseline_child.py probe      -> one event per backend: available (with the cached model) or
                                           skipped ("not installed" / "not cached")
    python baseline_child.py run        job on stdin: {backend, model, warmup,
                                           clips: [{audio: .npy frames x channels, rate}]}

Nothing is downloaded: a backend counts only when its package is installed and a model is already in
its cache (openai-whisper: ~/.cache/whisper/NAME.pt; faster-whisper: the Hugging Face cache entry
Systran/faster-whisper-NAME). Events are ``lfmdoctor.child_protocol`` records, as in asr_child.py.
"""

import importlib.util
import json
import os
import sys
import time
from importlib.metadata import PackageNotFoundError, version

# lfmdoctor/child_protocol.py, by path (lfmdoctor may not be importable here): in the folder above when
# installed (lfmdoctor/<sub>/this file), in its lfmdoctor/ folder in the source tree (<sub>/ beside it).
_UP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_AT = next(d for d in (_UP, os.path.join(_UP, "lfmdoctor")) if os.path.isfile(os.path.join(d, "child_protocol.py")))
_SPEC = importlib.util.spec_from_file_location("lfmdoctor_child_protocol", os.path.join(_AT, "child_protocol.py"))
protocol = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(protocol)

RATE = 16_000
MODELS = ("tiny.en", "base.en", "small.en", "medium.en", "tiny", "base", "small", "medium", "large-v3", "turbo")
emit = protocol.emit


def installed(dist):
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def whisper_cache():
    return os.path.join(os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "whisper")


def cached_openai_whisper():
    for name in MODELS:
        if os.path.isfile(os.path.join(whisper_cache(), name + ".pt")):
            return name
    return None


def cached_faster_whisper():
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    for name in MODELS:
        try:
            return snapshot_download(f"Systran/faster-whisper-{name}", local_files_only=True)
        except (OSError, ValueError):  # LocalEntryNotFoundError is an OSError: not cached
            pass
    return None


def probe():
    for backend, dist, find in (
        ("openai-whisper", "openai-whisper", cached_openai_whisper),
        ("faster-whisper", "faster-whisper", cached_faster_whisper),
    ):
        if installed(dist) is None:
            emit("baseline", backend=backend, status="skipped", detail="not installed")
            continue
        model = find()
        if model is None:
            emit("baseline", backend=backend, status="skipped", detail="not cached")
        else:
            emit("baseline", backend=backend, status="available", model=model, detail=f"{dist} {installed(dist)}")
    emit("done")


def to_model_audio(wave, rate):
    import numpy as np

    mono = wave.mean(axis=1) if wave.ndim == 2 else wave
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    if rate == RATE:
        return mono
    try:
        import torch
        import torchaudio

        return torchaudio.functional.resample(torch.from_numpy(mono), rate, RATE).numpy()
    except ImportError:
        target = round(len(mono) * RATE / rate)
        return np.interp(np.linspace(0, len(mono) - 1, target), np.arange(len(mono)), mono).astype(np.float32)


def loader(backend, model):
    if backend == "openai-whisper":
        import whisper

        loaded = whisper.load_model(model)
        fp16 = str(getattr(loaded, "device", "cpu")).startswith("cuda")
        return lambda audio: loaded.transcribe(audio, language="en", fp16=fp16)["text"]
    from faster_whisper import WhisperModel

    loaded = WhisperModel(model)
    return lambda audio: "".join(segment.text for segment in loaded.transcribe(audio, language="en")[0])


def run():
    import numpy as np

    job = json.loads(sys.stdin.read())
    try:
        transcribe = loader(job["backend"], job["model"])
        clips = [to_model_audio(np.load(c["audio"]), c["rate"]) for c in job["clips"]]
        for _ in range(int(job.get("warmup", 0))):
            transcribe(clips[0])
        for index, audio in enumerate(clips):
            started = time.perf_counter()
            text = transcribe(audio)
            emit("clip", clip=index, text=text.strip(), latency_s=time.perf_counter() - started)
    except Exception as exc:
        emit("error", stage="baseline", clip=None, error_type=type(exc).__name__, message=str(exc), frames=[])
        sys.exit(3)
    emit("done")


if __name__ == "__main__":
    probe() if sys.argv[1:] == ["probe"] else run()
