"""liquid-audio passes ``past_key_values=`` to ``Lfm2Model`` and reads ``.past_key_values``: transformers
renamed both to ``cache`` and removes the old keyword in 5.40, so every release breaks that day."""

from __future__ import annotations

import ast
import functools
import inspect
from typing import Any

from . import _ast
from ._anatomy import MODEL_CLASS, MODEL_FILE, MODEL_MODULE
from ._spec import Bug, Callsite, Case, Edit, Expect, NotNeeded, Verdict, Wrap, release_range

OLD, NEW = "past_key_values", "cache"
GENERATORS = ("generate_sequential", "generate_interleaved")


def _uses_old_name(node: ast.AST) -> bool:
    keyword = isinstance(node, ast.keyword) and node.arg == OLD
    return keyword or (isinstance(node, ast.Attribute) and node.attr == OLD and isinstance(node.ctx, ast.Load))


def detect(source: _ast.Source) -> Verdict:
    cls = source.find_class(MODEL_CLASS)
    calls = [call for call in _ast.calls(cls) if isinstance(call.func, ast.Attribute) and call.func.attr == "lfm"]
    old = [node for node in _ast.in_order(ast.walk(cls)) if _uses_old_name(node)]
    if old:
        return Verdict(
            True,
            old[0],
            f"LFM2AudioModel passes `{OLD}=` to Lfm2Model (and reads `.{OLD}`), a name transformers deprecated "
            "for `cache` and removes in 5.40.",
        )
    return Verdict(False, calls[0] if calls else None, f"LFM2AudioModel does not use the `{OLD}` name with Lfm2Model.")


def takes_cache(forward: Any) -> bool:
    """Does this transformers' Lfm2Model.forward take the new ``cache`` keyword?"""
    try:
        return NEW in inspect.signature(forward).parameters
    except (TypeError, ValueError):
        return False


def use_cache_keyword(model: Any) -> Any:
    """Make ``model.lfm`` (an Lfm2Model) take liquid-audio's ``past_key_values=`` as ``cache=``, and give back an
    output whose ``.past_key_values`` (which liquid-audio reads) is its ``.cache``, read without the deprecation;
    returns ``model``. Only where the installed transformers has the ``cache`` keyword; with an older one it
    changes nothing.
    """
    lfm = getattr(model, "lfm", None)
    if lfm is None or getattr(lfm, "_lfmdoctor_cache_keyword", False) or not takes_cache(lfm.forward):
        return model
    forward = lfm.forward

    @functools.wraps(forward)
    def renamed(*args: Any, **kwargs: Any) -> Any:
        if OLD in kwargs and NEW not in kwargs:
            kwargs[NEW] = kwargs.pop(OLD)
        return _read_as_cache(forward(*args, **kwargs))

    lfm.forward = renamed
    lfm._lfmdoctor_cache_keyword = True
    return model


_READ_AS_CACHE: dict[type, type] = {}


def _read_as_cache(output: Any) -> Any:
    """``output`` (a transformers ModelOutput with a ``cache`` field) as a subclass of its own class whose
    ``past_key_values`` property returns ``cache`` without the deprecation transformers' own property logs."""
    cls = type(output)
    if NEW not in getattr(cls, "__dataclass_fields__", {}) or not isinstance(getattr(cls, OLD, None), property):
        return output
    if cls not in _READ_AS_CACHE:
        namespace = {OLD: property(lambda self: getattr(self, NEW)), "__module__": cls.__module__}
        _READ_AS_CACHE[cls] = type(cls)(cls.__name__, (cls,), namespace)
    output.__class__ = _READ_AS_CACHE[cls]
    return output


def _check(generate: Any, module: Any) -> None:
    if f"{OLD}=" not in _ast.source_text(generate):
        raise NotNeeded(f"{MODEL_CLASS} no longer passes {OLD}=")
    if not takes_cache(module.Lfm2Model.forward):
        raise NotNeeded(f"the installed transformers has no `{NEW}` keyword yet, so `{OLD}` is still the name")


def _wrap(generate: Any, module: Any) -> Any:
    @functools.wraps(generate)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        use_cache_keyword(self)
        yield from generate(self, *args, **kwargs)

    return wrapper


CACHE_NAME = f'''

# transformers 5 renamed `{OLD}` to `{NEW}`; 5.40 removes the old name
LFM_CACHE = "{NEW}" if "{NEW}" in inspect.signature(Lfm2Model.forward).parameters else "{OLD}"
'''

BUG = Bug(
    id="past-key-values",
    order=110,
    title="generate passes past_key_values, deprecated from transformers 5.24.0",
    module=MODEL_FILE,
    trigger="generate_sequential or generate_interleaved with transformers 5.24.0 or later",
    symptom=f"FutureWarning: `{OLD}` is deprecated and will be removed in version 5.40.0 for `Lfm2Model.forward`. "
    f"Use `{NEW}` instead. (a warning: the removal it announces is not released, so its effect was not run)",
    root_cause=f"both generators pass `{OLD}=cache` to Lfm2Model and read `lfm_out.{OLD}`",
    expected="generation passes the cache under the name transformers takes, without a deprecation warning",
    workaround="nothing is needed today (it is a warning); to be safe from the announced removal, pin "
    "transformers below 5.40: pip install 'transformers<5.40'",
    fix=f"pass and read the cache as `{NEW}` where transformers has it",
    changes=(
        "`generate_sequential` and `generate_interleaved` pass and read the cache as `cache` where transformers' "
        "Lfm2Model takes it, and as `past_key_values` with an older transformers; outputs do not change."
    ),
    subject="pass the cache as `cache` where transformers takes it",
    detect=detect,
    cases=(
        Case(
            needs=("processor", "model"),
            requires=("deprecates_past_key_values",),
            setup=(
                "import warnings\n"
                "chat = ChatState(processor, dtype=torch.float32)\n"
                'warnings.simplefilter("error", FutureWarning)  # what transformers 5.40 does'
            ),
            trigger="next(model.generate_sequential(**chat, max_new_tokens=1))",
            expect=Expect(("FutureWarning", "TypeError"), rf"{OLD}", MODEL_FILE),
            summary=f"generate text with a transformers that deprecates `{OLD}`",
            expected_text="generation runs without a deprecation warning",
        ),
    ),
    callsite=Callsite(helpers=(use_cache_keyword,), model_loaded=use_cache_keyword),
    runtime=tuple(Wrap(MODEL_MODULE, MODEL_CLASS, name, _check, _wrap) for name in GENERATORS),
    edits=(
        Edit(MODEL_FILE, "import json\nimport math\n", "import inspect\nimport json\nimport math\n"),
        Edit(
            MODEL_FILE,
            "\n\nclass LFM2_HFConfig(TypedDict):\n",
            CACHE_NAME + "\n\nclass LFM2_HFConfig(TypedDict):\n",
            release_range("1.2.0"),
        ),
        # before 1.2.0 the class follows the imports directly: isort wants one blank line after them
        Edit(
            MODEL_FILE,
            "\n\nclass LFM2_HFConfig(TypedDict):\n",
            CACHE_NAME[1:] + "\n\nclass LFM2_HFConfig(TypedDict):\n",
            release_range(before="1.2.0"),
        ),
        Edit(MODEL_FILE, f"                {OLD}=cache,\n", "                **{LFM_CACHE: cache},\n", count=2),
        Edit(MODEL_FILE, f"            cache = lfm_out.{OLD}\n", "            cache = getattr(lfm_out, LFM_CACHE)\n", count=2),
    ),
    regression_test=f"""\
import warnings

import pytest
import torch
import transformers
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor
from packaging.version import Version


@pytest.mark.skipif(
    Version(transformers.__version__) < Version("5.24.0"), reason="transformers deprecates {OLD} from 5.24.0"
)
def test_generation_sets_off_no_deprecation_of_{OLD}(tiny_checkpoint):
    processor = LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu")
    model = LFM2AudioModel.from_pretrained(tiny_checkpoint, device="cpu", dtype=torch.float32).eval()
    chat = ChatState(processor, dtype=torch.float32)
    chat.new_turn("user")
    chat.add_text("Hello")
    chat.end_turn()
    chat.new_turn("assistant")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*{OLD}", category=FutureWarning)
        assert len(list(model.generate_sequential(**chat, max_new_tokens=2))) == 2
""",
    severity="cosmetic",
    affects="Every generation prints the warning with transformers 5.24.0 or later; with transformers 4.56.1, "
    "which upstream's lock pins, there is no warning and nothing to fix.",
    warns=(rf"`?{OLD}`? is deprecated",),
    bites_here=lambda env: _major(env.packages.get("transformers")) >= 5,
)


def _major(version: str | None) -> int:
    try:
        return int(str(version).split(".", 1)[0])
    except ValueError:
        return 0
