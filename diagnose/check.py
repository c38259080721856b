"""``lfmdoctor check``: environment facts + static bug findings -> doctor-style items. Pure logic."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from packaging.version import InvalidVersion, Version

from lfmdoctor.bugs import get_bug
from lfmdoctor.bugs._anatomy import DEMO_MODEL_FILE, DEMO_SURFACE
from lfmdoctor.demo_hub import VAD_MODEL  # fastrtc loads it from the hub when the demo's app is built
from lfmdoctor.results import BugFinding, CheckItem, CheckReport, EnvironmentFacts, Status

LIBRARIES = ("transformers", "accelerate", "safetensors", "huggingface-hub", "numpy", "soundfile")
MATCHED_PAIR = "pip install 'torch==2.11.0' 'torchaudio==2.11.0'"  # 2.11.1 of torchaudio does not load beside torch 2.11.0


def _version(text: str | None) -> Version | None:
    try:
        return Version(text) if text else None
    except InvalidVersion:
        return None


def python_item(env: EnvironmentFacts) -> CheckItem:
    ok = (_version(env.python) or Version("0")) >= Version("3.12")
    if ok:
        return CheckItem("Python", Status.OK, f"Python {env.python} ({env.python_executable})")
    return CheckItem(
        "Python",
        Status.ERROR,
        f"Python {env.python} is too old for liquid-audio",
        hint="liquid-audio needs Python >= 3.12: create a venv with python3.12 and install it there",
    )


def torch_item(env: EnvironmentFacts) -> CheckItem:
    torch = env.torch
    if env.packages.get("torch") is None and torch.import_error:
        return CheckItem("PyTorch", Status.ERROR, "torch is not installed", hint=MATCHED_PAIR)
    if torch.import_error:
        return CheckItem(
            "PyTorch",
            Status.ERROR,
            "torch does not import",
            [torch.import_error],
            hint=f"reinstall a matched pair: {MATCHED_PAIR}",
        )
    messages = []
    if torch.cuda_available:
        messages.append(f"CUDA available: {', '.join(torch.cuda_devices) or 'yes'}")
    else:
        messages.append(f"CUDA unavailable: {torch.cuda_unavailable_reason or 'unknown reason'}")
    if torch.cuda_driver:
        messages.append(f"NVIDIA driver {torch.cuda_driver}")
    messages.append(f"MPS built: {torch.mps_built}, available: {torch.mps_available}")
    return CheckItem("PyTorch", Status.OK, f"torch {torch.version} ({torch.flavour})", messages)


def torchaudio_item(env: EnvironmentFacts) -> CheckItem:
    audio = env.torchaudio
    if audio.version is None:
        return CheckItem(
            "torchaudio", Status.ERROR, "torchaudio is not installed (liquid-audio imports it)", hint=MATCHED_PAIR
        )
    if audio.imports is False:
        return CheckItem(
            "torchaudio",
            Status.ERROR,
            f"torchaudio {audio.version} does not import with this torch",
            [audio.import_error or "unknown error"],
            hint=f"install a matched pair: {MATCHED_PAIR}",
        )
    if audio.imports is None:
        return CheckItem("torchaudio", Status.WARNING, f"torchaudio {audio.version}: import not tried (torch broken)")
    return CheckItem("torchaudio", Status.OK, f"torchaudio {audio.version} imports with torch {env.torch.version}")


def imports_removed_cache_class(package_dir: Path) -> int | None:
    """Line of a module-level import of Lfm2HybridConvCache (gone in transformers 5), if any."""
    try:
        tree = ast.parse((package_dir / "model" / "lfm2_audio.py").read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == "Lfm2HybridConvCache" for a in node.names):
            return node.lineno
    return None


def libraries_item(env: EnvironmentFacts) -> CheckItem:
    versions = [f"{name} {env.packages.get(name) or 'missing'}" for name in LIBRARIES]
    versions.append(f"flash_attn {'present' if env.flash_attn else 'absent'}")
    missing = [name for name in ("transformers", "accelerate", "safetensors") if not env.packages.get(name)]
    if missing:
        return CheckItem(
            "Libraries", Status.ERROR, f"missing: {', '.join(missing)}", versions, hint=f"pip install {' '.join(missing)}"
        )
    location = env.liquid_audio.location
    transformers = _version(env.packages.get("transformers"))
    line = imports_removed_cache_class(Path(location)) if location else None
    if line and transformers and transformers.major >= 5:
        return CheckItem(
            "Libraries",
            Status.ERROR,
            f"liquid-audio imports Lfm2HybridConvCache (lfm2_audio.py:{line}), removed in transformers 5",
            versions,
            hint="pip install 'transformers==4.57.*' or upgrade liquid-audio to >= 1.2.0",
        )
    return CheckItem("Libraries", Status.OK, ", ".join(versions[:3]), versions)


def import_fix(error: str, transformers: Version | None) -> str:
    """What to do about ``import liquid_audio`` failing with ``error``."""
    if "Lfm2HybridConvCache" in error or (transformers and transformers.major >= 5 and "transformers" in error):
        return "liquid-audio before 1.2.0 needs transformers 4: pip install 'transformers<5' (or upgrade liquid-audio)"
    return "fix what the error names, then run lfmdoctor check again (lfmdoctor exec cannot run scripts until it imports)"


def liquid_audio_item(env: EnvironmentFacts) -> CheckItem:
    la = env.liquid_audio
    if la.location is None:
        return CheckItem(
            "liquid-audio",
            Status.ERROR,
            "liquid-audio is not installed",
            hint="pip install liquid-audio (needs Python >= 3.12)",
        )
    from lfmdoctor.owner import not_an_install

    if la.import_error:
        return CheckItem(
            "liquid-audio",
            Status.ERROR,
            f"liquid-audio {la.version or '(unknown version)'} does not import: {la.import_error}",
            [f"location: {la.location}"],
            hint=import_fix(la.import_error, _version(env.packages.get("transformers"))),
        )
    messages = [f"location: {la.location}"]
    if la.shadowed:
        messages.append(f"{la.location} shadows the installed distribution (PYTHONPATH, or an editable install)")
    theirs = not_an_install(Path(la.location))
    if theirs:
        return CheckItem(
            "liquid-audio",
            Status.WARNING,
            f"liquid-audio {la.version or 'unknown version'} from someone's own files: {theirs}",
            messages,
            hint="lfmdoctor patch leaves it alone unless you pass --force; the runtime patch (lfmdoctor exec) changes nothing",
        )
    return CheckItem("liquid-audio", Status.OK, f"liquid-audio {la.version or 'unknown version'}", messages)


def weights_item(env: EnvironmentFacts) -> CheckItem:
    cached = [w for w in env.weights if w.cached]
    if cached:
        return CheckItem(
            "Model weights",
            Status.OK,
            ", ".join(w.repo_id for w in cached) + " in the local cache",
            [f"{w.repo_id}: {w.path}" for w in cached],
        )
    return CheckItem(
        "Model weights",
        Status.OK,
        "no LFM2 audio weights in the local Hugging Face cache",
        [
            "lfmdoctor uses its built-in tiny checkpoint; to test the real model run "
            "'hf download LiquidAI/LFM2.5-Audio-1.5B' on a machine with network"
        ],
    )


def without_torch(env: EnvironmentFacts) -> bool:
    return env.torch.version is None or env.torch.import_error is not None


def affects_here(finding: BugFinding, env: EnvironmentFacts) -> bool | None:
    """Combine the code fact with this environment: does the bug bite on this machine? None: cannot tell (a
    device bug where torch does not import, so nothing says which devices work)."""
    if not finding.present:
        return False if finding.present is False else None
    bites_here = get_bug(finding.id).bites_here
    if without_torch(env):
        devices = (replace(env.torch, cuda_available=works, mps_available=works) for works in (True, False))
        answers = {bites_here(replace(env, torch=torch)) for torch in devices}
        if len(answers) > 1:
            return None
    return bites_here(env)


def bug_item(finding: BugFinding, env: EnvironmentFacts) -> CheckItem:
    bug = get_bug(finding.id)
    where = f" ({finding.evidence})" if finding.evidence else ""
    if finding.present is None:
        return CheckItem(bug.id, Status.WARNING, f"cannot tell: {finding.detail}")
    if not finding.present:
        return CheckItem(bug.id, Status.OK, f"absent{where}")
    if finding.affects_here:
        return CheckItem(bug.id, Status.ERROR, f"{bug.title}{where}", [finding.detail], hint=bug.workaround)
    if finding.affects_here is None:
        reason = "cannot be checked without torch (it does not import)" if without_torch(env) else "cannot tell"
        return CheckItem(
            bug.id, Status.WARNING, f"present; {reason} whether it bites here: {bug.title}{where}", [finding.detail]
        )
    return CheckItem(
        bug.id, Status.WARNING, f"present but does not bite here: {bug.title}{where}", [finding.detail], hint=bug.workaround
    )


DEMO_EXTRA = ("gradio", "fastrtc")  # what `pip install 'liquid-audio[demo]'` adds (fastrtc brings gradio)
DEMO_COMMAND = "liquid-audio-demo"


def demo_repo(package_dir: Path) -> str | None:
    """The hub id the demo loads at import (``HF_DIR = "..."`` in its model file), or None without a demo."""
    try:
        tree = ast.parse((package_dir / DEMO_MODEL_FILE).read_text())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "HF_DIR" for t in node.targets):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return node.value.value
    return None


def hub_cached(repo_id: str, filename: str) -> bool:
    """Whether the local Hugging Face cache holds ``filename`` of ``repo_id`` (never touches the network)."""
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, filename), str)
    except Exception:  # an unusable cache says nothing is there
        return False


def demo_item(env: EnvironmentFacts, findings: list[BugFinding]) -> CheckItem | None:
    """Will the demo (``liquid-audio-demo``) start here without downloading, and which of its known bugs are fixed?
    None where this liquid-audio has no demo. The bugs are the findings of the bugs whose surface is the demo."""
    location = env.liquid_audio.location
    repo = demo_repo(Path(location)) if location else None
    if repo is None:
        return None
    missing = [name for name in DEMO_EXTRA if not env.packages.get(name)]
    ours = [f for f in findings if get_bug(f.id).surface == DEMO_SURFACE]
    crashes = [f for f in ours if f.affects_here and get_bug(f.id).severity == "crash"]
    messages = [f"{name} {env.packages.get(name) or 'missing'}" for name in DEMO_EXTRA]
    downloads = [
        name for name, cached in ((repo, _weights_cached(env, repo)), (VAD_MODEL[0], hub_cached(*VAD_MODEL))) if not cached
    ]
    if downloads:
        messages.append(f"at start it downloads from the hub: {', '.join(downloads)} (not in the local cache)")
    for finding in ours:
        state = "cannot tell" if finding.present is None else "fixed" if finding.present is False else "present"
        where = f" ({finding.evidence})" if finding.evidence else ""
        messages.append(f"{finding.id}: {state}{where} - {get_bug(finding.id).title}")
    messages.append("the demo loads the processor and the model through the library: the items above apply to it too")
    present = [f.id for f in ours if f.present]
    if missing:
        summary = f"{DEMO_COMMAND} will not start: the demo extra is not installed ({', '.join(missing)} missing)"
    elif crashes:
        summary = f"{DEMO_COMMAND}: known crashes bite here: " + "; ".join(f"{f.id} ({get_bug(f.id).title})" for f in crashes)
    elif downloads:
        summary = f"{DEMO_COMMAND} will start here after downloading {', '.join(downloads)}"
    else:
        summary = f"{DEMO_COMMAND} will start here without downloading"
    if present and not (missing or crashes):
        summary += f"; {len(present)} known demo bug(s) present"
    status = Status.WARNING if missing or crashes or downloads or present else Status.OK
    hint = None
    if missing:
        hint = "pip install 'liquid-audio[demo]'"
    elif present:
        hint = "lfmdoctor patch apply fixes the known bugs in the installed files, the demo's included"
    return CheckItem("Demo", status, summary, messages, hint=hint)


def _weights_cached(env: EnvironmentFacts, repo: str) -> bool:
    known = [w for w in env.weights if w.repo_id == repo]
    return known[0].cached if known else hub_cached(repo, "config.json")


NOT_INSTALLED = "liquid-audio is not installed in this interpreter"


def build_report(env: EnvironmentFacts, findings: list[BugFinding]) -> CheckReport:
    if env.liquid_audio.location is None:  # nothing to read: one line, not one per bug
        findings = [replace(f, present=None, evidence=None, detail=NOT_INSTALLED) for f in findings]
    findings = [replace(f, affects_here=affects_here(f, env)) for f in findings]
    items = [
        python_item(env),
        torch_item(env),
        torchaudio_item(env),
        libraries_item(env),
        liquid_audio_item(env),
        weights_item(env),
    ]
    if env.liquid_audio.location is None:
        items.append(
            CheckItem(
                "Known bugs",
                Status.WARNING,
                f"cannot be checked: {NOT_INSTALLED}",
                hint="pip install liquid-audio there (needs Python >= 3.12), then run lfmdoctor check again",
            )
        )
    else:
        # the bugs of a program liquid-audio ships (the demo) are grouped in that program's item
        items += [bug_item(f, env) for f in findings if not get_bug(f.id).surface]
        demo = demo_item(env, findings)
        if demo is not None:
            items.append(demo)
    return CheckReport(environment=env, bugs=findings, items=items)
