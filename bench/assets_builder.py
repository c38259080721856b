"""Make the built-in benchmark clips: short English sentences, synthesised offline.

    python -m lfmdoctor.bench.assets_builder [OUT_DIR]      (default: the package's bench/assets)

espeak-ng speaks each sentence (US English), sox converts it to 16 kHz mono 16-bit FLAC with
dithering off (``sox -D``; its default dither is random), so the same tool versions give the same
bytes. Writes ``asr-<id>.flac`` per clip and ``asr_clips.jsonl`` (path and reference per line).
Synthetic speech is for smoke tests, not for accuracy claims.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# (id, reference as written, what espeak-ng is given to speak)
CLIPS: tuple[tuple[str, str], ...] = (
    ("fox", "The quick brown fox jumps over the lazy dog."),
    ("time", "It's 10 past 9, and we're almost done."),
    ("stella", "Please call Stella and ask her to bring these things."),
    ("meeting", "Don't forget, the meeting starts at 3 on May 21st."),
)
VOICE = "en-us"
WORDS_PER_MINUTE = 165
RATE = 16_000
BUILT_WITH = {"espeak-ng": "1.51", "sox": "14.4.2"}  # versions that made the shipped files
MANIFEST = "asr_clips.jsonl"


class ToolMissing(RuntimeError):
    pass


def tool_versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for tool, flag in (("espeak-ng", "--version"), ("sox", "--version")):
        if shutil.which(tool) is None:
            found[tool] = None
            continue
        out = subprocess.run([tool, flag], capture_output=True, text=True, check=False).stdout
        words = out.replace("v", " ").split()
        found[tool] = next((w for w in words if w[:1].isdigit() and "." in w), None)
    return found


def build(out: Path) -> list[Path]:
    versions = tool_versions()
    missing = [tool for tool, found in versions.items() if found is None]
    if missing:
        raise ToolMissing(f"{' and '.join(missing)} not found; install with: apt-get install espeak-ng sox")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip_id, text in CLIPS:
            raw = Path(tmp) / f"{clip_id}.wav"
            subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(raw), text], check=True)
            target = out / f"asr-{clip_id}.flac"
            subprocess.run(["sox", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(target)], check=True)
            written.append(target)
            lines.append(json.dumps({"id": clip_id, "path": target.name, "reference": text}))
    manifest = out / MANIFEST
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [*written, manifest]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args:
        out = Path(args[0])
    else:
        out = Path(__file__).resolve().with_name("assets")
    try:
        files = build(out)
    except ToolMissing as exc:
        sys.exit(f"error: {exc}")
    total = sum(f.stat().st_size for f in files)
    print(f"wrote {len(files)} files ({total / 1024:.0f} KiB) to {out}")


if __name__ == "__main__":
    main()
