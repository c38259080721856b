"""Resolve ``--model fixture|HUB_ID|PATH`` to a local checkpoint folder, never touching the network."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from lfmdoctor.cache import cache_root
from lfmdoctor.errors import LfmdoctorError
from lfmdoctor.repro.fixture import ensure_fixture

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
REQUIRED_KEYS = ("preprocessor", "encoder", "lfm", "depthformer")


class ModelUnavailable(LfmdoctorError):
    """One line: which model, what is missing, how to get it."""


@dataclass(frozen=True)
class ModelRef:
    spec: str  # what the user asked for
    folder: Path  # local checkpoint folder
    hub_id: str | None = None  # set when the model came from the hub cache

    @property
    def is_fixture(self) -> bool:
        return self.spec == "fixture"

    @property
    def random_weights(self) -> bool:
        """The built-in tiny checkpoint (untrained), asked for by name or by its folder."""
        if self.is_fixture:
            return True
        try:
            self.folder.resolve().relative_to((cache_root() / "fixtures").resolve())
        except ValueError:
            return False
        return True

    @property
    def argument(self) -> str:
        """What reproducers pass to from_pretrained: the hub id, else the folder."""
        return self.hub_id or str(self.folder)


def check_folder(folder: Path, spec: str) -> Path:
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise ModelUnavailable(
            f"{spec} is not a liquid-audio model folder (no config.json); pass the folder "
            "that holds config.json and model.safetensors"
        )
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"{config_path} is not valid JSON ({exc}); re-download the model") from None
    missing = [key for key in REQUIRED_KEYS if key not in config]
    if missing:
        raise ModelUnavailable(
            f"{spec} is not an LFM2-Audio checkpoint (config.json lacks {', '.join(missing)}); "
            "pass an LFM2-Audio / LFM2.5-Audio folder"
        )
    if not any(folder.glob("model*.safetensors")):
        raise ModelUnavailable(f"{spec} has no model.safetensors; the download is incomplete, fetch it again")
    return folder


def from_hub_cache(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except LocalEntryNotFoundError:
        raise ModelUnavailable(
            f"weights for {repo_id} are not in the local Hugging Face cache and lfmdoctor never downloads; "
            f"run 'hf download {repo_id}' on a machine with network, or pass --model PATH"
        ) from None


def resolve_model(spec: str | None, python: str | None = None) -> ModelRef:
    """What ``--model`` names: "fixture" (the tiny checkpoint, with every optional part a reproduction case
    declares), a local folder or a hub id found in the local cache; ModelUnavailable says how to get it."""
    if spec in (None, "", "fixture"):
        from lfmdoctor.bugs import CASES

        parts = {part for case in CASES for part in case.checkpoint}
        steered = "steer" in parts  # the steered weights follow a script; no case depends on random weights
        return ModelRef(
            "fixture",
            ensure_fixture(python=python, detokenizer="detokenizer" in parts, mimi="mimi" in parts, steered=steered),
        )
    path = Path(spec).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelUnavailable(f"{spec} is a file; pass the model folder (with config.json), a hub id or 'fixture'")
        return ModelRef(spec, check_folder(path.resolve(), spec))
    if HUB_ID.match(spec) and not spec.startswith((".", "/", "~")):
        return ModelRef(spec, check_folder(from_hub_cache(spec), spec), hub_id=spec)
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ModelUnavailable(f"folder {spec} does not exist; pass an existing model folder, a hub id or 'fixture'")
    raise ModelUnavailable(f"{spec} is neither an existing folder nor a hub id like LiquidAI/LFM2.5-Audio-1.5B")


def private_folders(spec: str) -> tuple[str, ...]:
    """A ``--model`` that names a folder of the user's own (not the fixture, not a hub id): its path, as given and
    resolved, for the redaction rule to hide in text written for others."""
    path = Path(spec).expanduser()
    if spec == "fixture" or not path.is_dir():
        return ()
    return tuple(dict.fromkeys((spec, str(path), str(path.resolve()))))
