"""Benchmark inputs (I/O): audio files, references, manifests, the built-in clips, and the model.

Every problem with an input becomes ``InputProblem`` with one line that names the file and the fix
(the CLI exits 2 on it). Audio is read with soundfile (wav, flac, ogg at any rate and channel count)
as float32 frames x channels; mixing down and resampling happen in the ASR child
(``to_chat_audio``), where liquid-audio's own resampler lives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lfmdoctor.bench.manifest import ManifestError, ManifestRow, parse_manifest
from lfmdoctor.bench.normalize import normalize
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.repro.models import ModelRef

MIN_SECONDS = 0.1  # below ~80 ms the conformer has too few mel frames to encode
ASSETS_MANIFEST = "asr_clips.jsonl"


class InputProblem(LfmdoctorError):
    """An unusable input; the message is one line naming it and the fix."""


@dataclass(frozen=True)
class ClipSpec:
    id: str
    path: Path
    reference: str


@dataclass
class Clip:
    id: str
    path: Path
    reference: str
    samples: np.ndarray  # frames x channels, float32
    sample_rate: int

    @property
    def frames(self) -> int:
        return int(self.samples.shape[0])

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=1) if self.channels > 1 else self.samples[:, 0]


def assets_dir() -> Path:
    return Path(__file__).resolve().with_name("assets")


def _soundfile():
    try:
        import soundfile
    except (ImportError, OSError) as exc:
        raise InputProblem(
            f"soundfile cannot be imported next to lfmdoctor ({exc}); install it with: pip install soundfile"
        ) from None
    return soundfile


def load_audio(path: Path) -> tuple[np.ndarray, int]:
    """(frames x channels float32, sample rate) of an audio file, or InputProblem."""
    if not path.exists():
        raise InputProblem(f"audio file {path} not found; check the path")
    if path.is_dir():
        raise InputProblem(f"{path} is a folder, not an audio file; pass a wav, flac or ogg file")
    if path.stat().st_size == 0:
        raise InputProblem(f"audio file {path} is empty (0 bytes); pass a wav, flac or ogg file with speech")
    soundfile = _soundfile()
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise InputProblem(f"{path} is not a readable audio file ({reason}); pass a wav, flac or ogg file") from None
    if data.shape[0] == 0:
        raise InputProblem(f"audio file {path} has no samples (zero length); pass a clip with speech")
    if data.shape[0] / rate < MIN_SECONDS:
        raise InputProblem(
            f"audio file {path} is {1000 * data.shape[0] / rate:.0f} ms long; ASR needs at least {1000 * MIN_SECONDS:.0f} ms"
        )
    if not np.isfinite(data).all():
        raise InputProblem(f"audio file {path} contains NaN or infinite samples; re-export it")
    return np.ascontiguousarray(data), int(rate)


def read_reference(value: str, what: str) -> str:
    """``--ref`` value: the text of an existing file, else the text itself; never empty."""
    text = value
    candidate = Path(value)
    if len(value) < 4096 and "\n" not in value and candidate.is_file():
        try:
            text = candidate.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputProblem(f"cannot read reference file {candidate} ({exc}); pass UTF-8 text") from None
    text = " ".join(text.split())
    if not text:
        raise InputProblem(f"the reference for {what} is empty; pass the words spoken in it")
    if not any(ch.isalnum() for ch in normalize(text)):  # Whisper's normaliser can leave a lone "."
        raise InputProblem(f"the reference for {what} has no words after normalisation; pass the words spoken in it")
    return text


def _clip_id(path: Path, taken: set[str]) -> str:
    base = path.stem or "clip"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def read_manifest(path: Path) -> list[ManifestRow]:
    if not path.is_file():
        raise InputProblem(f"manifest {path} not found; pass a JSONL or CSV file of path and reference")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark (Excel's CSV) is not part of the header
    except (OSError, UnicodeDecodeError) as exc:
        raise InputProblem(f"cannot read manifest {path} ({exc}); pass a UTF-8 JSONL or CSV file") from None
    try:
        return parse_manifest(text, str(path))
    except ManifestError as exc:
        raise InputProblem(str(exc)) from None


def gather(audio: list[str], refs: list[str], manifest: str | None) -> tuple[list[ClipSpec], bool]:
    """The clips to run and whether they are the built-in ones (no --audio and no --manifest)."""
    if refs and not audio:
        raise InputProblem("--ref given without --audio; pass one --audio FILE for each --ref")
    if len(audio) != len(refs):
        raise InputProblem(
            f"{len(audio)} --audio but {len(refs)} --ref; pass one --ref TEXT_OR_FILE for each --audio, in order"
        )
    specs: list[ClipSpec] = []
    taken: set[str] = set()
    for file, ref in zip(audio, refs):
        path = Path(file).expanduser()
        specs.append(ClipSpec(_clip_id(path, taken), path, read_reference(ref, str(path))))
    if manifest:
        manifest_path = Path(manifest).expanduser()
        for row in read_manifest(manifest_path):
            path = Path(row.path).expanduser()
            if not path.is_absolute():
                path = manifest_path.parent / path
            reference = read_reference(row.reference, f"{path} ({manifest_path}:{row.line})")
            clip_id = row.clip_id if row.clip_id and row.clip_id not in taken else _clip_id(path, taken)
            taken.add(clip_id)
            specs.append(ClipSpec(clip_id, path, reference))
    if specs:
        return specs, False
    builtin = assets_dir() / ASSETS_MANIFEST
    rows = read_manifest(builtin)
    return [ClipSpec(row.clip_id or Path(row.path).stem, builtin.parent / row.path, row.reference) for row in rows], True


MAX_PEAK = 4.0  # float audio is meant to lie in [-1, 1]; a few times over is clipping, far over is wrong data
MIN_SPEECH_RATE = 8000  # Hz: telephone speech; below it no words fit (the model hears 16 kHz)


def level_notes(clips: list[Clip]) -> list[str]:
    """A note for each clip whose samples lie far outside [-1, 1] (float files are read as they are), or whose
    sample rate is too low to hold speech."""
    notes = []
    for clip in clips:
        if clip.sample_rate < MIN_SPEECH_RATE:
            notes.append(
                f"clip {clip.id}: sampled at {clip.sample_rate} Hz, below the {MIN_SPEECH_RATE} Hz that speech needs; "
                "it is resampled to 16 kHz but holds no words, so its transcript and timings mean little"
            )
        peak = float(np.abs(clip.samples).max()) if clip.samples.size else 0.0
        if peak > MAX_PEAK:
            notes.append(
                f"clip {clip.id}: samples reach {peak:.3g}, far outside [-1, 1]; the audio is probably not scaled "
                "(integer PCM stored as float?), so its transcript and timings mean little"
            )
    return notes


def load_clips(specs: list[ClipSpec]) -> list[Clip]:
    clips = []
    for spec in specs:
        samples, rate = load_audio(spec.path)
        clips.append(Clip(spec.id, spec.path, spec.reference, samples, rate))
    return clips


def resolve_model(model: str, python: str) -> ModelRef:
    """``fixture``, an existing checkpoint folder, or a hub id whose weights are already cached.

    The same resolution as ``lfmdoctor repro --model`` (``lfmdoctor.repro.models``), as bench input.
    """
    from lfmdoctor.repro.fixture import FixtureError
    from lfmdoctor.repro.models import ModelUnavailable
    from lfmdoctor.repro.models import resolve_model as resolve

    try:
        return resolve(model, python)
    except (ModelUnavailable, FixtureError) as exc:
        raise InputProblem(str(exc)) from None


def chunk_seconds_ok(value: float) -> float:
    if value != 0 and (not math.isfinite(value) or value < 1):
        raise InputProblem(f"--chunk-seconds {value:g} is too small; use 1 or more (30 is the default), or 0 for none")
    return value
