"""``preprocess_dataset`` lets ``datasets`` hash its generator's closure: a generator of chats cannot be pickled,
and a lazy iterable whose data changed gets the old data back from the cache."""

from __future__ import annotations

import functools
from typing import Any

from . import _ast, _training
from ._anatomy import (
    FINE_TUNING_FILES,
    FINE_TUNING_SINCE,
    MAPPER_CLASS,
    PREPROCESS_FILE,
    PREPROCESS_FUNCTION,
    PREPROCESS_MODULE,
)
from ._spec import Bug, Callsite, CannotTell, Case, Edit, Expect, NotNeeded, Unfamiliar, Verdict, Wrap, release_range

FROM_GENERATOR = "    preprocessed = datasets.Dataset.from_generator(generator, features=features)\n"
FRESH = (
    "    # A fresh fingerprint: datasets would otherwise hash the generator's closure (the data and the mapper), which\n"
    "    # fails for a generator of chats and gives a lazy iterable the cache of its earlier, different data.\n"
    "    preprocessed = datasets.Dataset.from_generator(generator, features=features, fingerprint=uuid.uuid4().hex)\n"
)
NOT_PICKLABLE = r"cannot pickle 'generator' object"
STALE = "preprocess_dataset saved the data of the file's earlier contents"


def detect(source: _ast.Source) -> Verdict:
    fn = source.function(PREPROCESS_FUNCTION)
    builds = _ast.calls(fn, ["from_generator"])
    if not builds:
        raise CannotTell(f"{PREPROCESS_FUNCTION} does not call Dataset.from_generator, so how it caches is unclear.")
    keywords = {keyword.arg for keyword in builds[0].keywords}
    if keywords & {"fingerprint", "cache_dir", "keep_in_memory"}:
        return Verdict(False, builds[0], f"{PREPROCESS_FUNCTION} gives Dataset.from_generator its own fingerprint or cache.")
    return Verdict(
        True,
        builds[0],
        f"{PREPROCESS_FUNCTION} calls Dataset.from_generator with no fingerprint, so datasets names the cache by "
        "pickling the generator's closure: a generator of chats cannot be pickled, and a lazy iterable of changed "
        "data hashes the same and gets the earlier data back.",
    )


def _check(preprocess: Any, module: Any) -> None:
    text = _ast.source_text(preprocess)
    if "from_generator(" not in text:
        raise Unfamiliar(f"{PREPROCESS_FUNCTION} does not call Dataset.from_generator")
    if "fingerprint=" in text or "cache_dir=" in text:
        raise NotNeeded(f"{PREPROCESS_FUNCTION} names its own cache")


def _wrap(preprocess: Any, module: Any) -> Any:
    @functools.wraps(preprocess)
    def preprocess_dataset(*args: Any, **kwargs: Any) -> Any:
        import uuid

        dataset_class = module.datasets.Dataset
        raw, build = dataset_class.__dict__["from_generator"], dataset_class.from_generator

        def from_generator(*inner: Any, **options: Any) -> Any:
            options.setdefault("fingerprint", uuid.uuid4().hex)
            return build(*inner, **options)

        dataset_class.from_generator = staticmethod(from_generator)
        try:
            return preprocess(*args, **kwargs)
        finally:
            dataset_class.from_generator = raw

    return preprocess_dataset


CHATS = '''\
class Chats:
    """Chats read lazily from a text file: one assistant reply a line."""

    def __init__(self, path):
        self.path = path

    def __iter__(self):
        for reply in self.path.read_text().splitlines():
            yield [
                ChatMessage(role="user", content=[TextSegment(text="say hi")]),
                ChatMessage(role="assistant", content=[TextSegment(text=reply)]),
            ]
'''
SETUP = f"""\
import tempfile
from pathlib import Path
import datasets
from liquid_audio.data.mapper import {MAPPER_CLASS}
from liquid_audio.data.preprocess import {PREPROCESS_FUNCTION}
from liquid_audio.data.types import ChatMessage, TextSegment
datasets.config.HF_DATASETS_CACHE = Path(tempfile.mkdtemp())  # a private datasets cache for this run
work = Path(tempfile.mkdtemp())
mapper = {MAPPER_CLASS}(processor)


{CHATS}

replies = work / "replies.txt"
replies.write_text("alpha\\n")"""
STALE_SETUP = (
    SETUP
    + f"""
{PREPROCESS_FUNCTION}(Chats(replies), work / "first", mapper)
replies.write_text("omega\\n")"""
)
STALE_TRIGGER = f"""\
{PREPROCESS_FUNCTION}(Chats(replies), work / "second", mapper)
first, second = (datasets.load_from_disk(work / name)[0]["text"] for name in ("first", "second"))
assert second != first, "{STALE}\""""
GENERATOR_TRIGGER = f'{PREPROCESS_FUNCTION}((chat for chat in Chats(replies)), work / "from-generator", mapper)'

BUG = Bug(
    id="preprocess-cache",
    order=270,
    title="preprocess_dataset fails on a generator and reuses stale cached data",
    module=PREPROCESS_FILE,
    trigger="preprocess_dataset(data, ...) with data a generator (typed Iterable), or a lazy iterable "
    "whose files changed since an earlier run",
    symptom="TypeError: cannot pickle 'generator' object (from datasets' fingerprint hashing); for a lazy iterable, "
    "no error: the saved dataset holds the earlier run's samples",
    root_cause="preprocess_dataset calls Dataset.from_generator (data/preprocess.py:49) without a fingerprint, so "
    "datasets names its cache by pickling the generator's closure (data, mapper, max_context_length): a generator "
    "cannot be pickled, and a lazy iterable pickles the same whatever it yields, so an earlier run's cache is reused",
    expected="any iterable of chats is preprocessed, and the saved dataset holds what it yields now",
    workaround="pass a list: preprocess_dataset(list(data), ...) (the hash then covers the chats themselves)",
    fix="give Dataset.from_generator a fresh fingerprint, so nothing is hashed and no earlier cache is reused",
    subject="Give preprocess_dataset's from_generator a fresh fingerprint",
    changes=(
        "`preprocess_dataset` passes `fingerprint=uuid.uuid4().hex` to `Dataset.from_generator`: datasets no longer "
        "pickles the generator's closure, so a generator of chats works, and every call writes the samples the "
        "data yields now instead of a cached earlier run. The saved dataset's format is unchanged; each call "
        "builds anew (no cross-run reuse of the datasets cache), on CPU and CUDA alike."
    ),
    severity="crash",
    explicit=True,
    affects="Only preparing fine-tuning data (1.2.0 and later; earlier releases have no data/).",
    absent_without=FINE_TUNING_FILES,
    detect=detect,
    cases=(
        Case(
            variant="generator",
            needs=("processor",),
            imports=_training.IMPORTS,
            setup=SETUP,
            trigger=GENERATOR_TRIGGER,
            callsite_trigger=GENERATOR_TRIGGER.replace("((chat", "(list(chat", 1),
            expect=Expect(("TypeError",), NOT_PICKLABLE, PREPROCESS_FILE, PREPROCESS_FUNCTION),
            summary="preprocess a generator of chats",
        ),
        Case(
            variant="stale",
            needs=("processor",),
            imports=_training.IMPORTS,
            setup=STALE_SETUP,
            trigger=STALE_TRIGGER,
            callsite_trigger=STALE_TRIGGER.replace("(Chats(replies)", "(list(Chats(replies))", 1),
            expect=Expect(("AssertionError",), STALE, None),
            summary="preprocess a lazily read file of chats, change the file, preprocess it again",
            expected_text="the second run saves the file's new contents",
        ),
    ),
    callsite=Callsite(),
    runtime=(Wrap(PREPROCESS_MODULE, None, PREPROCESS_FUNCTION, _check, _wrap, lazy=True),),
    edits=(
        Edit(
            PREPROCESS_FILE,
            "from collections.abc import Iterable\n",
            "import uuid\nfrom collections.abc import Iterable\n",
            release_range(FINE_TUNING_SINCE),
        ),
        Edit(PREPROCESS_FILE, FROM_GENERATOR, FRESH, release_range(FINE_TUNING_SINCE)),
    ),
    regression_test="""\
import importlib.metadata

import pytest
from packaging.version import Version

from liquid_audio import LFM2AudioProcessor
from liquid_audio.data.types import ChatMessage, TextSegment

"""
    + _training.DATASETS_GUARD
    + """

"""
    + CHATS
    + """

def test_preprocess_dataset_takes_a_generator_and_saves_what_the_data_yields_now(tiny_checkpoint, tmp_path, monkeypatch):
    import datasets
    from liquid_audio.data.mapper import LFM2AudioChatMapper
    from liquid_audio.data.preprocess import preprocess_dataset

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    mapper = LFM2AudioChatMapper(LFM2AudioProcessor.from_pretrained(tiny_checkpoint, device="cpu"))
    replies = tmp_path / "replies.txt"
    replies.write_text("alpha\\n")
    preprocess_dataset((chat for chat in Chats(replies)), tmp_path / "generator", mapper)
    preprocess_dataset(Chats(replies), tmp_path / "first", mapper)
    replies.write_text("omega\\n")
    preprocess_dataset(Chats(replies), tmp_path / "second", mapper)
    first, second = (datasets.load_from_disk(tmp_path / name)[0]["text"] for name in ("first", "second"))
    assert second != first
""",
)
