"""Source checks against every released liquid-audio wheel and against copies edited to fix or move bugs."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from lfmdoctor.bugs._spec import RELEASES

LATEST = RELEASES[-1]

from lfmdoctor.catalog import BUG_IDS, get_bug
from lfmdoctor.diagnose import detectors
from lfmdoctor.diagnose.detectors import detect_all
from lfmdoctor.results import BugFinding

WITHOUT_DETOKENIZER = {"0.0.0a1", "1.0.0"}
CASTING_CONFORMER_INPUT = {"1.2.0", "1.3.0"}
PROCESSOR = "processor.py"
MODEL = "model/lfm2_audio.py"
UTILS = "utils.py"

# What the evidence line must contain, by (bug id, present); None: no evidence line at all.
EVIDENCE_TEXT: dict[tuple[str, bool], str | None] = {
    ("processor-device", True): '"cuda"',
    ("model-device", True): '"cuda"',
    ("audio-format", True): "assert len(wave.shape) == 2",
    ("detokenizer-device", True): ".eval().cuda()",
    ("detokenizer-device", False): None,
    ("mimi-device", True): "load_file(self.mimi_weights_path, device=str(self.device))",
    ("local-path", True): "isinstance(repo_id, str)",
    ("dtype-mismatch", True): "self.conformer(padded_audio_in.mT, audio_in_lens)",
    ("dtype-mismatch", False): ".to(text_emb.dtype)",
    ("train-mode", True): "return model",
    ("flash-attn", True): 'module_exists("flash_attn")',
    ("eoa-code", True): 'raise RuntimeError("expected audio codes in range ")',
    ("eoa-code", False): None,
}


def expected_present(release: str, bug_id: str) -> bool:
    if bug_id in {"detokenizer-device", "eoa-code"}:
        return release not in WITHOUT_DETOKENIZER
    if bug_id == "dtype-mismatch":
        return release not in CASTING_CONFORMER_INPUT
    return True


def by_id(findings: list[BugFinding]) -> dict[str, BugFinding]:
    return {finding.id: finding for finding in findings}


def evidence_line(finding: BugFinding, package: Path) -> str:
    """The source line the evidence names, after checking it is an absolute path into the bug's module."""
    assert finding.evidence is not None
    path, line = finding.evidence.rsplit(":", 1)
    assert Path(path).is_absolute()
    assert Path(path) == (package / get_bug(finding.id).module).resolve()
    return Path(path).read_text().splitlines()[int(line) - 1]


def edit(package: Path, module: str, old: str, new: str) -> None:
    path = package / module
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is no longer in {module} exactly once"
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("bug_id", BUG_IDS)
@pytest.mark.parametrize("release", RELEASES)
def test_release_finding(release_findings, release_package, release: str, bug_id: str) -> None:
    finding = release_findings(release)[bug_id]
    present = expected_present(release, bug_id)

    assert finding.present is present, finding.detail
    expected_text = EVIDENCE_TEXT[(bug_id, present)]
    if expected_text is None:
        assert finding.evidence is None
    else:
        assert expected_text in evidence_line(finding, release_package(release))
    assert finding.detail.endswith(".")


@pytest.mark.parametrize("release", RELEASES)
def test_findings_follow_the_catalog(release_package, release: str) -> None:
    findings = detect_all(release_package(release))

    assert [finding.id for finding in findings] == list(BUG_IDS)
    assert [finding.title for finding in findings] == [get_bug(bug_id).title for bug_id in BUG_IDS]
    assert all(finding.affects_here is None for finding in findings)


def test_releases_without_the_code_say_so(release_findings) -> None:
    findings = release_findings("0.0.0a1")

    assert "no audio_detokenizer" in findings["detokenizer-device"].detail
    assert "no LFM2AudioProcessor.decode" in findings["eoa-code"].detail


@dataclass(frozen=True)
class SourceEdit:
    bug_id: str
    module: str
    old: str
    new: str
    evidence_text: str | None  # what the evidence line must contain afterwards

    def apply(self, package: Path) -> None:
        edit(package, self.module, self.old, self.new)


CUDA_DEFAULT = 'device: torch.device | str = "cuda",'
SHAPE_ASSERTS = "assert len(wave.shape) == 2\n        assert wave.shape[0] == 1\n"
EOA_CHECK = (
    "        if torch.any(audio_codes >= 2048) or torch.any(audio_codes < 0):\n"
    '            raise RuntimeError("expected audio codes in range ")\n'
)
FLASH_CHOICE = (
    '        if module_exists("flash_attn"):\n'
    '            model.lfm.set_attn_implementation("flash_attention_2")\n'
    "        else:\n"
    '            model.lfm.set_attn_implementation("sdpa")\n'
)

FIXED_COPIES = {
    "processor-device-none": SourceEdit(
        "processor-device", PROCESSOR, CUDA_DEFAULT, "device: torch.device | str | None = None,", "None"
    ),
    "processor-device-helper": SourceEdit(
        "processor-device",
        PROCESSOR,
        CUDA_DEFAULT,
        "device: torch.device | str = default_device(),",
        "default",
    ),
    "model-device-none": SourceEdit("model-device", MODEL, CUDA_DEFAULT, "device: torch.device | str | None = None,", "None"),
    "model-device-required": SourceEdit(
        "model-device", MODEL, CUDA_DEFAULT, "device: torch.device | str,", "device: torch.device | str,"
    ),
    "audio-format-as-tensor": SourceEdit(
        "audio-format",
        PROCESSOR,
        SHAPE_ASSERTS,
        "wave = torch.as_tensor(wave, dtype=torch.float32).reshape(1, -1)\n",
        "torch.as_tensor",
    ),
    "audio-format-helper": SourceEdit(
        "audio-format", PROCESSOR, SHAPE_ASSERTS, "wave = _as_mono_float(wave)\n", "_as_mono_float"
    ),
    "audio-format-explained-asserts": SourceEdit(
        "audio-format",
        PROCESSOR,
        SHAPE_ASSERTS,
        "wave = torch.as_tensor(wave)\n        assert wave.ndim == 2, f'expected (1, n), got {wave.shape}'\n",
        "torch.as_tensor",
    ),
    "detokenizer-device": SourceEdit(
        "detokenizer-device", PROCESSOR, ".eval().cuda()", ".eval().to(self.device)", ".to(self.device)"
    ),
    "mimi-device": SourceEdit("mimi-device", PROCESSOR, "device=str(self.device))", 'device="cpu")', 'device="cpu"'),
    "mimi-device-default": SourceEdit(
        "mimi-device", PROCESSOR, ", device=str(self.device))", ")", "load_file(self.mimi_weights_path)"
    ),
    "local-path": SourceEdit(
        "local-path",
        UTILS,
        "    if isinstance(repo_id, str):\n",
        "    if isinstance(repo_id, str) and Path(repo_id).is_dir():\n"
        "        repo_id = Path(repo_id)\n"
        "    if isinstance(repo_id, str):\n",
        ".is_dir()",
    ),
    "train-mode": SourceEdit("train-mode", MODEL, "        return model\n", "        return model.eval()\n", ".eval()"),
    "flash-attn": SourceEdit(
        "flash-attn",
        MODEL,
        'if module_exists("flash_attn"):',
        'if module_exists("flash_attn") and device.type == "cuda" and dtype != torch.float32:',
        "device.type",
    ),
    "flash-attn-flag": SourceEdit(
        "flash-attn",
        MODEL,
        'if module_exists("flash_attn"):',
        'use_flash = module_exists("flash_attn") and device.type == "cuda"\n        if use_flash:',
        "if use_flash:",
    ),
    "flash-attn-caller-chooses": SourceEdit(
        "flash-attn",
        MODEL,
        FLASH_CHOICE,
        '        if attn_implementation == "flash_attention_2" and device.type != "cuda":\n'
        '            attn_implementation = "sdpa"\n'
        "        model.lfm.set_attn_implementation(attn_implementation)\n",
        None,
    ),
    "eoa-code-drop-first": SourceEdit(
        "eoa-code",
        PROCESSOR,
        EOA_CHECK,
        "        audio_codes = audio_codes[..., (audio_codes != 2048).all(dim=1)[0]]\n"
        + EOA_CHECK.replace("range ", "range [0, 2047]"),
        "!= 2048",
    ),
    "eoa-code-no-raise": SourceEdit("eoa-code", PROCESSOR, EOA_CHECK, "", None),
}

STILL_BUGGY_COPIES = {
    "processor-device-indexed": SourceEdit(
        "processor-device", PROCESSOR, CUDA_DEFAULT, 'device: torch.device | str = "cuda:0",', '"cuda:0"'
    ),
    "model-device-torch-device": SourceEdit(
        "model-device",
        MODEL,
        CUDA_DEFAULT,
        'device: torch.device | str = torch.device("cuda"),',
        "torch.device",
    ),
    "model-device-wrapped": SourceEdit(
        "model-device",
        MODEL,
        CUDA_DEFAULT,
        'device: torch.device | str = (\n            "cuda"\n        ),',
        '"cuda"',
    ),
    "audio-format-no-asserts": SourceEdit("audio-format", PROCESSOR, SHAPE_ASSERTS, "", "wave.to(device=device)"),
    "detokenizer-device-split": SourceEdit(
        "detokenizer-device",
        PROCESSOR,
        ".eval().cuda()",
        ".eval()\n            detok = detok.cuda()",
        "detok.cuda()",
    ),
    "flash-attn-find-spec": SourceEdit(
        "flash-attn",
        MODEL,
        'if module_exists("flash_attn"):',
        'if importlib.util.find_spec("flash_attn") is not None:',
        "find_spec",
    ),
    "dtype-mismatch-uncast": SourceEdit(
        "dtype-mismatch", MODEL, ".mT.to(text_emb.dtype)", ".mT", "self.conformer(padded_audio_in.mT,"
    ),
    "eoa-code-wrapped-message": SourceEdit(
        "eoa-code",
        PROCESSOR,
        'raise RuntimeError("expected audio codes in range ")',
        'raise RuntimeError(\n                "expected audio codes in range "\n            )',
        "raise RuntimeError(",
    ),
}


def assert_only_changed(findings: dict[str, BugFinding], baseline: dict[str, BugFinding], bug_id: str) -> None:
    for other in BUG_IDS:
        if other != bug_id:
            assert findings[other].present is baseline[other].present, other


@pytest.mark.parametrize("case", FIXED_COPIES.values(), ids=FIXED_COPIES.keys())
def test_fixed_copy_reads_absent(latest_copy: Path, release_findings, case: SourceEdit) -> None:
    case.apply(latest_copy)

    findings = by_id(detect_all(latest_copy))

    finding = findings[case.bug_id]
    assert finding.present is False, finding.detail
    if case.evidence_text is None:
        assert finding.evidence is None
    else:
        assert case.evidence_text in evidence_line(finding, latest_copy)
    assert_only_changed(findings, release_findings(LATEST), case.bug_id)


@pytest.mark.parametrize("case", STILL_BUGGY_COPIES.values(), ids=STILL_BUGGY_COPIES.keys())
def test_reworded_bug_still_reads_present(latest_copy: Path, release_findings, case: SourceEdit) -> None:
    case.apply(latest_copy)

    findings = by_id(detect_all(latest_copy))

    finding = findings[case.bug_id]
    assert finding.present is True, finding.detail
    assert case.evidence_text in evidence_line(finding, latest_copy)
    assert_only_changed(findings, release_findings(LATEST), case.bug_id)


def test_evidence_follows_moved_lines(latest_copy: Path, release_findings) -> None:
    shift = 7
    for module in (PROCESSOR, MODEL, UTILS):
        path = latest_copy / module
        path.write_text("# moved\n" * shift + path.read_text())

    findings = by_id(detect_all(latest_copy))

    for bug_id, before in release_findings(LATEST).items():
        after = findings[bug_id]
        assert after.present is before.present
        if before.evidence is not None:
            assert int(after.evidence.rsplit(":", 1)[1]) == int(before.evidence.rsplit(":", 1)[1]) + shift


def test_missing_file_is_unknown_for_its_bugs_only(latest_copy: Path, release_findings) -> None:
    (latest_copy / UTILS).unlink()

    findings = by_id(detect_all(latest_copy))

    assert findings["local-path"].present is None
    assert findings["local-path"].evidence is None
    assert "does not exist" in findings["local-path"].detail
    assert_only_changed(findings, release_findings(LATEST), "local-path")


def test_syntax_error_is_unknown_without_raising(latest_copy: Path, release_findings) -> None:
    with (latest_copy / PROCESSOR).open("a") as source:
        source.write("\ndef broken(:\n")

    findings = by_id(detect_all(latest_copy))

    processor_bugs = [bug_id for bug_id in BUG_IDS if get_bug(bug_id).module == PROCESSOR]
    for bug_id in processor_bugs:
        assert findings[bug_id].present is None
        assert "does not parse" in findings[bug_id].detail
    for bug_id in set(BUG_IDS) - set(processor_bugs):
        assert findings[bug_id].present is release_findings(LATEST)[bug_id].present


def test_missing_function_is_unknown(latest_copy: Path) -> None:
    edit(latest_copy, UTILS, "def get_model_dir(", "def find_model_dir(")

    finding = by_id(detect_all(latest_copy))["local-path"]

    assert finding.present is None
    assert "get_model_dir" in finding.detail


def test_missing_class_is_unknown(latest_copy: Path) -> None:
    path = latest_copy / MODEL
    path.write_text(path.read_text().replace("class LFM2AudioModel(", "class AudioModel("))

    findings = by_id(detect_all(latest_copy))

    model_bugs = [bug_id for bug_id in BUG_IDS if get_bug(bug_id).module == MODEL]
    assert all(findings[bug_id].present is None for bug_id in model_bugs)
    assert all("LFM2AudioModel" in findings[bug_id].detail for bug_id in model_bugs)


def odd_package_dirs(tmp_path: Path) -> dict[str, object]:
    a_file = tmp_path / "a_file.py"
    a_file.write_text("x = 1\n")
    nul_bytes = tmp_path / "nul" / "liquid_audio"
    (nul_bytes / "model").mkdir(parents=True)
    for module in (PROCESSOR, MODEL, UTILS):
        (nul_bytes / module).write_bytes(b"x = 1\x00\xff\xfe\n")
    empty_files = tmp_path / "empty" / "liquid_audio"
    (empty_files / "model").mkdir(parents=True)
    for module in (PROCESSOR, MODEL, UTILS):
        (empty_files / module).write_text("")
    folders = tmp_path / "folders" / "liquid_audio"
    for module in (PROCESSOR, MODEL, UTILS):
        (folders / module).mkdir(parents=True)
    return {
        "missing": tmp_path / "nowhere",
        "str": str(tmp_path / "nowhere"),
        "file": a_file,
        "nul-bytes": nul_bytes,
        "empty-files": empty_files,
        "folders-named-like-files": folders,
        "none": None,
    }


@pytest.mark.parametrize("kind", ["missing", "str", "file", "nul-bytes", "empty-files", "folders-named-like-files", "none"])
def test_odd_input_gives_unknown_without_raising(tmp_path: Path, kind: str) -> None:
    findings = detect_all(odd_package_dirs(tmp_path)[kind])  # type: ignore[arg-type]

    assert [finding.id for finding in findings] == list(BUG_IDS)
    for finding in findings:
        assert finding.present is None
        assert finding.evidence is None
        assert finding.detail


def test_unexpected_detector_error_is_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / MODEL).write_text("class LFM2AudioModel:\n    pass\n")

    def broken(source: object) -> object:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(detectors._DETECTORS, "train-mode", broken)

    finding = by_id(detect_all(tmp_path))["train-mode"]

    assert finding.present is None
    assert "ZeroDivisionError: boom" in finding.detail


def test_every_catalog_bug_has_a_detector() -> None:
    assert set(detectors._DETECTORS) == set(BUG_IDS)


def test_type_parameters_are_removed_in_place_for_older_parsers() -> None:
    source = (
        "def first[T: (int, str)](x: T) -> T:\n"
        "    return x\n"
        "class Box[\n"
        "    T,\n"
        "    U: list[int],\n"
        "](Base):\n"
        "    type Inner[T] = list[T]\n"
        "def after():\n"
        "    pass\n"
    )

    tree = ast.parse(detectors._without_type_params(source), feature_version=(3, 10))

    functions = {node.name: node.lineno for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert functions == {"first": 1, "after": 8}


def test_released_utils_parse_for_older_pythons(release_package) -> None:
    text = (release_package(LATEST) / UTILS).read_text()
    with pytest.raises(SyntaxError):
        ast.parse(text, feature_version=(3, 10))

    tree = ast.parse(detectors._without_type_params(text), feature_version=(3, 10))

    lines = {node.name: node.lineno for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert lines["get_model_dir"] == text.splitlines().index("def get_model_dir(") + 1
