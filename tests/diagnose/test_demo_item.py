"""check's Demo item: will liquid-audio-demo start here without downloading, and which demo bugs are fixed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lfmdoctor.bugs import BUGS
from lfmdoctor.bugs._anatomy import DEMO_MODEL_FILE, DEMO_SURFACE
from lfmdoctor.bugs._spec import RELEASES
from lfmdoctor.demo_hub import DEMO_REPOS, VAD_MODEL, lay_out
from lfmdoctor.diagnose.check import build_report, demo_repo
from lfmdoctor.diagnose.detectors import detect_all
from lfmdoctor.results import EnvironmentFacts, LiquidAudioFacts, Status, TorchFacts, WeightsFacts

DEMO_BUGS = [bug.id for bug in BUGS if bug.surface == DEMO_SURFACE]


def _env(package: Path, cuda: bool, extra: bool, cached: bool) -> EnvironmentFacts:
    packages = {"gradio": "5.50.0" if extra else None, "fastrtc": "0.0.34" if extra else None}
    return EnvironmentFacts(
        python="3.12.1",
        python_executable="/x/python",
        os="Linux",
        arch="x86_64",
        packages=packages,
        torch=TorchFacts(version="2.11.0", cuda_available=cuda),
        liquid_audio=LiquidAudioFacts(version="1.3.0", location=str(package)),
        weights=[WeightsFacts(repo, cached) for repo in DEMO_REPOS],
    )


@pytest.fixture
def demo_item_of(release_package, monkeypatch, tmp_path):
    """The Demo item for the 1.3.0 release read by the real detectors, on an environment described by the flags;
    the hub cache is an empty folder (or one laid out for the demo)."""

    def item(cuda: bool, extra: bool, cached: bool = False):
        package = release_package("1.3.0")
        hub = tmp_path / f"hub-{cached}"
        hub.mkdir(exist_ok=True)
        if cached:
            checkpoint = tmp_path / "checkpoint"
            checkpoint.mkdir(exist_ok=True)
            (checkpoint / "config.json").write_text("{}")
            lay_out(checkpoint, hub)
        monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(hub))
        report = build_report(_env(package, cuda, extra, cached), detect_all(package))
        names = [i.name for i in report.items]
        assert not set(DEMO_BUGS) & set(names)  # grouped in the Demo item, not one item each
        [demo] = [i for i in report.items if i.name == "Demo"]
        return demo, report

    return item


def test_the_demo_bugs_are_in_one_item_with_their_evidence(demo_item_of):
    demo, _ = demo_item_of(cuda=True, extra=True)
    assert DEMO_BUGS
    for bug_id in DEMO_BUGS:
        [line] = [m for m in demo.messages if m.startswith(f"{bug_id}: ")]
        assert line.startswith(f"{bug_id}: present (") and "demo/chat.py:" in line


def test_without_the_extra_it_will_not_start(demo_item_of):
    demo, _ = demo_item_of(cuda=True, extra=False)
    assert demo.status is Status.WARNING
    assert demo.summary.startswith("liquid-audio-demo will not start: the demo extra is not installed (gradio, fastrtc")
    assert demo.hint == "pip install 'liquid-audio[demo]'"


def test_without_cuda_the_crashes_that_bite_are_named(demo_item_of):
    demo, _ = demo_item_of(cuda=False, extra=True)
    assert "known crashes bite here" in demo.summary
    crashes = [b.id for b in BUGS if b.surface == DEMO_SURFACE and b.severity == "crash"]
    assert crashes and all(bug_id in demo.summary for bug_id in crashes)


def test_it_names_the_downloads_the_start_needs(demo_item_of):
    demo, _ = demo_item_of(cuda=True, extra=True, cached=False)
    [line] = [m for m in demo.messages if m.startswith("at start it downloads")]
    assert "LiquidAI/LFM2.5-Audio-1.5B" in line and VAD_MODEL[0] in line
    demo, _ = demo_item_of(cuda=True, extra=True, cached=True)
    assert not any(m.startswith("at start it downloads") for m in demo.messages)


@pytest.mark.parametrize("release", RELEASES)
def test_the_demo_repo_is_read_from_each_release(release_package, release):
    assert demo_repo(release_package(release)) in DEMO_REPOS


def test_a_liquid_audio_without_a_demo_has_no_demo_item(release_package, tmp_path):
    package = Path(shutil.copytree(release_package("1.3.0"), tmp_path / "liquid_audio"))
    (package / DEMO_MODEL_FILE).unlink()
    report = build_report(_env(package, True, True, False), detect_all(package))
    assert not [i for i in report.items if i.name == "Demo"]
