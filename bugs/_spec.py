"""What a known-bug module declares: plain data plus a few functions, standard library only.

The engines (diagnose, repro, patches, report, bench, matrix) read these declarations and know no bug
by name. This file, like every bug module, imports nothing outside the standard library at import
time: the runtime and call-site fixes load the package by path inside the interpreter under study.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ._signature import Signature

RELEASES = ("0.0.0a1", "1.0.0", "1.1.0", "1.2.0", "1.3.0")
SEVERITIES = ("crash", "wrong output", "resource", "cosmetic")


@dataclass(frozen=True)
class Thread:
    """An upstream issue or pull request, as the public record showed it on ``as_of``."""

    number: int
    kind: str  # "issue" or "pr"
    title: str  # what it is about, in a few words (a summary, not a quotation)
    state: str  # "open", "closed", "merged"
    as_of: str  # ISO date the state was read (never a date the state changed on)
    relation: str  # how it bears on this bug, in upstream's words
    since: str = ""  # ISO date the state began, where the record shows it
    fixes: bool = False  # merging this open thread would fix the bug: offer it the test instead of a new PR

    @property
    def ref(self) -> str:
        return f"Liquid4All/liquid-audio#{self.number}"

    @property
    def standing(self) -> str:
        """ "open since 2026-06-03" or "closed as of 2026-12-04": only dates the record shows."""
        return f"{self.state} since {self.since}" if self.since else f"{self.state} as of {self.as_of}"


@dataclass(frozen=True)
class Expect:
    """What a reproduction must raise for the bug to count as shown."""

    types: tuple[str, ...]  # exception class names (any class in the raised exception's MRO)
    message: str  # regular expression searched in the message; "^$" means an empty message
    frame: str | None  # liquid-audio file (relative to the package) the failure must come from
    function: str | None = None  # ... and the function in that file, where the file alone is ambiguous


@dataclass(frozen=True)
class Case:
    """One minimal real liquid-audio call that shows the bug.

    ``setup`` and ``trigger`` are Python source run by the repro worker and written verbatim into
    reproducer scripts. Names they can use: ``MODEL``, ``MODEL_DIR``, ``np``, ``torch``, the
    liquid-audio classes, and the resources in ``needs`` (see ``RESOURCES``). ``requires`` names
    machine conditions (see ``CONDITIONS``); the case is not run where one does not hold. Another
    bug fixed first is declared on the bug (``Bug.after``).
    """

    trigger: str
    expect: Expect
    summary: str  # one line: what the case does
    variant: str | None = None  # None for a bug's only case; the case id is "<bug>:<variant>" otherwise
    setup: str = ""
    needs: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    # optional parts of the tiny checkpoint it needs: "detokenizer", "mimi", "steer" (weights that generate the
    # builder's script: text, <|text_end|>, <|audio_start|>, audio frames, end of audio, <|im_end|>)
    checkpoint: tuple[str, ...] = ()
    # libraries besides liquid-audio its code imports: a worker that runs several cases imports them once, before
    # it forks them (gradio takes seconds), so each case pays only for its own work
    imports: tuple[str, ...] = ()
    expected_text: str = ""  # what a user should see instead, where it differs from ``Bug.expected`` (filled from it)
    # The same steps through the call-site helpers (None: as above).
    callsite_setup: str | None = None
    callsite_trigger: str | None = None
    bug: str = ""  # filled in by the bug that owns the case

    @property
    def id(self) -> str:
        return self.bug if self.variant is None else f"{self.bug}:{self.variant}"


# The real demo/chat.py (its Blocks app, chat_response and generation thread, as shipped), imported with the three
# objects demo/model.py loads from the hub at import (on CUDA) replaced by processor, model and mimi on the CPU.
# fastrtc's ReplyOnPause downloads a voice-activity model when the app is built: nothing streams through it here.
DEMO = """\
import sys
import types

import fastrtc.reply_on_pause

# demo/model.py loads these three from the hub at import (on CUDA); the same objects, on the CPU
demo_model = types.ModuleType("liquid_audio.demo.model")
demo_model.proc, demo_model.lfm2_audio, demo_model.mimi = processor.eval(), model.eval(), mimi.eval()
sys.modules["liquid_audio.demo.model"] = demo_model
fastrtc.reply_on_pause.get_silero_model = lambda: None  # a voice-activity model download, unused here
from liquid_audio.demo import chat as demo"""

# Resources a case can ask for in ``needs``: built once by the worker, in this order and each after those before it,
# spelled out in reproducers.
RESOURCES = {
    "processor": 'processor = LFM2AudioProcessor.from_pretrained(MODEL, device="cpu")',
    "model": 'model = LFM2AudioModel.from_pretrained(MODEL, device="cpu", dtype=torch.float32)',
    "mimi": "mimi = processor.mimi  # the audio codec, loaded on first use (after the processor)",
    "demo": DEMO,
}
CALLSITE_RESOURCES = {
    "processor": 'processor = load_processor(MODEL, device="cpu")',
    "model": 'model = load_model(MODEL, device="cpu", dtype=torch.float32)',
    "mimi": "mimi = processor.mimi  # the audio codec, loaded on first use (after the processor)",
    "demo": DEMO,
}


@dataclass(frozen=True)
class Simulation:
    """A ``--simulate`` switch: it makes its condition hold on a machine where it does not."""

    name: str
    help: str
    env: tuple[tuple[str, str], ...] = ()  # variables set for the worker
    stub: str | None = None  # a module made importable (an empty package) for the cases that require the condition
    # Python source run in the process of each case that requires the condition, just before the case (it fakes
    # what the condition measures, where no variable or stub can)
    code: str | None = None

    @property
    def per_case(self) -> bool:
        """It touches only the cases that require its condition (a stub or code), not the whole worker (env)."""
        return bool(self.stub or self.code)


@dataclass(frozen=True)
class Condition:
    """A machine condition a case can ask for in ``requires``: everything about it, in one place.

    ``holds`` is a Python expression the repro worker evaluates in the target interpreter to measure it
    (names: ``torch``, ``importlib``, ``LFM2AudioProcessor``, and ``version_below(distribution, "X.Y")``).
    ``probe`` is the line a reproducer prints so its reader can tell, ``simulate`` how ``--simulate`` fakes it.
    """

    name: str
    holds: str
    unmet: str  # the sentence shown where it does not hold
    skip: bool  # True: the case cannot run here (skipped); False: the bug cannot show here (not reproduced)
    shows_where: str = ""  # completes "it shows only where ...", in reproducers and reports
    probe: str = ""  # a reproducer line that prints whether the condition holds on the reader's machine
    simulate: Simulation | None = None
    # Measured honestly only in a fresh interpreter once a library has initialised CUDA before the fork.
    fresh_process: bool = False


_FLASH_ATTN = "flash_attn"
CONDITIONS = {
    condition.name: condition
    for condition in (
        Condition(
            "cuda_unusable",
            holds="not torch.cuda.is_available()",
            unmet="CUDA is available here, so the call works; run with --simulate no-cuda to see what CPU and Mac users get",
            skip=False,
            shows_where="CUDA cannot be used (CPU-only or macOS torch, no driver, no visible GPU)",
            probe='print("CUDA available:", torch.cuda.is_available())  # the call fails where this is False',
            simulate=Simulation(
                "no-cuda",
                "hide every GPU (CUDA_VISIBLE_DEVICES='') to show what CPU and Mac users see",
                env=(("CUDA_VISIBLE_DEVICES", ""), ("PYTORCH_ENABLE_MPS_FALLBACK", "0")),
            ),
            fresh_process=True,
        ),
        Condition(
            "mps",
            holds="bool(getattr(torch.backends, 'mps', None) and torch.backends.mps.is_available())",
            unmet="needs an Apple Silicon Mac with MPS; this machine has none",
            skip=True,
            shows_where="MPS is available (Apple Silicon)",
            probe='print("MPS available:", torch.backends.mps.is_available())  # the bug needs MPS',
        ),
        Condition(
            "safetensors_rejects_mps",
            holds='version_below("safetensors", "0.8")',
            unmet='this safetensors accepts "mps:0" (0.8 and later do), so the call works',
            skip=False,
            shows_where="safetensors is older than 0.8",
            probe='print("safetensors", safetensors.__version__)  # before 0.8 it rejects "mps:0"',
        ),
        Condition(
            _FLASH_ATTN,
            holds=f"importlib.util.find_spec({_FLASH_ATTN!r}) is not None",
            unmet="needs flash_attn importable; it is not installed here "
            "(--simulate flash-attn puts an importable but unusable stub on the path)",
            skip=True,
            shows_where="flash_attn is installed",
            probe='print("flash_attn installed:", importlib.util.find_spec("flash_attn") is not None)  # the bug needs it',
            simulate=Simulation(
                _FLASH_ATTN.replace("_", "-"), "put an importable but unusable flash_attn stub on the path", stub=_FLASH_ATTN
            ),
        ),
        Condition(
            "deprecates_past_key_values",
            holds='not version_below("transformers", "5.24")',
            unmet="this transformers (before 5.24) does not deprecate `past_key_values`, so nothing here warns; the "
            "liquid-audio code still passes it (lfmdoctor check shows where), and transformers announces its removal for 5.40",
            skip=False,
            shows_where="transformers is 5.24 or later (it deprecates `past_key_values`)",
            probe='print("transformers", transformers.__version__)  # 5.24 and later deprecate past_key_values',
        ),
        Condition(
            "cuda_available",
            holds="torch.cuda.is_available()",
            unmet="CUDA is not available here, so the check that raises is skipped and the call works; "
            "run with --simulate cuda to see what CUDA users get",
            skip=False,
            shows_where="CUDA is available (torch.cuda.is_available() is True), whatever device the call runs on",
            probe='print("CUDA available:", torch.cuda.is_available())  # the call fails only where this is True',
            simulate=Simulation(
                "cuda",
                "make torch.cuda.is_available() answer True (and is_current_stream_capturing() False) in the cases "
                "that need CUDA available; nothing runs on a GPU",
                code="torch.cuda.is_available = lambda: True\ntorch.cuda.is_current_stream_capturing = lambda: False\n",
            ),
        ),
        Condition(
            "decode",
            holds="hasattr(LFM2AudioProcessor, 'decode')",
            unmet="this liquid-audio release has no LFM2AudioProcessor.decode (added in 1.1.0), so it cannot have the bug",
            skip=False,
            shows_where="liquid-audio is 1.1.0 or later (LFM2AudioProcessor.decode)",
        ),
        Condition(
            "demo_extra",
            holds="all(importlib.util.find_spec(name) is not None for name in ('gradio', 'fastrtc'))",
            unmet="needs the demo extra (pip install 'liquid-audio[demo]': gradio and fastrtc); it is not installed here",
            skip=True,
            shows_where="the demo extra (gradio, fastrtc) is installed",
            probe='print("demo extra installed:", all(importlib.util.find_spec(n) for n in ("gradio", "fastrtc")))',
        ),
    )
}
# ``--simulate`` switch -> the condition it makes hold
SIMULATIONS: dict[str, Condition] = {c.simulate.name: c for c in CONDITIONS.values() if c.simulate}


@dataclass(frozen=True)
class Wrap:
    """One runtime replacement: ``module.owner.attr`` (``owner`` None: a module-level function).

    ``check(function, module)`` returns None when the target has the bug in the shape this fix knows,
    and raises ``NotNeeded`` or ``Unfamiliar`` otherwise. ``wrap(function, module)`` returns the
    replacement function. Several bugs may wrap the same target: the runtime engine composes them in
    registry order and installs the result once. ``lazy``: the module may be imported later (and is not
    imported to fix it: the fine-tuning modules pull in accelerate and datasets); the fix goes in when it is,
    if an eager wrap of the same bug went in, or if all of the bug's wraps are lazy (its report then comes
    from the module's source, read, not imported).
    """

    module: str
    owner: str | None
    attr: str
    check: Callable[[Any, Any], None]
    wrap: Callable[[Any, Any], Any]
    lazy: bool = False


class NotNeeded(Exception):
    """The runtime target is already fixed or lacks the feature; the message says which (one line)."""


class Unfamiliar(Exception):
    """The runtime target looks like neither the buggy nor the fixed code (one line); it is left alone."""


@dataclass(frozen=True)
class Callsite:
    """A bug's call-site workaround, as hooks the call-site helpers (``load_processor``, ``load_model``) run.

    ``helpers``: public functions this bug contributes to ``lfmdoctor.patches``. Every hook is optional:
    ``source(repo_or_path)`` rewrites what ``from_pretrained`` receives; ``processor_device(device)`` /
    ``model_device(device)`` choose the device to pass; ``load_processor(load, source, device, kw)``
    replaces the plain ``load(source, device=device, **kw)``; ``processor_loaded(processor)`` and
    ``model_loaded(model)`` finish a loaded object (and return it); ``model_guard(device, dtype)`` is a
    context manager around the model load.
    """

    helpers: tuple[Callable[..., Any], ...] = ()
    source: Callable[[Any], Any] | None = None
    processor_device: Callable[[Any], str] | None = None
    model_device: Callable[[Any], str] | None = None
    load_processor: Callable[..., Any] | None = None
    processor_loaded: Callable[[Any], Any] | None = None
    model_guard: Callable[[Any, Any], Any] | None = None
    model_loaded: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Edit:
    """An exact-text replacement in a release's file (``path`` inside the package): ``old`` occurs ``count`` times."""

    path: str
    old: str
    new: str
    releases: tuple[str, ...] = RELEASES
    count: int = 1
    # Adds something other bugs' edits use (a helper): a bug whose ``after`` names this edit's bug carries it
    # in its standalone diff, so that diff applies and works alone on the release.
    shared: bool = False

    def applies(self, release: str) -> bool:
        return release in self.releases


@dataclass(frozen=True)
class Verdict:
    """A detector's answer: the offending node when present, the node showing the fix when absent."""

    present: bool
    node: Any
    detail: str


class CannotTell(Exception):
    """The code is not shaped the way a detector expects; the message says how, as a sentence."""


@dataclass(frozen=True)
class Bug:
    """Everything about one known bug. The module that defines it is its only home."""

    id: str
    # Where the bug stands in every list lfmdoctor writes (check, repro, the report, the patch series): lower
    # first, ties by id. Leave gaps (10, 20, ...) so a new bug slots in without renumbering; a bug comes after
    # those in its ``after``.
    order: int
    title: str
    module: str  # file inside the installed ``liquid_audio`` package
    trigger: str
    symptom: str
    root_cause: str
    expected: str  # what should happen instead
    workaround: str  # what a user can do at the call site today (prose with code)
    fix: str  # what the upstream fix does
    changes: str  # for the pull request: exactly which behaviour changes, CUDA included
    detect: Callable[[Any], Verdict]  # receives the parsed ``module`` (a ``_ast.Source``)
    cases: tuple[Case, ...]
    runtime: tuple[Wrap, ...]
    edits: tuple[Edit, ...]
    regression_test: str  # pytest source for upstream's repo (tiny checkpoint, no weights, no GPU)
    callsite: Callsite = Callsite()
    subject: str = ""  # the fix as a commit subject (imperative, short), where ``fix`` reads badly as one
    threads: tuple[Thread, ...] = ()
    position: str = ""  # the maintainers' stated position, where they gave one
    differs: str = ""  # how this proposal differs from what they declined (where ``position`` is set)
    issue_title: str = ""  # upstream's issue title where ``title`` reads badly there (a lead's covers its group)
    affects: str = ""  # which usage still meets the bug, where upstream's own examples avoid it
    default_change: bool = False  # the fix changes a default, which the maintainers declined before: propose it last
    # Bugs whose fix this one's fix builds on (it uses what theirs adds, or touches the same lines): upstream
    # gets them as one commit, one issue and one pull request, led by the first.
    after: tuple[str, ...] = ()
    severity: str = "crash"  # one of SEVERITIES: what a user gets
    # It fails even when the caller passes every argument explicitly and right (no default is to blame).
    explicit: bool = False
    # Files or folders (inside the package) that came with the code this bug lives in: where none of them exists, the
    # release predates that code, and the bug reads as absent instead of "cannot tell" (a copy missing only some of
    # them is damaged, and still cannot be told).
    absent_without: tuple[str, ...] = ()
    # Given the environment facts ``check`` collected, does the bug bite here? (None: cannot tell)
    bites_here: Callable[[Any], bool | None] = lambda env: True
    warns: tuple[str, ...] = ()  # regular expressions of the deprecation warnings that are this bug
    # forms of its error that ``lfmdoctor triage`` knows beyond what its cases raise (see ``_signature``)
    signatures: tuple[Signature, ...] = ()
    # What a user runs to meet it: "" for the library itself, or a program liquid-audio ships ("demo": the Gradio
    # demo, `liquid-audio-demo`). ``check`` groups a surface's bugs to say whether that program will work here.
    surface: str = ""
    # Why the bug has no call-site workaround (and no runtime fix, where ``runtime`` is empty), where it cannot have
    # one: code that runs at import, or a program that calls liquid-audio itself (the demo). Its source edit fixes it.
    source_only: str = ""

    def __post_init__(self) -> None:
        cases = tuple(replace(case, bug=self.id, expected_text=case.expected_text or self.expected) for case in self.cases)
        object.__setattr__(self, "cases", cases)

    @property
    def strategies(self) -> tuple[str, ...]:
        """The kinds of fix this bug has: one with ``source_only`` set has no call-site workaround, and a runtime
        fix only where it declares one."""
        if not self.source_only:
            return ("callsite", "runtime", "source")
        return ("runtime", "source") if self.runtime else ("source",)

    @property
    def upstream_path(self) -> str:
        return f"src/liquid_audio/{self.module}"

    @property
    def upstream_refs(self) -> tuple[str, ...]:
        return tuple(thread.ref for thread in self.threads)


def without_cuda(env: Any) -> bool | None:
    """``bites_here`` for bugs that show only where CUDA cannot be used."""
    available = env.torch.cuda_available
    return None if available is None else not available


def release_range(first: str | None = None, before: str | None = None) -> tuple[str, ...]:
    """The releases from ``first`` (inclusive) up to ``before`` (exclusive)."""
    start = RELEASES.index(first) if first else 0
    stop = RELEASES.index(before) if before else len(RELEASES)
    return RELEASES[start:stop]


__all__ = [
    "CALLSITE_RESOURCES",
    "CONDITIONS",
    "RELEASES",
    "RESOURCES",
    "SEVERITIES",
    "SIMULATIONS",
    "Bug",
    "Callsite",
    "CannotTell",
    "Case",
    "Condition",
    "Edit",
    "Expect",
    "NotNeeded",
    "Signature",
    "Simulation",
    "Thread",
    "Unfamiliar",
    "Verdict",
    "Wrap",
    "release_range",
    "without_cuda",
]
