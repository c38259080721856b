"""``LFM2AudioModel.from_pretrained`` defaults to ``device="cuda"``."""

from __future__ import annotations

from . import _ast, processor_device
from ._anatomy import CUDA_DEFAULT_SIGNATURE, CUDA_UNUSABLE, MODEL_CLASS, MODEL_FILE, MODEL_MODULE, OPTIONAL_DEVICE_SIGNATURE
from ._signature import Signature
from ._spec import Bug, Callsite, Case, Edit, Expect, Verdict, Wrap, without_cuda


def detect(source: _ast.Source) -> Verdict:
    return processor_device.detect_cuda_default(source, MODEL_CLASS)


BUG = Bug(
    id="model-device",
    order=20,
    title="LFM2AudioModel.from_pretrained defaults to device='cuda'",
    module=MODEL_FILE,
    trigger="LFM2AudioModel.from_pretrained(repo) without device=",
    symptom="the same CUDA errors as the processor's default device, raised while building Lfm2Model under init_on_device",
    root_cause='the `device` parameter defaults to "cuda"; the model is constructed under accelerate.init_on_device(device)',
    expected="the model loads on the best available device (cuda, then mps, then cpu)",
    workaround="pass device explicitly: LFM2AudioModel.from_pretrained(repo, device='cpu')",
    fix="default device=None, resolved to cuda, then mps, then cpu",
    changes=(
        "Without `device=`, `LFM2AudioModel.from_pretrained` picks cuda when `torch.cuda.is_available()` (what "
        "CUDA users get today), else mps, else cpu. An explicit `device=` behaves as before."
    ),
    default_change=True,
    detect=detect,
    cases=(
        Case(
            trigger=f"model = {MODEL_CLASS}.from_pretrained(MODEL)",
            expect=Expect(("AssertionError", "RuntimeError"), CUDA_UNUSABLE, MODEL_FILE, "from_pretrained"),
            requires=("cuda_unusable",),
            summary="load the model without device=",
            callsite_trigger="model = load_model(MODEL)",
        ),
    ),
    callsite=Callsite(model_device=processor_device.pick_device),
    runtime=(
        Wrap(
            MODEL_MODULE,
            MODEL_CLASS,
            "from_pretrained",
            lambda func, module: processor_device.check_cuda_default(func, f"{MODEL_CLASS}.from_pretrained"),
            lambda func, module: processor_device.with_best_device(func),
        ),
    ),
    edits=(
        Edit(
            MODEL_FILE,
            "from liquid_audio.utils import LFMModality, get_model_dir, mel2emb_len, module_exists\n",
            "from liquid_audio.utils import LFMModality, default_device, get_model_dir, mel2emb_len, module_exists\n",
        ),
        Edit(MODEL_FILE, CUDA_DEFAULT_SIGNATURE, OPTIONAL_DEVICE_SIGNATURE),
        Edit(
            MODEL_FILE,
            "        if isinstance(device, str):\n            device = torch.device(device)\n",
            "        if device is None:\n            device = default_device()\n"
            "        if isinstance(device, str):\n            device = torch.device(device)\n",
        ),
    ),
    regression_test="""\
import torch
from liquid_audio import LFM2AudioModel


def test_from_pretrained_without_device_picks_an_available_device(tiny_checkpoint):
    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, dtype=torch.float32)
    available = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert next(model.parameters()).device.type == available
""",
    threads=processor_device.UPSTREAM_THREADS,
    position=processor_device.POSITION,
    differs=processor_device.DIFFERS,
    after=(processor_device.BUG.id,),  # the source fix uses the default_device() helper that fix adds
    bites_here=without_cuda,
    signatures=(
        # a log line or an issue without the traceback: the model named next to a CUDA-unusable message
        Signature(CUDA_UNUSABLE, ("AssertionError", "RuntimeError"), mentions=MODEL_CLASS),
    ),
)
