"""The fine-tuning Trainer saves the final weights without ``config.json``: the output does not reload."""

from __future__ import annotations

import ast
import functools
import inspect
import shutil
from pathlib import Path
from typing import Any

from . import _ast, _training
from ._anatomy import FINE_TUNING_FILES, FINE_TUNING_SINCE, MODEL_FILE, TRAINER_CLASS, TRAINER_FILE, TRAINER_MODULE
from ._spec import Bug, Callsite, Case, Edit, Expect, NotNeeded, Unfamiliar, Verdict, Wrap, release_range

CONFIG = "config.json"
SAVE_END = "            safe_serialization=True,\n        )\n"
COPY = (
    "        if self.accelerator.is_main_process:\n"
    '            shutil.copy(get_model_dir(self.model_id) / "config.json", f"{self.output_dir}/final/config.json")\n'
)
_WRITES_CONFIG = frozenset({"save_pretrained", "to_json_file", "copy", "copyfile", "copy2"})


def detect(source: _ast.Source) -> Verdict:
    train = source.method(TRAINER_CLASS, "train")
    saves = _ast.calls(train, ["save_model"])
    writes = [
        call
        for call in _ast.calls(train, _WRITES_CONFIG)
        if call_names_config(call) or _ast.call_name(call) == "save_pretrained"
    ]
    if writes:
        return Verdict(False, writes[0], f"Trainer.train writes {CONFIG} next to the final weights.")
    return Verdict(
        True,
        saves[0] if saves else train,
        f"Trainer.train saves the final weights with accelerator.save_model, which writes no {CONFIG}, and nothing "
        "else writes one: LFM2AudioModel.from_pretrained cannot load the output folder.",
    )


def call_names_config(call: ast.Call) -> bool:
    return any(isinstance(node, ast.Constant) and node.value == CONFIG for node in ast.walk(call))


def copy_config(model_id: Any, final_dir: Any) -> Path:
    """Copy the base checkpoint's ``config.json`` (``model_id``: a local folder or a hub id) into the Trainer's
    final folder (``f"{output_dir}/final"``), so that ``LFM2AudioModel.from_pretrained`` loads it. Returns the copy."""
    from liquid_audio.utils import get_model_dir

    source = Path(model_id) if isinstance(model_id, str) and Path(model_id).is_dir() else model_id
    target = Path(final_dir) / CONFIG
    shutil.copy(get_model_dir(source) / CONFIG, target)
    return target


def _check_init(init: Any, module: Any) -> None:
    if "model_id" not in _ast.source_text(init):
        raise Unfamiliar("Trainer.__init__ takes no model_id")
    _check_train(getattr(module, TRAINER_CLASS).train, module)


def _check_train(train: Any, module: Any) -> None:
    text = _ast.source_text(train)
    if "save_model(" not in text:
        raise Unfamiliar("Trainer.train does not save with accelerator.save_model")
    if CONFIG in text or "save_pretrained" in text:
        raise NotNeeded(f"Trainer.train writes {CONFIG}")


def _remember_model_id(init: Any, module: Any) -> Any:
    signature = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        self._lfmdoctor_model_id = bound.arguments["model_id"]
        init(self, *args, **kwargs)

    return __init__


def _with_config(train: Any, module: Any) -> Any:
    @functools.wraps(train)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = train(self, *args, **kwargs)
        final = Path(self.output_dir, "final")
        model_id = getattr(self, "_lfmdoctor_model_id", None)
        if model_id is not None and final.is_dir() and not (final / CONFIG).exists() and self.accelerator.is_main_process:
            copy_config(model_id, final)
        return result

    return wrapper


RELOAD = 'LFM2AudioModel.from_pretrained(Path(trainer.output_dir, "final"), device="cpu", dtype=torch.float32)'

BUG = Bug(
    id="final-config",
    order=240,
    title="The fine-tuned model is saved without config.json and cannot be reloaded",
    module=TRAINER_FILE,
    trigger="Trainer(...).train(), then LFM2AudioModel.from_pretrained(f'{output_dir}/final')",
    symptom="FileNotFoundError: [Errno 2] No such file or directory: '.../final/config.json' (in "
    "LFM2AudioModel.from_pretrained)",
    root_cause="Trainer.train saves the final model with accelerator.save_model (trainer.py:160-165), which writes "
    "the weights (model.safetensors) only; LFM2AudioModel is a plain nn.Module, so no config is saved with them",
    expected="the final folder holds config.json next to the weights, and from_pretrained loads the fine-tuned model",
    workaround="after trainer.train(), copy the base checkpoint's config.json into f'{output_dir}/final'",
    fix="copy the base checkpoint's config.json into the final folder after saving the weights",
    subject="Save config.json with the fine-tuned model",
    changes=(
        "`Trainer` keeps its `model_id`, and `train()` copies that checkpoint's `config.json` into "
        "`{output_dir}/final` (on the main process) after saving the weights, so `LFM2AudioModel.from_pretrained` "
        "loads the fine-tuned model. The weights are saved as before, on CPU and CUDA alike."
    ),
    severity="crash",
    explicit=True,
    affects="Only fine-tuning with liquid-audio's Trainer (1.2.0 and later; earlier releases have no trainer.py).",
    absent_without=FINE_TUNING_FILES,
    detect=detect,
    cases=(
        Case(
            needs=("processor",),
            imports=_training.IMPORTS,
            setup=_training.DATASET + "\n" + _training.TRAINER + "\ntrainer.train()",
            callsite_setup=_training.DATASET
            + "\n"
            + _training.TRAINER
            + "\ntrainer.train()\ncopy_config(MODEL_DIR, Path(trainer.output_dir, 'final'))",
            trigger=RELOAD,
            expect=Expect(("FileNotFoundError",), r"final/config\.json", MODEL_FILE, "from_pretrained"),
            summary="fine-tune for three steps with liquid-audio's Trainer, then reload the final folder",
        ),
    ),
    callsite=Callsite(helpers=(copy_config,)),
    runtime=(
        Wrap(TRAINER_MODULE, TRAINER_CLASS, "__init__", _check_init, _remember_model_id, lazy=True),
        Wrap(TRAINER_MODULE, TRAINER_CLASS, "train", _check_train, _with_config, lazy=True),
    ),
    edits=(
        Edit(TRAINER_FILE, "import time\n", "import shutil\nimport time\n", release_range(FINE_TUNING_SINCE)),
        Edit(
            TRAINER_FILE,
            "from liquid_audio.model.lfm2_audio import LFM2AudioModelOutput\n",
            "from liquid_audio.model.lfm2_audio import LFM2AudioModelOutput\nfrom liquid_audio.utils import get_model_dir\n",
            release_range(FINE_TUNING_SINCE),
        ),
        Edit(
            TRAINER_FILE,
            "        self.output_dir = output_dir\n",
            "        self.output_dir = output_dir\n        self.model_id = model_id\n",
            release_range(FINE_TUNING_SINCE),
        ),
        Edit(TRAINER_FILE, SAVE_END, SAVE_END + COPY, release_range(FINE_TUNING_SINCE)),
    ),
    regression_test=_training.regression_test(
        """\
def test_the_fine_tuned_model_reloads(tiny_checkpoint, tmp_path):
    tiny_trainer(tiny_checkpoint, tmp_path, max_steps=1).train()
    model = LFM2AudioModel.from_pretrained(tmp_path / "out" / "final", device="cpu", dtype=torch.float32)
    assert model.codebooks == 8
""",
        torch=True,
        model=True,
    ),
)
