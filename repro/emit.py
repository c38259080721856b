"""Write each case as a standalone reproducer script: the snippet that goes into an upstream issue.

The scripts import only liquid-audio, torch, numpy and the standard library. On the built-in tiny
checkpoint they build it (with the bundled ``tiny_checkpoint.py``) next to themselves on first run.
"""

from __future__ import annotations

import io
import re
import shutil
import tokenize
from pathlib import Path

from lfmdoctor.bugs import get_bug
from lfmdoctor.bugs._spec import CONDITIONS, RESOURCES, Case
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.files import write_all
from lfmdoctor.report.redact import Context, redact_file
from lfmdoctor.repro.fixture import BUILDER
from lfmdoctor.repro.models import ModelRef

HELPER_NAME = "tiny_checkpoint.py"

FIXTURE_MODEL = """\
if len(sys.argv) > 1:  # a local folder or a hub id, e.g. LiquidAI/LFM2.5-Audio-1.5B
    MODEL = Path(sys.argv[1]) if Path(sys.argv[1]).is_dir() else sys.argv[1]
else:  # a small, randomly initialised checkpoint with the LFM2.5-Audio-1.5B file layout
    MODEL = Path(__file__).resolve().with_name("{folder}")
    if not (MODEL / "model.safetensors").exists():
        subprocess.run([sys.executable, str(Path(__file__).with_name("{helper}")), str(MODEL){parts}],
                       check=True)
"""

HUB_MODEL = """\
MODEL = sys.argv[1] if len(sys.argv) > 1 else "{hub_id}"
if Path(MODEL).is_dir():
    MODEL = Path(MODEL)
"""

PATH_MODEL = """\
MODEL = Path(sys.argv[1]) if len(sys.argv) > 1 else Path({folder!r})
"""

# Only the local-path case needs the folder of a hub model: liquid-audio's own resolver finds it.
MODEL_DIR = """\
MODEL_DIR = MODEL if isinstance(MODEL, Path) else get_model_dir(MODEL)
"""


def script_name(case: Case) -> str:
    return "repro_" + case.id.replace(":", "_").replace("-", "_") + ".py"


def model_block(model: ModelRef, parts: tuple[str, ...] = ()) -> str:
    """How the script gets its model; the tiny checkpoint is built with the optional ``parts`` it needs."""
    if model.is_fixture:
        # one folder per set of parts: a script never finds a checkpoint built without the part it needs
        folder = "-".join(["tiny-checkpoint", *parts])
        return FIXTURE_MODEL.format(helper=HELPER_NAME, folder=folder, parts="".join(f', "--{part}"' for part in parts))
    if model.hub_id:
        return HUB_MODEL.format(hub_id=model.hub_id)
    return PATH_MODEL.format(folder=str(model.folder))


def names_used(code: str) -> set[str]:
    """The names Python code refers to (comments and strings left out)."""
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    return {token.string for token in tokens if token.type == tokenize.NAME}


KNOWN_IMPORTS = (
    ("importlib", "import importlib.util"),
    ("np", "import numpy as np"),
    ("safetensors", "import safetensors"),
    ("torch", "import torch"),
    ("transformers", "import transformers"),
)


def imports_for(code: str) -> list[str]:
    """The import lines ``code`` needs (importlib, numpy, safetensors, torch, liquid-audio): no more (ruff F401), no
    fewer (F821)."""
    used = names_used(code)
    lines = [line for name, line in KNOWN_IMPORTS if name in used]
    classes = [name for name in ("ChatState", "LFM2AudioModel", "LFM2AudioProcessor") if name in used]
    if classes:
        lines.append(f"from liquid_audio import {', '.join(classes)}")
    if "get_model_dir" in used:
        lines.append("from liquid_audio.utils import get_model_dir")
    return lines


def probes(case: Case) -> list[str]:
    """Lines that print whether each machine condition the case needs holds where the script runs."""
    return [CONDITIONS[name].probe for name in case.requires if CONDITIONS[name].probe]


VERSION_BELOW = re.compile(r'version_below\("(?P<dist>[\w-]+)", "(?P<major>\d+)\.(?P<minor>\d+)"\)')


def guards(case: Case) -> list[str]:
    """Lines that stop the script, with a non-zero status and the reason, where it cannot tell: a machine
    condition the bug needs does not hold (no MPS, CUDA usable, flash_attn missing, ...)."""
    lines = []
    for name in case.requires:
        condition = CONDITIONS[name]
        holds = VERSION_BELOW.sub(
            lambda m: (
                f'tuple(int(p) for p in importlib.metadata.version("{m["dist"]}").split(".")[:2])'
                f" < ({m['major']}, {m['minor']})"
            ),
            condition.holds,
        )
        reason = f"cannot tell on this machine: the bug shows only where {condition.shows_where}"
        single = holds.startswith("not ") and not re.search(r"\b(and|or)\b", holds)
        test = holds.removeprefix("not ") if single else f"not ({holds})"  # no ``not (not ...)``
        lines += [f"if {test}:", f"    sys.exit({reason!r})"]
    return lines


def render_script(case: Case, model: ModelRef) -> str:
    bug = get_bug(case.bug)
    imports = ["import sys", "from pathlib import Path"]
    if model.is_fixture:
        imports.insert(0, "import subprocess")
    checks = guards(case)
    if any("importlib.metadata" in line for line in checks):
        imports.insert(0, "import importlib.metadata")
    body = [model_block(model, case.checkpoint).rstrip()]
    if "MODEL_DIR" in names_used(case.setup + "\n" + case.trigger):
        body.append(MODEL_DIR.rstrip())
    body += ["", *probes(case), *checks]
    body += [RESOURCES[need] for need in case.needs]
    body += [code for code in (case.setup, case.trigger) if code]
    body.append('print("no error: this liquid-audio does not have the bug")')
    shows_where = " and ".join(CONDITIONS[name].shows_where for name in case.requires)
    lines = [
        f'"""liquid-audio bug `{case.bug}`: {bug.title}.',
        "",
        f"Case {case.id}: {case.summary}.",
        f"Expected: {case.expected_text}.",
        f"The bug: {bug.symptom}.",
        *([f"Who meets it: {bug.affects}"] if bug.affects else []),
        *(
            [f"Shows only where: {shows_where} (elsewhere it exits with status 1, saying it cannot tell)."]
            if shows_where
            else []
        ),
        "Run: python " + script_name(case) + " [MODEL_FOLDER_OR_HUB_ID]",
        '"""',
        "",
        *imports,
        "",
        *imports_for("\n".join(body)),
        "",
        *body,
    ]
    return "\n".join(lines) + "\n"


SIGNATURE = '"""liquid-audio bug `'  # how every emitted script begins


class EmitRefused(LfmdoctorError):
    """The folder holds a file of the same name that lfmdoctor did not write (one line)."""


def _ours(path: Path, new_text: str) -> bool:
    """Whether the file at ``path`` is one lfmdoctor emitted (any version), so it may be replaced."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return text == new_text or text.startswith(new_text.split("\n", 1)[0] if path.name == HELPER_NAME else SIGNATURE)


def emit_scripts(cases: list[Case], model: ModelRef, out_dir: Path, context: Context | None = None) -> list[Path]:
    """Write one script per case (and the checkpoint builder when needed): all of them or none. With ``context``,
    each goes through the one redaction rule (its string literals: paths, names, secrets).

    A file of the same name that lfmdoctor did not write is never replaced (``EmitRefused``, nothing written).
    Every file is written to a temporary sibling first; only when all are on disk are they renamed into place,
    so a full disk leaves nothing behind.
    """
    files = {script_name(case): render_script(case, model) for case in cases}
    if model.is_fixture:
        files[HELPER_NAME] = BUILDER.read_text(encoding="utf-8")
    if context is not None:
        files = {name: redact_file(name, text, context).text for name, text in files.items()}
    theirs = [name for name, text in files.items() if (out_dir / name).exists() and not _ours(out_dir / name, text)]
    if theirs:
        raise EmitRefused(
            f"{out_dir} already holds {', '.join(theirs)}, which lfmdoctor did not write; nothing written: "
            "pass another folder, or move those files"
        )
    made = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        return write_all({out_dir / name: text for name, text in files.items()})
    except BaseException:
        if made:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
