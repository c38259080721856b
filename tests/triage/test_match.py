"""Scoring errors against signatures: what counts as evidence, what rules a bug out, how ties are explained."""

from __future__ import annotations

from lfmdoctor.bugs import BUGS, get_bug
from lfmdoctor.bugs._signature import Signature, derived, signatures_of
from lfmdoctor.triage.match import best, evidence
from lfmdoctor.triage.parse import Frame, Raised

SITE = "/v/lib/python3.12/site-packages/liquid_audio/"
SIGNATURE = Signature("no driver", ("RuntimeError",), ("processor.py:from_pretrained",), mentions="LFM2AudioProcessor")


def raised(kind="RuntimeError", message="no driver", *frames: Frame) -> Raised:
    return Raised(kind, message, frames, 1)


def test_type_message_and_frame_all_matched_score_highest():
    frame = Frame(SITE + "processor.py", 79, "from_pretrained")
    found = evidence("b", SIGNATURE, raised("RuntimeError", "no driver", frame), "")
    assert found.parts == ("type", "message", "frames") and found.frame == frame
    bare = evidence("b", SIGNATURE, Raised(None, "no driver for LFM2AudioProcessor", (), 1), "LFM2AudioProcessor")
    assert bare.parts == ("message", "mentions") and bare.score < found.score


def test_a_subclass_the_text_names_matches_its_base():
    frame = Frame(SITE + "processor.py", 79, "from_pretrained")
    assert evidence("b", SIGNATURE, raised("torch.OutOfMemoryError", "no driver", frame), "") is not None


def test_what_the_text_contradicts_rules_the_signature_out():
    frame = Frame(SITE + "processor.py", 79, "from_pretrained")
    assert evidence("b", SIGNATURE, raised("ValueError", "no driver", frame), "") is None  # another type
    assert evidence("b", SIGNATURE, raised("RuntimeError", "other", frame), "") is None  # another message
    elsewhere = Frame(SITE + "processor.py", 151, "audio_detokenizer")
    assert evidence("b", SIGNATURE, raised("RuntimeError", "no driver", elsewhere), "") is None  # another function
    library = Frame("/v/lib/python3.12/site-packages/bitsandbytes/x.py", 3, "from_pretrained")
    assert evidence("b", SIGNATURE, raised("RuntimeError", "no driver", library), "LFM2AudioProcessor") is None


def test_without_a_traceback_only_the_named_words_tie_an_error_to_a_bug():
    assert evidence("b", SIGNATURE, raised(), "something else") is None
    assert evidence("b", Signature("no driver", frames=("processor.py",)), raised(), "LFM2AudioProcessor") is None


def test_every_case_with_a_frame_gives_a_signature_and_bugs_add_theirs():
    bug = get_bug("processor-device")
    (case,) = bug.cases
    assert derived(case).frames == ("processor.py:from_pretrained",)
    assert signatures_of(bug) == (derived(case), *bug.signatures) and bug.signatures


def test_a_message_alone_from_several_bugs_is_a_tie_the_result_explains(triaged):
    found = triaged(
        "LFM2AudioProcessor.from_pretrained then LFM2AudioModel.from_pretrained: RuntimeError: No CUDA GPUs are available"
    )
    assert [hit.bug for hit in found.matches] == ["processor-device", "model-device"]
    assert "processor-device, model-device match equally" in found.tie
    assert "processor.py:from_pretrained" in found.tie and "model/lfm2_audio.py:from_pretrained" in found.tie


def test_matches_are_ranked_by_their_evidence():
    frame = Frame(SITE + "processor.py", 151, "audio_detokenizer")
    errors = (
        raised("RuntimeError", "No CUDA GPUs are available", frame),
        Raised(None, "LFM2AudioProcessor: No CUDA GPUs are available", (), 9),
    )
    ranked = best(BUGS, errors, "LFM2AudioProcessor")
    assert [found.bug for found in ranked] == ["detokenizer-device", "processor-device"]
    assert ranked[0].score > ranked[1].score
