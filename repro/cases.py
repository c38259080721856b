"""Reproduction cases: for each known bug, the minimal real liquid-audio call and what it must raise.

A case is data. Its ``setup`` and ``trigger`` are Python source run by the worker (in an isolated
child of the target interpreter) and written verbatim into emitted reproducer scripts. Names the
source can use: ``MODEL`` (what from_pretrained receives: a Path, or a hub id str), ``MODEL_DIR``
(the local folder, a Path), ``np``, ``torch``, the liquid-audio classes, and the resources listed
in ``needs`` (built once by the worker before isolating cases, and spelled out in emitted scripts).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CUDA_UNUSABLE = (
    r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available"
    r"|no CUDA-capable device|CUDA driver initialization failed|cudaGetDeviceCount"
)

RESOURCES = {
    "processor": 'processor = LFM2AudioProcessor.from_pretrained(MODEL, device="cpu")',
    "model": 'model = LFM2AudioModel.from_pretrained(MODEL, device="cpu", dtype=torch.float32)',
}
# The same resources through the call-site helpers (``lfmdoctor patch verify --strategy callsite``).
CALLSITE_RESOURCES = {
    "processor": 'processor = load_processor(MODEL, device="cpu")',
    "model": 'model = load_model(MODEL, device="cpu", dtype=torch.float32)',
}

# Conditions a case needs from the machine; the worker checks them before running the case.
REQUIRES = {
    "cuda_unusable": "CUDA is available here, so the call works; run with --simulate no-cuda to see what "
    "CPU and Mac users get",
    "mps": "needs an Apple Silicon Mac with MPS; this machine has none",
    "flash_attn": "needs flash_attn importable; it is not installed here "
    "(--simulate flash-attn puts an importable but unusable stub on the path)",
    "decode": "this liquid-audio release has no LFM2AudioProcessor.decode (added in 1.1.0), so it cannot have the bug",
}


@dataclass(frozen=True)
class Expect:
    types: tuple[str, ...]  # exception class names (any class in the raised exception's MRO)
    message: str  # regular expression searched in the message; "^$" means an empty message
    frame: str | None  # liquid-audio file (relative to the package) the failure must come from
    function: str | None = None  # ... and the function in that file, where the file alone is ambiguous


@dataclass(frozen=True)
class Case:
    id: str
    bug: str
    trigger: str
    expect: Expect
    summary: str  # one line: what the case does
    setup: str = ""
    needs: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    expected_text: str = ""  # what a user should see instead (for reports)
    # The call-site variant: the same steps through lfmdoctor.patches' helpers (None: as above).
    callsite_setup: str | None = None
    callsite_trigger: str | None = None

    @property
    def variant(self) -> str | None:
        return self.id.split(":", 1)[1] if ":" in self.id else None


def _audio_case(variant: str, wave: str, expect: Expect, summary: str) -> Case:
    return Case(
        id=f"audio-format:{variant}",
        bug="audio-format",
        needs=("processor",),
        setup=f"chat = ChatState(processor)\nwave = {wave}",
        trigger="chat.add_audio(wave, 16_000)",
        expect=expect,
        summary=summary,
        expected_text="add_audio accepts the audio, or raises a ValueError naming the shape it cannot use",
        callsite_trigger="chat.add_audio(*to_chat_audio(wave, 16_000))",
    )


SINE = "0.1 * np.sin(np.arange(16_000, dtype=np.float32) / 8)"
BARE_ASSERT = Expect(("AssertionError",), "^$", "processor.py", "add_audio")

CASES: tuple[Case, ...] = (
    Case(
        id="processor-device",
        bug="processor-device",
        trigger="processor = LFM2AudioProcessor.from_pretrained(MODEL)",
        expect=Expect(("AssertionError", "RuntimeError"), CUDA_UNUSABLE, "processor.py", "from_pretrained"),
        requires=("cuda_unusable",),
        summary="load the processor without device=",
        expected_text="the processor loads on the best available device (cuda, then mps, then cpu)",
        callsite_trigger="processor = load_processor(MODEL)",
    ),
    Case(
        id="model-device",
        bug="model-device",
        trigger="model = LFM2AudioModel.from_pretrained(MODEL)",
        expect=Expect(("AssertionError", "RuntimeError"), CUDA_UNUSABLE, "model/lfm2_audio.py", "from_pretrained"),
        requires=("cuda_unusable",),
        summary="load the model without device=",
        expected_text="the model loads on the best available device (cuda, then mps, then cpu)",
        callsite_trigger="model = load_model(MODEL)",
    ),
    _audio_case("numpy-1d", SINE, BARE_ASSERT, "add 1-D numpy audio"),
    _audio_case(
        "numpy-2d",
        f"({SINE})[None, :]",
        Expect(("AttributeError",), r"'numpy\.ndarray' object has no attribute 'to'", "processor.py", "add_audio"),
        "add (1, n) numpy audio",
    ),
    _audio_case("torch-1d", f"torch.from_numpy({SINE})", BARE_ASSERT, "add 1-D torch audio"),
    _audio_case("stereo", f"torch.from_numpy({SINE}).repeat(2, 1)", BARE_ASSERT, "add (2, n) stereo audio"),
    _audio_case("channels-last", f"torch.from_numpy({SINE})[:, None]", BARE_ASSERT, "add (n, 1) audio"),
    Case(
        id="audio-format:int16",
        bug="audio-format",
        needs=("processor",),
        setup=(
            "wave = torch.from_numpy(" + SINE + ")[None, :]\n"
            "scaled = ChatState(processor)\n"
            "scaled.add_audio(wave, 16_000)\n"
            "chat = ChatState(processor)"
        ),
        trigger=(
            "chat.add_audio((wave * 32767).to(torch.int16), 16_000)  # accepted without complaint\n"
            "gap = (chat.audio_in.float() - scaled.audio_in.float()).abs().max().item()\n"
            "assert gap < 0.5, f'int16 PCM accepted without rescaling to [-1, 1]: features differ by {gap:.2f}'"
        ),
        callsite_trigger=(
            "chat.add_audio(*to_chat_audio((wave * 32767).to(torch.int16), 16_000))\n"
            "gap = (chat.audio_in.float() - scaled.audio_in.float()).abs().max().item()\n"
            "assert gap < 0.5, f'int16 PCM accepted without rescaling to [-1, 1]: features differ by {gap:.2f}'"
        ),
        expect=Expect(("AssertionError",), "int16 PCM accepted without rescaling", None),
        summary="add int16 PCM audio (silently not rescaled)",
        expected_text="int16 PCM is scaled to [-1, 1], giving the same features as the float input",
    ),
    Case(
        id="detokenizer-device",
        bug="detokenizer-device",
        needs=("processor",),
        trigger="waveform = processor.decode(torch.zeros((1, 8, 4), dtype=torch.long))",
        # on a busy GPU the hard-coded .cuda() shows as an out-of-memory error instead (upstream #26)
        expect=Expect(
            ("AssertionError", "RuntimeError"), CUDA_UNUSABLE + "|CUDA out of memory", "processor.py", "audio_detokenizer"
        ),
        requires=("decode", "cuda_unusable"),
        summary="decode audio codes with a processor loaded on the CPU",
        expected_text="the detokenizer is built on the processor's device and decode returns a waveform",
    ),
    Case(
        id="mimi-device",
        bug="mimi-device",
        setup='processor = LFM2AudioProcessor.from_pretrained(MODEL, device="mps")',
        trigger="mimi = processor.mimi",
        callsite_setup='processor = load_processor(MODEL, device="mps")',
        expect=Expect(("RuntimeError", "ValueError", "SafetensorError"), r"device|mps", "processor.py", "mimi"),
        requires=("mps",),
        summary="load the Mimi codec on an MPS processor",
        expected_text="Mimi weights load on the CPU and move to the processor's device",
    ),
    Case(
        id="local-path",
        bug="local-path",
        trigger='processor = LFM2AudioProcessor.from_pretrained(str(MODEL_DIR), device="cpu")',
        callsite_trigger='processor = load_processor(str(MODEL_DIR), device="cpu")',
        expect=Expect(("HFValidationError",), r"Repo id must", "utils.py", "get_model_dir"),
        summary="load from a local folder given as str",
        expected_text="a str naming an existing folder loads from that folder",
    ),
    Case(
        id="dtype-mismatch",
        bug="dtype-mismatch",
        needs=("processor", "model"),
        setup=(
            "model.eval()\n"
            "chat = ChatState(processor)  # default dtype: bfloat16\n"
            "chat.new_turn('user')\n"
            "chat.add_audio(torch.from_numpy(" + SINE + ")[None, :], 16_000)\n"
            "chat.end_turn()\n"
            "chat.new_turn('assistant')"
        ),
        trigger="tokens = list(model.generate_sequential(**chat, max_new_tokens=2))",
        expect=Expect(("RuntimeError",), r"Input type \(c10::BFloat16\) and bias type \(float\)", "model/"),
        summary="generate from audio with a float32 model and a default (bfloat16) ChatState",
        expected_text="the audio features are cast to the model's dtype",
        callsite_setup=(
            "chat = chat_state(processor, model)  # ChatState in the model's dtype\n"
            "chat.new_turn('user')\n"
            "chat.add_audio(torch.from_numpy(" + SINE + ")[None, :], 16_000)\n"
            "chat.end_turn()\n"
            "chat.new_turn('assistant')"
        ),
    ),
    Case(
        id="train-mode",
        bug="train-mode",
        needs=("processor", "model"),
        setup=(
            "chat = ChatState(processor, dtype=torch.float32)\n"
            "chat.new_turn('user')\n"
            "chat.add_audio(torch.from_numpy(" + SINE + ")[None, :800], 16_000)  # 50 ms\n"
            "chat.end_turn()\n"
            "chat.new_turn('assistant')"
        ),
        trigger="tokens = list(model.generate_sequential(**chat, max_new_tokens=2))",
        expect=Expect(("ValueError",), r"Expected more than 1 value per channel when training", "model/"),
        summary="generate from 50 ms of audio straight after from_pretrained (no .eval())",
        expected_text="from_pretrained returns the model in eval mode; short audio is transcribed",
    ),
    Case(
        id="flash-attn",
        bug="flash-attn",
        trigger='model = LFM2AudioModel.from_pretrained(MODEL, device="cpu")',
        expect=Expect(("ImportError", "ValueError", "RuntimeError"), r"(?i)flash", "model/lfm2_audio.py", "from_pretrained"),
        requires=("flash_attn",),
        summary="load the model on the CPU with flash_attn importable",
        callsite_trigger='model = load_model(MODEL, device="cpu")  # picks sdpa off CUDA',
        expected_text="flash_attention_2 is chosen only on CUDA with a half-precision dtype; sdpa otherwise",
    ),
    Case(
        id="eoa-code",
        bug="eoa-code",
        needs=("processor",),
        setup=(
            "frames = torch.zeros((1, 8, 4), dtype=torch.long)\n"
            "frames[..., -1] = 2048  # generate_sequential ends audio with an all-2048 frame"
        ),
        trigger="waveform = processor.decode(frames)",
        callsite_trigger="waveform = processor.decode(drop_end_of_audio(frames))",
        expect=Expect(("RuntimeError",), r"expected audio codes in range", "processor.py", "decode"),
        requires=("decode",),
        summary="decode generated frames that end with the end-of-audio code 2048",
        expected_text="end-of-audio frames are dropped before decoding (or the message names the valid range)",
    ),
)

CASE_IDS = tuple(case.id for case in CASES)
SIMULATIONS = {
    "no-cuda": "hide every GPU (CUDA_VISIBLE_DEVICES='') to show what CPU and Mac users see",
    "flash-attn": "put an importable but unusable flash_attn stub on the path",
}


def select(bugs: list[str] | None) -> list[Case]:
    """Cases for these bug ids or case ids (all when None); KeyError names unknown ids."""
    if not bugs:
        return list(CASES)
    chosen: list[Case] = []
    for wanted in bugs:
        matches = [c for c in CASES if c.bug == wanted or c.id == wanted]
        if not matches:
            known = sorted({c.bug for c in CASES})
            raise KeyError(f"unknown bug {wanted!r}; known: {', '.join(known)}")
        chosen += [m for m in matches if m not in chosen]
    return chosen


@dataclass
class WorkerCase:
    """What the worker needs of a case (sent as JSON)."""

    id: str
    setup: str
    trigger: str
    needs: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    stub_flash_attn: bool = False
