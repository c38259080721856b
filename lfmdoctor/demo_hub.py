"""A local Hugging Face hub cache that serves the demo's downloads from the tiny checkpoint, with no network.

liquid-audio's demo (``liquid-audio-demo``) loads its model by hub id when it is imported (``HF_DIR`` in
``demo/model.py``: LiquidAI/LFM2.5-Audio-1.5B, LiquidAI/LFM2-Audio-1.5B before 1.1.0), and fastrtc's
``ReplyOnPause`` loads a voice-activity model (``silero_vad.onnx``) from the hub when the demo's app is built.
With ``environment(folder)`` (``HF_HUB_CACHE`` pointed at the folder, ``HF_HUB_OFFLINE=1``) both come from
the folder ``lay_out`` fills: the model ids are the given checkpoint, and the voice-activity model is a stand-in,
an ONNX graph with silero's inputs and outputs that calls a window speech when it is loud (mean square above
``SPEECH_POWER``) and silence otherwise, so a sound followed by silence ends a pause and ``ReplyOnPause`` replies.

Standard library only.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

DEMO_REPOS = ("LiquidAI/LFM2.5-Audio-1.5B", "LiquidAI/LFM2-Audio-1.5B")
VAD_MODEL = ("freddyaboulton/silero-vad", "silero_vad.onnx")
REVISION = "0" * 40  # the snapshot's name; nothing checks it offline


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: int | bytes | str) -> bytes:
    """One protobuf field: a varint for an int, length-delimited for bytes or str."""
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


SPEECH_POWER = 1e-4  # a window's mean square (float samples in [-1, 1]) above this is speech: about -40 dBFS


def _tensor(name: str, value: float) -> bytes:  # TensorProto: a float scalar, its bytes raw
    return _field(2, 1) + _field(8, name) + _field(9, struct.pack("<f", value))


def _node(op: str, inputs: tuple[str, ...], output: str, *attributes: bytes) -> bytes:  # NodeProto
    fields = [_field(1, name) for name in inputs] + [_field(2, output), _field(3, output), _field(4, op)]
    return b"".join(fields + [_field(5, attribute) for attribute in attributes])


def stand_in_vad() -> bytes:
    """An ONNX model (IR 8, opset 13) called as fastrtc calls silero's: ``output, hn, cn = f(input, h, c, sr)``,
    where ``output`` ([1, 1]) is 1.0 when the window ``input`` ([1, N] floats) has a mean square above
    ``SPEECH_POWER`` and 0.0 otherwise, and the state passes through unchanged."""

    def value(name: str, elem_type: int = 1) -> bytes:  # ValueInfoProto: name, TypeProto.tensor_type.elem_type
        return _field(1, name) + _field(2, _field(1, _field(1, elem_type)))

    axes = _field(1, "axes") + _field(8, 1) + _field(20, 7)  # AttributeProto: ints [1], type INTS
    to_float = _field(1, "to") + _field(3, 1) + _field(20, 2)  # AttributeProto: i FLOAT, type INT
    nodes = [
        _node("Mul", ("input", "input"), "square"),
        _node("ReduceMean", ("square",), "power", axes),
        _node("Greater", ("power", "speech_power"), "loud"),
        _node("Cast", ("loud",), "output", to_float),
        _node("Identity", ("h",), "hn"),
        _node("Identity", ("c",), "cn"),
    ]
    graph = b"".join(_field(1, node) for node in nodes) + _field(2, "lfmdoctor-stand-in")
    graph += _field(5, _tensor("speech_power", SPEECH_POWER))
    graph += b"".join(_field(11, value(name)) for name in ("input", "h", "c")) + _field(11, value("sr", 7))
    graph += b"".join(_field(12, value(name)) for name in ("output", "hn", "cn"))
    return _field(1, 8) + _field(2, "lfmdoctor") + _field(7, graph) + _field(8, _field(2, 13))


def _snapshot(root: Path, repo_id: str) -> Path:
    repo = root / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(REVISION)
    snapshot = repo / "snapshots" / REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    return snapshot


def lay_out(checkpoint: Path, root: Path, repos: tuple[str, ...] = DEMO_REPOS) -> Path:
    """Fill ``root`` as a hub cache whose ``repos`` are ``checkpoint`` (its files linked, not copied) and whose
    voice-activity model is the stand-in; returns ``root``."""
    checkpoint = Path(checkpoint).resolve()
    for repo_id in repos:
        snapshot = _snapshot(root, repo_id)
        for item in checkpoint.iterdir():
            link = snapshot / item.name
            if not link.exists():
                os.symlink(item, link)
    vad_repo, vad_file = VAD_MODEL
    (_snapshot(root, vad_repo) / vad_file).write_bytes(stand_in_vad())
    return root


def environment(root: Path) -> dict[str, str]:
    """The variables that make huggingface_hub read ``root`` and never the network."""
    return {"HF_HUB_CACHE": str(root), "HF_HUB_OFFLINE": "1"}
