"""The call-site engine: ``load_processor`` and ``load_model`` compose every bug's call-site hooks.

Each bug's own hooks and helpers (``to_chat_audio``, ``load_detokenizer``, ``pick_device``, ...) are
tested in that bug's file, tests/bugs/test_<id>.py. Here: the composition (with stand-in hooks, and
with the real registry on the tiny checkpoint), importing without torch, and loading by path.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")
liquid_audio = pytest.importorskip("liquid_audio")

from lfmdoctor import bugs
from lfmdoctor.bugs._spec import Callsite
from lfmdoctor.patches import callsite, load_model, load_processor


@pytest.fixture(scope="module")
def loaded(tiny_checkpoint: Path):
    # A str path: liquid-audio alone sends it to the hub.
    processor = load_processor(str(tiny_checkpoint), device="cpu")
    model = load_model(str(tiny_checkpoint), device="cpu", dtype="float32")
    return processor, model


def test_import_needs_no_torch():
    code = "import sys, lfmdoctor.patches; assert 'torch' not in sys.modules and 'liquid_audio' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- composition, with stand-in hooks ---------------------------------------------------------------


def with_hooks(monkeypatch: pytest.MonkeyPatch, *hooks: Callsite) -> list:
    """Make the registry hold bugs with these call-site hooks only; returns the log they write to."""
    monkeypatch.setattr(callsite, "registry", lambda: SimpleNamespace(BUGS=[SimpleNamespace(callsite=c) for c in hooks]))
    return []


def test_load_processor_runs_every_hook_in_registry_order(monkeypatch):
    def from_pretrained(source, device, **kw):
        log.append(("load", source, device, kw))
        return ["processor"]

    def wrapper(name):
        def load_processor(load, source, device, kw):
            log.append((name, source, device))
            return load(source, device, **kw)

        return load_processor

    log = with_hooks(
        monkeypatch,
        Callsite(
            source=lambda s: f"{s}/first",
            processor_device=lambda d: f"{d}>first",
            load_processor=wrapper("inner"),
            processor_loaded=lambda p: [*p, "first"],
        ),
        Callsite(
            source=lambda s: f"{s}/second",
            processor_device=lambda d: f"{d}>second",
            load_processor=wrapper("outer"),
            processor_loaded=lambda p: [*p, "second"],
        ),
    )
    monkeypatch.setattr(liquid_audio.LFM2AudioProcessor, "from_pretrained", staticmethod(from_pretrained))

    processor = load_processor("repo", device="auto", revision="main")

    assert processor == ["processor", "first", "second"]
    assert log == [
        ("outer", "repo/first/second", "auto>first>second"),
        ("inner", "repo/first/second", "auto>first>second"),
        ("load", "repo/first/second", "auto>first>second", {"revision": "main"}),
    ]


def test_load_model_runs_every_hook_in_registry_order(monkeypatch):
    def guard(name):
        @contextlib.contextmanager
        def around_the_load(device, dtype):
            log.append((f"enter {name}", device, dtype))
            yield
            log.append((f"exit {name}", device, dtype))

        return around_the_load

    def from_pretrained(source, device, **kw):
        log.append(("load", source, device, kw))
        return ["model"]

    log = with_hooks(
        monkeypatch,
        Callsite(
            source=lambda s: f"{s}/first",
            model_device=lambda d: "cpu",
            model_guard=guard("first"),
            model_loaded=lambda m: [*m, "first"],
        ),
        Callsite(model_guard=guard("second"), model_loaded=lambda m: [*m, "second"]),
    )
    monkeypatch.setattr(liquid_audio.LFM2AudioModel, "from_pretrained", staticmethod(from_pretrained))

    model = load_model("repo", device=None, dtype="bfloat16", revision="main")

    assert model == ["model", "first", "second"]
    assert log == [
        ("enter first", "cpu", torch.bfloat16),
        ("enter second", "cpu", torch.bfloat16),
        ("load", "repo/first", "cpu", {"revision": "main", "dtype": torch.bfloat16}),
        ("exit second", "cpu", torch.bfloat16),
        ("exit first", "cpu", torch.bfloat16),
    ]


def test_load_model_rejects_an_unknown_dtype(monkeypatch):
    with_hooks(monkeypatch)
    with pytest.raises(ValueError, match="unknown dtype 'float8'"):
        load_model("repo", device="cpu", dtype="float8")


# --- composition, with the real registry on the tiny checkpoint -------------------------------------


def test_loaders_take_a_str_path_and_return_eval_model(loaded):
    processor, model = loaded
    assert processor.device.type == "cpu"
    assert not model.training
    assert next(model.parameters()).dtype == torch.float32
    assert {p.device.type for p in model.parameters()} == {"cpu"}


def test_load_model_default_dtype_is_liquid_audios(tiny_checkpoint):
    model = load_model(tiny_checkpoint, device="cpu")
    assert next(model.parameters()).dtype == torch.bfloat16
    assert not model.training


def test_load_processor_finishes_the_loaded_processor(loaded):
    processor, _ = loaded
    assert processor._audio_detokenizer is not None
    wave = processor.decode(torch.randint(0, 2048, (1, 8, 6)))
    assert wave.ndim == 2 and wave.shape[0] == 1 and torch.isfinite(wave).all()


# --- loaded by path, where lfmdoctor is not installed -----------------------------------------------

BY_PATH = """
import importlib.util, json, sys
sys.modules["lfmdoctor"] = None  # any import of lfmdoctor now fails, as where it is not installed
spec = importlib.util.spec_from_file_location("callsite_by_path", sys.argv[1])
callsite = importlib.util.module_from_spec(spec)
spec.loader.exec_module(callsite)
processor = callsite.load_processor(sys.argv[2], device="cpu")
print(json.dumps({"device": processor.device.type, "all": callsite.__all__}))
"""


@pytest.mark.slow
def test_loaded_by_path_it_finds_the_bugs_beside_it(tiny_checkpoint):
    done = subprocess.run(
        [sys.executable, "-c", BY_PATH, callsite.__file__, str(tiny_checkpoint)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "device": "cpu",  # a str path loaded: the source hook of the registry beside it went in
        "all": ["load_model", "load_processor", *sorted(bugs.callsite_helpers())],
    }
