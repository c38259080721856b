"""Report rendering (golden files on fixed inputs), redaction, hand-off and the end-to-end run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lfmdoctor.bugs import get_bug
from lfmdoctor.patches.sourcegen import ruff_binary
from lfmdoctor.patches.verify import STRATEGIES
from lfmdoctor.report import upstream
from lfmdoctor.report.compose import compose
from lfmdoctor.report.document import render_document
from lfmdoctor.report.handoff import MAX_URL, handoff, new_issue_url
from lfmdoctor.report.redact import Context, redact
from lfmdoctor.report.trim import trim_traceback
from lfmdoctor.results import (
    BugFinding,
    CheckReport,
    EnvironmentFacts,
    ExceptionInfo,
    LiquidAudioFacts,
    Outcome,
    ReproOutcome,
    TorchaudioFacts,
    TorchFacts,
    VerifyResult,
)
from tests.cli.conftest import error_line

GOLDEN = Path(__file__).with_name("golden")
# What posted text must not contain: the tool's words, outcome codes, local paths.
TOOL_WORDS = re.compile(
    r"not_reproduced|callsite|call-site fix|runtime fix|source fix|strategy|seed report|"
    r"lfmdoctor\.|/tmp/|/root/|/home/|\.cache/lfmdoctor"
)


def ruff_findings(code: str) -> list[str]:
    """ruff's F401, F841 and F821 findings on ``code``."""
    ruff = ruff_binary()
    done = subprocess.run(
        [ruff, "check", "--isolated", "--no-cache", "--select", "F401,F841,F821", "--output-format", "concise", "-"],
        input=code,
        capture_output=True,
        text=True,
    )
    return [line for line in done.stdout.splitlines() if ":" in line and not line.startswith("Found")]


TRACEBACK = """Traceback (most recent call last):
  File "/home/alice/lfmdoctor/repro/worker_child.py", line 120, in run_case
    exec(compile(case[phase] or "pass", f"<repro {case['id']} {phase}>", "exec"), ns)
  File "<repro processor-device trigger>", line 1, in <module>
  File "/home/alice/venv/lib/python3.12/site-packages/liquid_audio/processor.py", line 79, in from_pretrained
    ).to(device)
  File "/home/alice/venv/lib/python3.12/site-packages/liquid_audio/processor.py", line 82, in to
    self.audio_processor.to(device=device, dtype=dtype)
  File "/home/alice/venv/lib/python3.12/site-packages/torch/nn/modules/module.py", line 1371, in to
    return self._apply(convert)
  File "/home/alice/venv/lib/python3.12/site-packages/torch/cuda/__init__.py", line 403, in _lazy_init
    raise AssertionError("Torch not compiled with CUDA enabled")
AssertionError: Torch not compiled with CUDA enabled
"""
DIFF = """diff --git a/src/liquid_audio/processor.py b/src/liquid_audio/processor.py
--- a/src/liquid_audio/processor.py
+++ b/src/liquid_audio/processor.py
@@ -58,7 +58,7 @@ class LFM2AudioProcessor:
         repo_id: str | Path,
         *,
         revision: str | None = None,
-        device: torch.device | str = "cuda",
+        device: torch.device | str | None = None,
     ) -> Self:
         cache_path = get_model_dir(repo_id, revision=revision)
         with (cache_path / "config.json").open() as f:
"""


def fixed_check(tmp_path: Path) -> CheckReport:
    package = tmp_path / "site-packages" / "liquid_audio"
    package.mkdir(parents=True)
    lines = (
        ["class LFM2AudioProcessor:"]
        + ["    pass"] * 50
        + [
            "    @classmethod",
            "    def from_pretrained(",
            "        cls,",
            "        repo_id,",
            "        *,",
            "        revision=None,",
            '        device: torch.device | str = "cuda",',
            "    ):",
            "        return cls",
        ]
    )
    (package / "processor.py").write_text("\n".join(lines) + "\n")
    env = EnvironmentFacts(
        python="3.12.1",
        python_executable="/home/alice/venv/bin/python",
        os="macOS 15.1",
        arch="arm64",
        packages={
            "liquid-audio": "1.3.0",
            "transformers": "5.23.0",
            "accelerate": "1.15.0",
            "safetensors": "0.8.0",
            "huggingface-hub": "2.4.0",
        },
        torch=TorchFacts(
            version="2.11.0",
            flavour="macOS (MPS)",
            cuda_available=False,
            cuda_unavailable_reason="torch is a CPU-only build",
            mps_built=True,
            mps_available=True,
        ),
        torchaudio=TorchaudioFacts(version="2.11.0", imports=True),
        liquid_audio=LiquidAudioFacts(version="1.3.0", location=str(package)),
    )
    finding = BugFinding(
        "processor-device",
        "LFM2AudioProcessor.from_pretrained defaults to device='cuda'",
        True,
        f"{package}/processor.py:58",
        "defaults to cuda",
        affects_here=True,
    )
    return CheckReport(environment=env, bugs=[finding], items=[])


def fixed_repro() -> list[ReproOutcome]:
    return [
        ReproOutcome(
            "processor-device",
            "processor-device",
            Outcome.REPRODUCED,
            ExceptionInfo("AssertionError", "Torch not compiled with CUDA enabled"),
            ["liquid_audio/processor.py:82 in to"],
            0.02,
            "AssertionError from processor.py:82",
            TRACEBACK,
        )
    ]


def fixed_data(tmp_path: Path):
    verify = [
        VerifyResult("processor-device", "processor-device", s, Outcome.REPRODUCED, Outcome.NOT_REPRODUCED, "fixed")
        for s in STRATEGIES
    ]
    return compose(
        fixed_check(tmp_path),
        fixed_repro(),
        verify=verify,
        diffs={"processor-device": DIFF},
        affected={"processor-device": "all checked releases (0.0.0a1–1.3.0)"},
        ruff="ruff check: passed",
    )


def _golden(name: str, text: str, tmp_path: Path) -> None:
    text = text.replace(str(tmp_path), "<tmp>")
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


CONTEXT = Context(
    home="/home/alice",
    user="alice",
    host="alice-mbp",
    env={"HF_TOKEN_FILE_CONTENT": "s3cr3tvalue42", "CUDA_VISIBLE_DEVICES": "0"},
)


@pytest.mark.parametrize("fmt", ["issue", "pr"])
def test_golden_markdown(tmp_path, fmt):
    document = render_document(fixed_data(tmp_path), fmt, CONTEXT)
    _golden(f"{fmt}.md", document.text, tmp_path)


def test_issue_reads_like_upstreams_26_the_failing_line_the_cause_the_fix(tmp_path):
    body = render_document(fixed_data(tmp_path), "issue", CONTEXT).body
    order = [
        "fails:\n\n```\nAssertionError: Torch not compiled with CUDA enabled\n```",  # what fails, the real line
        "Cause (`src/liquid_audio/processor.py:58`)",
        "Reproducer:",
        "Suggested fix:",
        '-        device: torch.device | str = "cuda",',
        "Workaround until then:",
        "A maintainer answered #7 and #12",  # the declined default, and how this differs
        "This is not about deploying on CPUs.",
        "Releases with this code: all checked releases",
        "#12 (PR, closed as of 2026-12-04)",
        "<summary>Environment</summary>",
    ]
    places = [body.find(part) for part in order]
    assert -1 not in places and places == sorted(places), dict(zip(order, places))
    environment = body.split("<summary>Environment</summary>\n\n", 1)[1].split("\n\n", 2)[1].splitlines()
    assert len(environment) == 4
    assert "lfmdoctor" not in body and "---\n<sub>" not in body  # no tool footer on an item


def test_json_format_is_the_same_facts(tmp_path):
    document = render_document(fixed_data(tmp_path), "json", CONTEXT)
    data = json.loads(document.text)
    assert data["bugs"][0]["id"] == "processor-device"
    assert data["bugs"][0]["cases"][0]["verify"][0] == {
        "strategy": "callsite",
        "before": "reproduced",
        "after": "not_reproduced",
    }
    assert "/home/alice" not in document.text and data["redactions"]


def test_an_issue_keeps_to_the_size_a_prefilled_link_takes(tmp_path):
    data = fixed_data(tmp_path)
    case = data.bugs[0].cases[0]
    case.traceback = TRACEBACK.replace("raise AssertionError", "raise AssertionError  # " + "x" * 3000)
    document = render_document(data, "issue", CONTEXT)
    assert len(document.body) <= 3000
    assert len(new_issue_url(document.title, document.body)) <= MAX_URL
    assert "x" * 3000 not in document.body and "AssertionError: Torch not compiled" in document.body


def test_redaction_removes_planted_secrets():
    planted = (
        "home /home/alice/projects/x and /Users/alice/y, user alice on alice-mbp, mail alice@example.com, "
        "hf_abcdefghijklmnopqrstuvwxyz012345 ghp_abcdefghijklmnopqrstuvwxyz0123456789 AKIAABCDEFGHIJKLMNOP "
        "api_key=zzzzzzzzzz value s3cr3tvalue42, cuda 0, root cause stays"
    )
    result = redact(planted, CONTEXT)
    for secret in (
        "/home/alice",
        "/Users/alice",
        "alice",
        "alice-mbp",
        "alice@example.com",
        "hf_abc",
        "ghp_abc",
        "AKIAABCD",
        "zzzzzzzzzz",
        "s3cr3tvalue42",
    ):
        assert secret not in result.text, secret
    assert "~/projects/x" in result.text and "root cause stays" in result.text and "cuda 0" in result.text
    assert result.total >= 10
    assert f"redacted {result.total} items" in result.footer()


def test_no_redact_keeps_everything(tmp_path):
    document = render_document(fixed_data(tmp_path), "json", None)
    assert "/home/alice" in document.text and document.redacted is None


def test_traceback_trimmed_to_frames_that_matter():
    text = trim_traceback(TRACEBACK, {"<repro processor-device trigger>": "processor = X.from_pretrained(MODEL)"})
    assert "worker_child.py" not in text
    assert "processor = X.from_pretrained(MODEL)" in text
    assert "[... 2 frames in torch ...]" in text
    assert text.endswith("AssertionError: Torch not compiled with CUDA enabled")


def test_handoff_url_when_short_gh_command_when_long():
    short = handoff("Title", "short body", None)
    assert short.startswith("open this prefilled issue: https://github.com/Liquid4All/liquid-audio/issues/new?")
    assert len(short) < MAX_URL + 40
    long = handoff("Title", "x" * 10_000, "/tmp/body.md")
    assert "gh issue create --repo Liquid4All/liquid-audio --title Title --body-file /tmp/body.md" in long


# ``python -m lfmdoctor ARGS``, each module load recorded in order as [loaded by the main thread, name, a package].
LOADS_RECORDED = """\
import json, runpy, sys, threading

loads = []
sys.addaudithook(lambda event, args: event == "import" and loads.append((threading.current_thread(), args[0])))
try:
    runpy.run_module("lfmdoctor", run_name="__main__", alter_sys=True)
finally:
    with open(sys.argv[-1] + ".loads.json", "w") as out:
        main = threading.main_thread()
        json.dump([[t is main, name, hasattr(sys.modules.get(name), "__path__")] for t, name in loads], out)
"""


def loads_that_can_deadlock(loads: list[list]) -> list[str]:
    """Once a second thread runs, a package loaded in one thread and a module of it in the other: importlib's
    _DeadlockError when both happen at once."""
    window = loads[next((i for i, (main, _, _) in enumerate(loads) if not main), len(loads)) :]
    return sorted(
        {
            f"{package} / {name}"
            for by_main, package, is_package in window
            if is_package
            for main, name, _ in window
            if main != by_main and name.startswith(package + ".")
        }
    )


# --- one full run, with secrets planted in the model path and the environment -------------------------------

TOKEN = "ghp_" + "Zx9" * 10
EMAIL = "jane.doe@corp.example"
ENV_SECRET = "s3cr3t-Planted-Value-42"


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, tiny_checkpoint):
    """``lfmdoctor run --model M --out OUT``, everything on, for the tests below: M is the tiny checkpoint under a
    path that holds a token and an email, HOME is a user's, and the environment holds a password. Returns (OUT,
    HOME, the finished process, the module loads ``LOADS_RECORDED`` saw)."""
    root = tmp_path_factory.mktemp("planted")
    home = root / "home" / "jane"
    model = home / "models" / TOKEN / EMAIL / "tiny"
    shutil.copytree(tiny_checkpoint, model)
    out = root / "out"
    env = {
        **os.environ,
        "HOME": str(home),
        "LFMDOCTOR_CACHE": os.environ.get("LFMDOCTOR_CACHE") or str(Path.home() / ".cache" / "lfmdoctor"),
        "MY_SERVICE_PASSWORD": ENV_SECRET,
    }
    argv = [sys.executable, "-c", LOADS_RECORDED, "run", "--model", str(model), "--out", str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, home, done, json.loads(Path(f"{out}.loads.json").read_text())


@pytest.mark.slow
def test_run_end_to_end_on_the_tiny_checkpoint(full_run):
    """``run`` with everything; its threads load no module of a package the main thread loads meanwhile."""
    out, _, done, loads = full_run
    assert loads_that_can_deadlock(loads) == []
    for name in (
        "README.md",
        "issues/processor-device.md",
        "prs/processor-device.md",
        "results.json",
        "reproducers/repro_processor_device.py",
    ):
        assert (out / name).is_file(), name
    assert not (out / "reproducers" / "tiny_checkpoint.py").exists()  # they load the given model, not one they build
    assert sorted(p.name for p in (out / "series").glob("*.patch"))[0].startswith("0001-")
    results = json.loads((out / "results.json").read_text())
    assert set(results) >= {"check", "repro", "verify", "bench", "report"}
    reproduced = {r["id"] for r in results["repro"]["results"] if r["outcome"] == "reproduced"}
    assert {"processor-device", "audio-format:numpy-1d", "local-path"} <= reproduced
    readme = (out / "README.md").read_text()
    assert readme.startswith("# liquid-audio 1.3.0:") and len(readme) <= 20000  # 25 bugs, and every file listed
    assert "`README.md:76` (`processor = LFM2AudioProcessor.from_pretrained(HF_REPO).eval()`)" in readme
    assert "lfmdoctor report file RUN_FOLDER" in readme
    plan = json.loads((out / "plan.json").read_text())
    assert plan[0]["key"] == "harness" and {i["kind"] for i in plan} == {"pr", "comment", "issue+pr"}
    for path in [*(out / "issues").glob("*.md"), *(out / "prs").glob("*.md")]:
        title, blank, body = path.read_text().split("\n", 2)
        # the demo's and the fine-tuning's reproducers are longer (see below): so are their issues
        longer = path.parent.name == "issues" and get_bug(path.stem).module.startswith(("demo/", "data/", "trainer"))
        assert title and blank == "" and len(body) <= (3600 if longer else 3000) and len(title) <= 72, path.name
        assert not TOOL_WORDS.search(body), (path.name, TOOL_WORDS.search(body))
        assert "lfmdoctor" not in body, path.name  # one line in the overview, none on the items
        if path.parent.name == "issues":
            assert len(new_issue_url(title, body)) <= MAX_URL, path.name
            scripts = re.findall(r"```python\n(.*?)```", body, re.S)
            assert len(scripts) == 1 and ruff_findings(scripts[0]) == [], (path.name, scripts)
            # the demo's scripts stand in for demo/model.py (it loads the model at import), the fine-tuning ones
            # build a trainer or a dataset: longer than a call of the library
            longest = 40 if longer else 14
            assert 6 <= len(scripts[0].splitlines()) <= longest, (path.name, scripts[0])
            for diff in re.findall(r"```diff\n(.*?)```", body, re.S):
                assert diff.startswith("--- a/src/liquid_audio/"), (path.name, diff)
    several = (out / "prs" / "audio-format.md").read_text()  # one case per input: plural, and only what ran
    assert "reproducers (one per input named), run on CPU" in several and "fail before this change, work after it." in several
    assert "README.md" in done.stdout


def test_a_bug_not_shown_here_is_never_presented_as_verified(tmp_path):
    """On a Mac whose safetensors accepts "mps:0" the Mimi case cannot show: the issue and the PR say so."""
    check = fixed_check(tmp_path)
    location = f"{check.environment.liquid_audio.location}/processor.py:58"
    check.bugs = [BugFinding("mimi-device", "Mimi weights", True, location, "load_file(device=...)", affects_here=False)]
    unmet = 'this safetensors accepts "mps:0" (0.8 and later do), so the call works'
    repro = [ReproOutcome("mimi-device", "mimi-device", Outcome.NOT_REPRODUCED, None, [], 0.0, unmet, None)]
    same = (Outcome.NOT_REPRODUCED, Outcome.NOT_REPRODUCED)
    verify = [VerifyResult("mimi-device", "mimi-device", s, *same, unmet) for s in STRATEGIES]
    data = compose(check, repro, verify=verify)
    [section] = data.bugs
    where = "it shows only where MPS is available (Apple Silicon) and safetensors is older than 0.8"
    issue = upstream.issue(section, data, "").body
    shows = where.removeprefix("it shows only where ")
    assert f"fails where {shows}; that could not be run here. What it raises there: SafetensorError" in issue
    pr = upstream.pull_request(section, data).body
    assert f"does not show the bug on this machine: {where}. Not a test of this change here." in pr
    assert "works after it" not in pr and "fails before" not in pr


def test_run_refuses_a_folder_it_did_not_write(cli, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    done = cli("run", "--out", str(tmp_path))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert (tmp_path / "mine.txt").read_text() == "keep me"


@pytest.mark.parametrize("args, words", [(["--bug", "nope"], "unknown bug"), (["--format", "pdf"], "--format")])
def test_report_bad_input(cli, args, words):
    done = cli("report", *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]


@pytest.mark.slow
def test_nothing_under_out_holds_a_planted_secret(full_run):
    out, home, _, _ = full_run
    files = [p for p in out.rglob("*") if p.is_file()]
    assert "results.json" in {p.name for p in files} and any(p.suffix == ".md" for p in files)
    assert any(p.parent.name == "reproducers" for p in files)
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in (TOKEN, EMAIL, ENV_SECRET, str(home), "jane"):
            assert secret not in text, f"{secret!r} in {path.relative_to(out)}"


@pytest.mark.slow
def test_the_run_folder_follows_the_umask(full_run):
    out, _, _, _ = full_run
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (out / "results.json").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.slow
def test_a_rerun_never_deletes_a_users_file(cli, full_run):
    out, _, _, _ = full_run
    mine = out / "my-notes.txt"
    mine.write_text("mine")
    before = sorted(p.name for p in out.iterdir())
    line = error_line(cli("run", "--no-bench", "--out", str(out)))
    assert "my-notes.txt" in line and "did not write" in line
    assert mine.read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == before
    mine.unlink()
