"""The known liquid-audio bugs: every fact about each one, in one place.

Detection (``lfmdoctor.diagnose.detectors``), reproduction (``lfmdoctor.repro``) and patches
(``lfmdoctor.patches``) are keyed by these ids; tests check that each id has all of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bug:
    id: str
    title: str
    module: str  # file inside the installed ``liquid_audio`` package
    trigger: str
    symptom: str
    root_cause: str
    workaround: str  # what a user can do at the call site today
    fix: str  # what the upstream fix should do
    needs_cuda_absent: bool = False  # only bites where CUDA is unusable
    upstream_refs: tuple[str, ...] = ()

    @property
    def upstream_path(self) -> str:
        return f"src/liquid_audio/{self.module}"


BUGS: tuple[Bug, ...] = (
    Bug(
        id="processor-device",
        title="LFM2AudioProcessor.from_pretrained defaults to device='cuda'",
        module="processor.py",
        trigger="LFM2AudioProcessor.from_pretrained(repo) without device=",
        symptom="AssertionError: Torch not compiled with CUDA enabled (CPU/macOS torch); "
        "RuntimeError: Found no NVIDIA driver on your system (CUDA torch, no driver)",
        root_cause='the `device` parameter defaults to "cuda" and the processor is moved there with .to(device)',
        workaround="pass device explicitly: LFM2AudioProcessor.from_pretrained(repo, device='cpu') (or 'mps')",
        fix="default device=None, resolved to cuda, then mps, then cpu",
        needs_cuda_absent=True,
    ),
    Bug(
        id="model-device",
        title="LFM2AudioModel.from_pretrained defaults to device='cuda'",
        module="model/lfm2_audio.py",
        trigger="LFM2AudioModel.from_pretrained(repo) without device=",
        symptom="same CUDA errors as processor-device, raised while building Lfm2Model under init_on_device",
        root_cause='the `device` parameter defaults to "cuda"; the model is constructed under '
        "accelerate.init_on_device(device)",
        workaround="pass device explicitly: LFM2AudioModel.from_pretrained(repo, device='cpu')",
        fix="default device=None, resolved to cuda, then mps, then cpu",
        needs_cuda_absent=True,
    ),
    Bug(
        id="audio-format",
        title="ChatState.add_audio accepts only a (1, n) float torch tensor",
        module="processor.py",
        trigger="ChatState.add_audio(wave, sr) with numpy, 1-D, stereo, channels-last or int16 audio",
        symptom="AttributeError: 'numpy.ndarray' object has no attribute 'to'; bare AssertionError "
        "for 1-D or multi-channel audio; int16 PCM accepted unscaled",
        root_cause="bare `assert` statements on wave.shape and a direct wave.to(device) call, with no conversion",
        workaround="convert first: torch.as_tensor(wave, dtype=torch.float32).reshape(1, -1) "
        "(mix stereo down, scale int PCM to [-1, 1])",
        fix="accept numpy and torch, 1-D or 2-D, mix channels down, scale integer PCM, "
        "raise ValueError naming the shape it cannot use",
    ),
    Bug(
        id="detokenizer-device",
        title="audio_detokenizer is built with a hard-coded .cuda()",
        module="processor.py",
        trigger="processor.decode(codes) on a processor loaded with device='cpu' or 'mps'",
        symptom="the same CUDA errors as processor-device; on a busy GPU an unexpected CUDA out-of-memory",
        root_cause="LFM2AudioDetokenizer(...).eval().cuda() ignores the processor's device",
        workaround="build it yourself: LFM2AudioDetokenizer(config).eval().to(processor.device) and set "
        "processor._audio_detokenizer",
        fix="build the detokenizer with .to(self.device)",
        needs_cuda_absent=True,
        upstream_refs=("Liquid4All/liquid-audio#26",),
    ),
    Bug(
        id="mimi-device",
        title="Mimi weights are loaded straight onto the processor's device string",
        module="processor.py",
        trigger="processor.mimi on MPS (or any device string safetensors rejects)",
        symptom="safetensors: device mps:0 is invalid; RuntimeError: PyTorch is not linked with support for mps devices",
        root_cause="load_file(path, device=str(self.device)) passes the torch device string to safetensors",
        workaround="load the processor on CPU, touch processor.mimi, then move the processor",
        fix="load_file(path, device='cpu') then move the Mimi model to self.device",
        upstream_refs=("Liquid4All/liquid-audio#7",),
    ),
    Bug(
        id="local-path",
        title="A local checkpoint path given as str is sent to the Hugging Face hub",
        module="utils.py",
        trigger="from_pretrained('/some/local/dir') with a str",
        symptom="huggingface_hub.errors.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace/repo_name'",
        root_cause="get_model_dir treats every str as a hub repo id; only pathlib.Path is taken as local",
        workaround="pass pathlib.Path('/some/local/dir')",
        fix="treat a str naming an existing directory as a local path",
    ),
    Bug(
        id="dtype-mismatch",
        title="bfloat16 ChatState audio fed to a float32 model",
        module="model/lfm2_audio.py",
        trigger="ChatState (default bfloat16) with a float32 model and audio input",
        symptom="RuntimeError: Input type (c10::BFloat16) and bias type (float) should be the same",
        root_cause="_prefill passes the mel features to the conformer without casting to the model dtype",
        workaround="ChatState(processor, dtype=<the model's dtype>)",
        fix="cast the conformer input with .to(text_emb.dtype) (as 1.2.0 does)",
    ),
    Bug(
        id="train-mode",
        title="from_pretrained returns the model in training mode",
        module="model/lfm2_audio.py",
        trigger="generating straight after LFM2AudioModel.from_pretrained without .eval()",
        symptom="nondeterministic outputs (dropout); ValueError: Expected more than 1 value per channel "
        "when training, for audio under ~80 ms",
        root_cause="from_pretrained never calls .eval()",
        workaround="call model.eval() after loading",
        fix="return model.eval() from from_pretrained",
    ),
    Bug(
        id="flash-attn",
        title="flash_attention_2 is chosen whenever flash_attn is importable",
        module="model/lfm2_audio.py",
        trigger="flash_attn installed on a machine or dtype it cannot serve (CPU, MPS, float32)",
        symptom="errors from transformers' flash-attention integration on a non-CUDA device or float32",
        root_cause="from_pretrained checks only find_spec('flash_attn'), not the device or dtype",
        workaround="uninstall flash_attn, or call model.lfm.set_attn_implementation('sdpa') after loading",
        fix="use flash_attention_2 only on CUDA with a half-precision dtype",
    ),
    Bug(
        id="eoa-code",
        title="decode rejects the end-of-audio code 2048 with a truncated message",
        module="processor.py",
        trigger="processor.decode(frames) where frames include the end-of-audio frame (code 2048)",
        symptom="RuntimeError: expected audio codes in range ",
        root_cause="decode raises on codes >= 2048 with an unfinished message instead of dropping end-of-audio frames",
        workaround="drop frames whose codes equal 2048 before decode",
        fix="drop trailing end-of-audio frames and finish the message: 'expected audio codes in range [0, 2047]'",
    ),
)

BUG_IDS: tuple[str, ...] = tuple(bug.id for bug in BUGS)
_BY_ID = {bug.id: bug for bug in BUGS}


def get_bug(bug_id: str) -> Bug:
    """Return the bug with this id; KeyError names the known ids."""
    try:
        return _BY_ID[bug_id]
    except KeyError:
        raise KeyError(f"unknown bug id {bug_id!r}; known: {', '.join(BUG_IDS)}") from None
