"""Regenerate the stored source patches (``patches/liquid-audio+<version>.patch``). Development tool.

For each released wheel: lay its ``liquid_audio`` out as ``src/liquid_audio`` in a temporary git
repository (upstream's layout), make the edits below (each must match the release's text exactly
once), check that ruff at upstream's line length (127) formats the edited files as they are and finds
nothing new in them, and store ``git diff`` behind a short header naming the release and the sha256
of every original file (how ``lfmdoctor patch`` recognises a release without trusting its version
string). Needs git and ruff; the wheels come from ``lfmdoctor.matrix.releases``' cache.

    python -m lfmdoctor.patches.sourcegen [--check]

``--check`` regenerates in memory and exits 1 if a stored patch differs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lfmdoctor.patches.stored import PATCH_DIR, header, patch_name

RELEASES = ("0.0.0a1", "1.0.0", "1.1.0", "1.2.0", "1.3.0")
LINE_LENGTH = "127"
RUFF_RULES = "E,F,I,W,B,UP"


@dataclass(frozen=True)
class Edit:
    bug: str
    path: str  # inside the package
    old: str
    new: str
    applies: Callable[[str], bool] = lambda release: True


def _since(first: str) -> Callable[[str], bool]:
    order = RELEASES.index(first)
    return lambda release: RELEASES.index(release) >= order


def _before(first: str) -> Callable[[str], bool]:
    order = RELEASES.index(first)
    return lambda release: RELEASES.index(release) < order


DEFAULT_DEVICE = '''

def default_device() -> str:
    """Best available torch device: cuda, then mps, then cpu"""
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"
'''

ADD_AUDIO_OLD = """\
    def add_audio(self, wave: torch.Tensor, sampling_rate: int) -> None:
        assert len(wave.shape) == 2
        assert wave.shape[0] == 1
"""

ADD_AUDIO_NEW = '''\
    def add_audio(self, wave: torch.Tensor | np.ndarray, sampling_rate: int) -> None:
        """Append audio to the chat.

        Args:
            wave: samples shaped (samples,), (channels, samples) or (samples, channels), as a torch tensor or numpy
                array; channels are averaged, int8/int16/int32 PCM is scaled to [-1, 1)
            sampling_rate: sampling rate of `wave`, resampled to 16 kHz
        """
        wave = torch.as_tensor(wave)
        if wave.ndim == 1:
            wave = wave.unsqueeze(0)
        if wave.ndim != 2 or wave.numel() == 0:
            raise ValueError(
                f"expected audio shaped (samples,), (channels, samples) or (samples, channels), got {tuple(wave.shape)}"
            )
        if wave.shape[0] > wave.shape[1]:
            wave = wave.mT  # (samples, channels) -> (channels, samples)
        if wave.dtype in (torch.int8, torch.int16, torch.int32):
            wave = wave / -torch.iinfo(wave.dtype).min  # integer PCM to [-1, 1)
        elif not wave.is_floating_point():
            raise ValueError(f"expected float, int8, int16 or int32 audio samples, got {wave.dtype}")
        if wave.shape[0] > 1:
            wave = wave.mean(0, keepdim=True)  # mix down to mono
'''

DECODE_OLD = """\
            audio_codes: (1, 8, T) shaped integer tensor, with values in [0, 2047]
        Returns:
            waveform: (1, T') float tensor, 24kHz mono waveform
        \"\"\"
        if torch.any(audio_codes >= 2048) or torch.any(audio_codes < 0):
            raise RuntimeError("expected audio codes in range ")
"""

DECODE_NEW = """\
            audio_codes: (1, 8, T) shaped integer tensor, with values in [0, 2047]; end-of-audio frames
                (all codes 2048, as generation yields them) are dropped
        Returns:
            waveform: (1, T') float tensor, 24kHz mono waveform
        \"\"\"
        end_of_audio = (audio_codes == 2048).all(dim=-2).flatten()
        audio_codes = audio_codes[..., ~end_of_audio]
        if torch.any(audio_codes >= 2048) or torch.any(audio_codes < 0):
            raise RuntimeError("expected audio codes in range [0, 2047]")
"""

PROCESSOR = "processor.py"
MODEL = "model/lfm2_audio.py"
UTILS = "utils.py"
TRAINER = "trainer.py"
SIGNATURE_OLD = '        device: torch.device | str = "cuda",\n'
SIGNATURE_NEW = "        device: torch.device | str | None = None,\n"

EDITS: tuple[Edit, ...] = (
    # a device resolver both from_pretrained use
    Edit(
        "processor-device",
        UTILS,
        "    return spec is not None\n",
        "    return spec is not None\n" + DEFAULT_DEVICE,
    ),
    Edit(
        "processor-device",
        PROCESSOR,
        "import torch\nimport torchaudio\n",
        "import numpy as np\nimport torch\nimport torchaudio\n",
    ),
    Edit(
        "processor-device",
        PROCESSOR,
        "from liquid_audio.utils import LFMModality, get_model_dir, mel2emb_len\n",
        "from liquid_audio.utils import LFMModality, default_device, get_model_dir, mel2emb_len\n",
    ),
    Edit("processor-device", PROCESSOR, SIGNATURE_OLD, SIGNATURE_NEW),
    Edit(
        "processor-device",
        PROCESSOR,
        "        return cls(\n            text_tokenizer_path=str(cache_path),\n",
        "        if device is None:\n            device = default_device()\n\n"
        "        return cls(\n            text_tokenizer_path=str(cache_path),\n",
    ),
    Edit(
        "model-device",
        MODEL,
        "from liquid_audio.utils import LFMModality, get_model_dir, mel2emb_len, module_exists\n",
        "from liquid_audio.utils import LFMModality, default_device, get_model_dir, mel2emb_len, module_exists\n",
    ),
    Edit("model-device", MODEL, SIGNATURE_OLD, SIGNATURE_NEW),
    Edit(
        "model-device",
        MODEL,
        "        if isinstance(device, str):\n            device = torch.device(device)\n",
        "        if device is None:\n            device = default_device()\n"
        "        if isinstance(device, str):\n            device = torch.device(device)\n",
    ),
    Edit(
        "flash-attn",
        MODEL,
        '        if module_exists("flash_attn"):\n',
        "        # flash_attention_2 runs only on CUDA, in half precision\n"
        '        if device.type == "cuda" and dtype in (torch.float16, torch.bfloat16) and module_exists("flash_attn"):\n',
    ),
    Edit(
        "train-mode",
        MODEL,
        "        load_checkpoint_in_model(model, cache_path)\n\n        return model\n",
        "        load_checkpoint_in_model(model, cache_path)\n\n        return model.eval()\n",
    ),
    # the fine-tuning entry point relied on from_pretrained leaving the model in training mode
    Edit(
        "train-mode",
        TRAINER,
        "            dtype=torch.bfloat16,\n        )\n",
        "            dtype=torch.bfloat16,\n        ).train()\n",
        _since("1.2.0"),
    ),
    Edit("audio-format", PROCESSOR, ADD_AUDIO_OLD, ADD_AUDIO_NEW),
    Edit(
        "detokenizer-device",
        PROCESSOR,
        "LFM2AudioDetokenizer(detok_config).eval().cuda()",
        "LFM2AudioDetokenizer(detok_config).eval().to(self.device)",
        _since("1.1.0"),
    ),
    Edit(
        "mimi-device",
        PROCESSOR,
        "            mimi_weights = load_file(self.mimi_weights_path, device=str(self.device))\n",
        "            # safetensors rejects some torch device strings (mps:0); load_state_dict moves the weights\n"
        '            mimi_weights = load_file(self.mimi_weights_path, device="cpu")\n',
        _since("1.1.0"),
    ),
    Edit(
        "mimi-device",
        PROCESSOR,
        "        mimi_weights = load_file(self.mimi_weights_path, device=str(self.device))\n",
        "        # safetensors rejects some torch device strings (mps:0); load_state_dict moves the weights\n"
        '        mimi_weights = load_file(self.mimi_weights_path, device="cpu")\n',
        _before("1.1.0"),
    ),
    Edit(
        "local-path",
        UTILS,
        "    if isinstance(repo_id, str):\n",
        "    if isinstance(repo_id, str) and not Path(repo_id).is_dir():\n",
    ),
    Edit("local-path", UTILS, "        cache_path = repo_id\n", "        cache_path = Path(repo_id)\n"),
    Edit("eoa-code", PROCESSOR, DECODE_OLD, DECODE_NEW, _since("1.1.0")),
    Edit(
        "dtype-mismatch",
        MODEL,
        "self.conformer(padded_audio_in.mT, audio_in_lens)",
        "self.conformer(padded_audio_in.mT.to(text_emb.dtype), audio_in_lens)",
        _before("1.2.0"),
    ),
)


class GenerationError(Exception):
    pass


def edits_for(release: str) -> list[Edit]:
    return [edit for edit in EDITS if edit.applies(release)]


def apply_edits(package: Path, release: str) -> dict[str, list[str]]:
    """Edit the files in place; return {path: [bug ids]}. Each edit must match exactly once."""
    touched: dict[str, list[str]] = {}
    for edit in edits_for(release):
        path = package / edit.path
        text = path.read_text()
        count = text.count(edit.old)
        if count != 1:
            raise GenerationError(f"{release}: {edit.bug} edit matches {count} times in {edit.path}: {edit.old!r}")
        path.write_text(text.replace(edit.old, edit.new))
        touched.setdefault(edit.path, [])
        if edit.bug not in touched[edit.path]:
            touched[edit.path].append(edit.bug)
    return touched


def _run(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise GenerationError(f"{' '.join(argv)} failed: {done.stdout}{done.stderr}")
    return done.stdout


def _ruff_findings(ruff: str, files: list[Path]) -> list[str]:
    done = subprocess.run(
        [
            ruff,
            "check",
            "--isolated",
            "--no-cache",
            "--line-length",
            LINE_LENGTH,
            "--select",
            RUFF_RULES,
            "--target-version",
            "py312",
            "--output-format",
            "concise",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # "path:line:col: CODE message" -> "CODE message" so that moved lines compare equal
    return sorted(line.split(": ", 1)[1] for line in done.stdout.splitlines() if ": " in line and line[0] != " ")


def check_style(ruff: str, originals: list[Path], edited: list[Path]) -> None:
    """The edited files are ruff-formatted at line length 127 and add no ruff finding."""
    done = subprocess.run(
        [
            ruff,
            "format",
            "--isolated",
            "--no-cache",
            "--line-length",
            LINE_LENGTH,
            "--check",
            *map(str, edited),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise GenerationError(f"ruff format would change the edited files: {done.stdout}{done.stderr}")
    before, after = _ruff_findings(ruff, originals), _ruff_findings(ruff, edited)
    new = [finding for finding in after if finding not in before]
    if new:
        raise GenerationError(f"the edits add ruff findings: {new}")


def generate(release: str, wheel: Path, ruff: str) -> str:
    """The patch text (header + git diff) for one release's wheel."""
    import zipfile

    with tempfile.TemporaryDirectory(prefix="lfmdoctor-sourcegen-") as tmp:
        repo = Path(tmp) / "repo"
        package = repo / "src" / "liquid_audio"
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith("liquid_audio/")]
            archive.extractall(Path(tmp) / "wheel", members)
        shutil.copytree(Path(tmp) / "wheel" / "liquid_audio", package)
        pristine = Path(tmp) / "pristine"
        shutil.copytree(package, pristine)
        git = [
            "git",
            "-c",
            "user.name=lfmdoctor",
            "-c",
            "user.email=lfmdoctor@invalid",
            "-c",
            "core.autocrlf=false",
        ]
        _run([*git, "init", "--quiet"], repo)
        _run([*git, "add", "-A"], repo)
        _run([*git, "commit", "--quiet", "-m", f"liquid-audio {release}"], repo)
        touched = apply_edits(package, release)
        paths = sorted(touched)
        check_style(ruff, [pristine / p for p in paths], [package / p for p in paths])
        diff = _run([*git, "diff", "--no-color", "--no-ext-diff", "--full-index", "--", "src"], repo)
        originals = {p: hashlib.sha256((pristine / p).read_bytes()).hexdigest() for p in paths}
        bugs = [bug for p in paths for bug in touched[p]]
        fixes = list(dict.fromkeys(edit.bug for edit in EDITS if edit.bug in bugs))
    return header(release, fixes, originals) + diff


def main(argv: list[str] | None = None) -> int:
    from lfmdoctor.matrix.releases import fetch_wheel, pip_command, wheel_cache

    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    stale = []
    for release in RELEASES:
        wheel = fetch_wheel(release, lambda: pip_command(sys.executable), wheel_cache())
        text = generate(release, wheel, ruff)
        target = PATCH_DIR / patch_name(release)
        if check:
            if not target.is_file() or target.read_text() != text:
                stale.append(target.name)
            continue
        target.write_text(text)
        print(f"wrote {target}")
    if stale:
        print(f"stale: {', '.join(stale)}; run python -m lfmdoctor.patches.sourcegen", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
