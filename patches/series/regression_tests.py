"""The regression tests the series adds under ``tests/``: one file per bug, a ``conftest.py`` whose
``tiny_checkpoint`` fixture builds a tiny random checkpoint, and that builder (lfmdoctor's, in upstream's layout)."""

from __future__ import annotations

import ast
import re

from lfmdoctor.bugs._spec import Bug

TESTS = "tests/"
CONFTEST = "tests/conftest.py"
BUILDER = "tests/tiny_checkpoint.py"
RUN_TESTS = "uv run --frozen --with pytest pytest tests"

CONFTEST_TEXT = '''\
"""Shared fixtures: a tiny, randomly initialised checkpoint with the real file layout (no download, no GPU)."""

import importlib.util
from pathlib import Path

import pytest


def _builder():
    spec = importlib.util.spec_from_file_location("tiny_checkpoint", Path(__file__).with_name("tiny_checkpoint.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A checkpoint folder that LFM2AudioProcessor and LFM2AudioModel.from_pretrained load, with random weights."""
    has_detokenizer = importlib.util.find_spec("liquid_audio.detokenizer") is not None
    return _builder().build(tmp_path_factory.mktemp("tiny-checkpoint"), detokenizer=has_detokenizer)


@pytest.fixture(scope="session")
def steered_checkpoint(tmp_path_factory):
    """Like tiny_checkpoint, with weights that make generation follow a fixed script whatever the prompt: text,
    <|text_end|>, <|audio_start|>, a few audio frames, the end-of-audio frame, then <|im_end|>."""
    return _builder().build(tmp_path_factory.mktemp("steered-checkpoint"), steered=True)
'''

_IMPORT = re.compile(r"^([ \t]*)(?:import|from)[ \t]+[\w.]+")
_FIRST_PARTY = re.compile(r"^[ \t]*(?:import|from)[ \t]+liquid_audio\b")


def first_party_last(text: str) -> str:
    """Imports laid out as upstream's ruff (isort) wants them: ``liquid_audio`` is first-party there, so its
    imports go last in each block of one-line imports, after a blank line."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _IMPORT.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent, block = match.group(1), []
        while i < len(lines):
            this = _IMPORT.match(lines[i])
            nxt = _IMPORT.match(lines[i + 1]) if i + 1 < len(lines) else None
            if this and this.group(1) == indent and not lines[i].rstrip().endswith(("(", "\\")):
                block.append(lines[i])
            elif not lines[i].strip() and nxt and nxt.group(1) == indent:
                block.append(lines[i])
            else:
                break
            i += 1
        first = [line for line in block if _FIRST_PARTY.match(line)]
        rest = [line for line in block if not _FIRST_PARTY.match(line)]
        while rest and not rest[-1].strip():
            rest.pop()
        out += rest + (["\n"] if rest and first else []) + first
    return "".join(out)


def builder_source(text: str) -> str:
    """The tiny-checkpoint builder as the tests ship it: upstream's import layout, and a docstring about its use there."""
    tree = ast.parse(text)
    doc = ast.get_docstring(tree, clean=False)
    if doc is not None and f'"""{doc}"""' in text:
        paragraphs = [p for p in doc.split("\n\n") if "lfmdoctor" not in p.lower()]
        paragraphs.insert(
            1,
            "Random weights, no download, no GPU: tests/conftest.py calls build() for the tiny_checkpoint\nfixture.",
        )
        new = "\n\n".join(paragraphs).replace("fixture_builder.py", "tests/tiny_checkpoint.py")
        text = text.replace(f'"""{doc}"""', f'"""{new}"""', 1)
    return first_party_last(text)


def test_path(bug: Bug) -> str:
    return f"{TESTS}test_{bug.id.replace('-', '_')}.py"


def builder_text() -> str:
    """The source of lfmdoctor's tiny-checkpoint builder (``builder_source`` makes the shipped copy)."""
    from lfmdoctor.repro.fixture import BUILDER as BUILDER_FILE

    return BUILDER_FILE.read_text()
