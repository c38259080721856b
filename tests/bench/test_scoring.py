"""WER / CER with S/D/I counts (jiwer on normalised text) and the output-quality flags."""

from __future__ import annotations

import pytest

from lfmdoctor.bench.scoring import (
    compression_ratio,
    longest_repeat,
    median,
    quality_flags,
    score,
    score_texts,
)


def test_counts_for_one_clip():
    counts = score(["the cat sat on the mat"], ["the cat sit on mat mat extra"])
    assert (counts.substitutions, counts.deletions, counts.insertions, counts.hits) == (2, 0, 1, 4)
    assert counts.ref_words == 6
    assert counts.wer == pytest.approx(3 / 6)


def test_corpus_figures_are_pooled_not_averaged():
    counts = score(["a b c d e f g h i j", "x"], ["a b c d e f g h i j", "y"])
    assert counts.wer == pytest.approx(1 / 11)  # the mean of per-clip WERs would be 0.5


def test_cer_counts_characters():
    counts = score(["abcd"], ["abed"])
    assert counts.cer == pytest.approx(0.25)
    assert counts.ref_chars == 4 and counts.char_errors == 1


def test_normalisation_happens_before_scoring():
    counts = score_texts("It's 10 o'clock, Mr. Smith!", "it is ten o clock mister smith")
    assert counts.wer == 0.0 and counts.cer == 0.0


def test_empty_hypothesis_is_all_deletions():
    counts = score(["one two three"], [""])
    assert (counts.deletions, counts.wer, counts.cer) == (3, 1.0, 1.0)


def test_empty_reference_is_refused():
    with pytest.raises(ValueError, match="empty"):
        score([""], ["x"])


def test_longest_repeat():
    assert longest_repeat(["a", "b", "a", "b", "a", "b", "a", "b", "c"]) == 4
    assert longest_repeat(["the", "the", "the"]) == 3
    assert longest_repeat(["no", "repeats", "here", "at", "all"]) == 1
    assert longest_repeat([]) == 0


def test_clean_output_has_no_flags():
    text = "The quick brown fox jumps over the lazy dog."
    assert quality_flags(text, 3.0, hit_token_limit=False, insertions=0, ref_words=9) == []


def test_truncated():
    assert quality_flags("the quick brown", 3.0, hit_token_limit=True) == ["truncated"]


def test_repetitive():
    looping = "thank you " * 12
    assert "repetitive" in quality_flags(looping, 10.0, hit_token_limit=False)
    assert compression_ratio(looping) > 2.4
    assert quality_flags("", 3.0, hit_token_limit=True, token_repeat=63) == ["truncated", "repetitive"]


def test_hallucinated_by_density_and_by_insertions():
    many = " ".join(f"word{i}" for i in range(40))
    assert "hallucinated" in quality_flags(many, 2.0, hit_token_limit=False)
    flags = quality_flags("the cat sat on a big warm soft mat", 3.0, hit_token_limit=False, insertions=5, ref_words=4)
    assert flags == ["hallucinated"]


def test_median_skips_missing():
    assert median([3.0, None, 1.0, 2.0]) == 2.0
    assert median([None]) is None
