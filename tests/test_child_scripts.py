"""Scripts that run inside the interpreter under study (``*_child.py``) import only the standard library
and what they study, and report through the one protocol, ``lfmdoctor/child_protocol.py``."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lfmdoctor import child_protocol

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = ("lfmdoctor", "bugs", "diagnose", "repro", "patches", "report", "bench", "matrix")
# What a child may study besides the standard library: the stack under diagnosis and the baselines' ASR
# libraries (huggingface_hub only to find a model already in its cache).
STUDIED = {
    "torch",
    "torchaudio",
    "liquid_audio",
    "transformers",
    "numpy",
    "soundfile",
    "jiwer",
    "safetensors",
    "whisper",
    "faster_whisper",
    "huggingface_hub",
    "accelerate",  # liquid-audio's from_pretrained builds the model under it; the full-size builder does too
}
ALLOWED = set(sys.stdlib_module_names) | STUDIED
PROTOCOL = ROOT / "lfmdoctor" / "child_protocol.py"
CHILDREN = sorted(path for folder in PACKAGE_FOLDERS for path in (ROOT / folder).rglob("*_child.py"))


def imported(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, at module level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}:{node.lineno}: relative import (a child runs as a script)"
            names.add(str(node.module).split(".")[0])
    return names


def test_the_child_scripts_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in CHILDREN}
    assert {"diagnose/probe_child.py", "matrix/import_check_child.py", "bench/asr_child.py"} <= names


@pytest.mark.parametrize("path", CHILDREN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_child_imports_only_the_standard_library_and_what_it_studies(path):
    assert not imported(path) - ALLOWED, f"{path.name} imports {sorted(imported(path) - ALLOWED)}"


@pytest.mark.parametrize("path", CHILDREN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_a_child_reports_through_the_shared_protocol(path):
    text = path.read_text()
    assert '"child_protocol.py"' in text and "protocol.emit" in text
    assert not re.search(r"sys\.stdout\.write|\bprint\(", text), f"{path.name} writes records of its own"


def test_the_protocol_is_standard_library_only():
    assert imported(PROTOCOL) <= set(sys.stdlib_module_names)


def test_records_round_trip_and_other_output_is_skipped(capsys):
    child_protocol.emit("torch", version="2.11.0", devices=["cpu"])
    out = "a library's print\n{not json\n" + json.dumps({"stage": "old"}) + "\n" + capsys.readouterr().out
    assert child_protocol.records(out) == [{child_protocol.KEY: "torch", "version": "2.11.0", "devices": ["cpu"]}]
    assert child_protocol.records(out, "torchaudio") == []
    assert child_protocol.parse_line("[1, 2]") is None


def test_a_child_finds_the_protocol_in_the_source_tree_without_lfmdoctor(tmp_path):
    """Run by path in an interpreter that cannot import lfmdoctor (-I: no PYTHONPATH, no user site)."""
    script = ROOT / "matrix" / "import_check_child.py"
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(script), "--target"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr
    [record] = child_protocol.records(done.stdout, "target")
    assert record["python"] == ".".join(map(str, sys.version_info[:3]))


def test_an_exception_is_one_line():
    assert child_protocol.error_line(ImportError("cannot import name 'X'\n  more")) == "ImportError: cannot import name 'X'"
    assert child_protocol.error_line(KeyboardInterrupt()) == "KeyboardInterrupt"
