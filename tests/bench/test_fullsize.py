"""``--model full-size``: the published configuration, its parameter counts (on the meta device: nothing is
allocated), and the random build and token forcing on a scaled-down copy (CI never builds 1.5B parameters)."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from lfmdoctor.bench import fullsize
from lfmdoctor.child_protocol import load_file

ROOT = Path(__file__).resolve().parents[2]
BUILDER = ROOT / "bench" / "random_model_child.py"


def scaled_config() -> dict:
    """The published configuration with every size cut down; the structure (keys, layer pattern) unchanged."""
    config = copy.deepcopy(fullsize.CONFIG)
    config["encoder"].update(n_layers=1, d_model=32, n_heads=2, subsampling_conv_channels=16, ff_expansion_factor=2)
    config["lfm"].update(
        vocab_size=512,
        hidden_size=64,
        intermediate_size=96,
        block_multiple_of=16,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=2,
        layer_types=["conv", "conv", "full_attention"],
    )
    config["depthformer"].update(layers=1, dim=64)
    return config


# --- the configuration and its sources (no torch) ---


def test_the_configuration_has_the_published_dimensions():
    lfm, encoder, depth = fullsize.CONFIG["lfm"], fullsize.CONFIG["encoder"], fullsize.CONFIG["depthformer"]
    assert (lfm["hidden_size"], lfm["num_hidden_layers"], lfm["vocab_size"]) == (2048, 16, 65536)
    assert [i for i, kind in enumerate(lfm["layer_types"]) if kind == "full_attention"] == [2, 5, 8, 10, 12, 14]
    assert (lfm["num_attention_heads"], lfm["num_key_value_heads"]) == (32, 8)
    assert (encoder["n_layers"], encoder["d_model"], encoder["n_heads"], encoder["subsampling_factor"]) == (17, 512, 8, 8)
    assert (encoder["ff_expansion_factor"], encoder["subsampling_conv_channels"], encoder["conv_kernel_size"]) == (4, 256, 9)
    assert (encoder["subsampling"], encoder["self_attention_model"], encoder["conv_norm_type"]) == (
        "dw_striding",
        "rel_pos",
        "batch_norm",
    )
    assert (depth["layers"], depth["dim"]) == (6, 1024)
    assert fullsize.CONFIG["codebooks"] == 8
    # liquid-audio hard-codes these (notes: 128 mel features, subsampling 8, 32 depthformer heads)
    assert fullsize.CONFIG["preprocessor"]["features"] == encoder["feat_in"] == 128
    assert depth["dim"] % 64 == 0


def test_every_section_names_its_sources():
    text = (ROOT / "bench" / "fullsize.py").read_text()
    lines = text.splitlines()
    for section in ("encoder", "lfm", "depthformer", "preprocessor"):
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(f'"{section}": '))
        cited = " ".join(lines[at - 2 : at + 1])  # on the line, or in the comment above it
        assert "#" in cited and any(source in cited for source in fullsize.SOURCES), lines[at]
    assert all(source in text for source in ("huggingface.co/LiquidAI", "mlx-audio", "llama.cpp"))


def test_the_recorded_counts_are_within_3_percent_of_the_published_ones():
    for part, published in fullsize.PUBLISHED.items():
        assert abs(fullsize.PARAMETERS[part] - published) / published <= fullsize.TOLERANCE, part


def test_memory_needed_is_the_weights_plus_the_runtime():
    assert fullsize.memory_needed("bfloat16") == 2 * fullsize.DISTINCT_PARAMETERS + int(fullsize.RUNTIME_OVERHEAD)
    assert fullsize.memory_needed("float32") > fullsize.memory_needed("bfloat16")
    assert 3.5 * 2**30 < fullsize.memory_needed("bfloat16") < 5 * 2**30


# --- token counts (no torch) ---


def test_token_estimate_counts_words_contractions_digits_and_punctuation():
    assert fullsize.estimate_tokens("The quick brown fox jumps over the lazy dog.") == 10
    assert fullsize.estimate_tokens("It's 10 past 9") == 5  # It 's 10 past 9
    assert fullsize.estimate_tokens("internationalisation") == 1 + 3  # long words split
    assert fullsize.estimate_tokens("") == 0


def test_forced_counts_split_a_transcript_over_chunks_by_length():
    assert fullsize.forced_counts(10, [(0, 100)]) == (10,)
    assert fullsize.forced_counts(10, [(0, 100), (100, 200)]) == (5, 5)
    assert sum(fullsize.forced_counts(11, [(0, 300), (300, 400), (400, 700)])) == 11
    assert fullsize.forced_counts(0, [(0, 10), (10, 20)]) == (1, 1)  # never an empty chunk
    assert fullsize.forced_counts(5, []) == ()


def test_the_built_in_clips_speak_at_the_recorded_token_rate():
    from lfmdoctor.bench.inputs import ASSETS_MANIFEST, assets_dir, read_manifest

    sf = pytest.importorskip("soundfile")
    rows = read_manifest(assets_dir() / ASSETS_MANIFEST)
    tokens = sum(fullsize.estimate_tokens(r.reference) for r in rows)
    seconds = sum(sf.info(str(assets_dir() / r.path)).duration for r in rows)
    assert tokens / seconds == pytest.approx(fullsize.SPEECH_TOKENS_PER_S, abs=0.1)


def test_the_folder_holds_the_config_and_the_tokenizer_only(tmp_path):
    source = tmp_path / "tiny"
    source.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json", "model.safetensors", "config.json"):
        (source / name).write_text("{}")
    folder = fullsize.ensure_folder(source, tmp_path / "cache")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "tokenizer.json", "tokenizer_config.json"]
    assert json.loads((folder / "config.json").read_text()) == fullsize.CONFIG
    assert fullsize.ensure_folder(source, tmp_path / "cache") == folder  # reused


# --- the real liquid-audio classes ---

torch = pytest.importorskip("torch")
pytest.importorskip("liquid_audio")


@pytest.fixture(scope="module")
def builder():
    return load_file("lfmdoctor_random_model_test", BUILDER)


def test_the_full_configuration_counts_within_3_percent_without_allocating(builder):
    from accelerate import init_empty_weights
    from liquid_audio.model.lfm2_audio import LFM2AudioModel

    with init_empty_weights(include_buffers=False):
        model = LFM2AudioModel(builder.model_config(fullsize.CONFIG))
    counts = builder.parameter_counts(model)
    assert counts == fullsize.PARAMETERS
    assert 2 * counts["total"] / 1e9 == pytest.approx(2.94, abs=0.005)  # the published model.safetensors, bfloat16
    tied = sum(e.to_logits.weight.numel() for e in model.depth_embeddings)
    assert counts["total"] - tied == fullsize.DISTINCT_PARAMETERS
    assert model.lfm.layers[0].feed_forward.w1.weight.shape == (8192, 2048)  # 12288 auto-adjusted, as published


@pytest.fixture(scope="module")
def scaled(builder):
    return builder.build(scaled_config(), "float32", seed=0)


def test_the_scaled_copy_is_liquid_audios_model_with_every_weight_real(builder, scaled):
    from liquid_audio.model.lfm2_audio import LFM2AudioModel

    reference = LFM2AudioModel(builder.model_config(scaled_config()))  # liquid-audio's own initialisation
    assert type(scaled) is LFM2AudioModel and not scaled.training
    assert builder.parameter_counts(scaled) == builder.parameter_counts(reference)
    assert builder.distinct_parameters(scaled) == builder.distinct_parameters(reference)
    tensors = [*scaled.parameters(), *scaled.buffers()]
    assert not any(t.is_meta for t in tensors)
    assert all(torch.isfinite(t).all() for t in tensors if t.is_floating_point())
    for embedding in scaled.depth_embeddings:  # depthformer tie=True stays tied
        assert embedding.to_logits.weight is embedding.embedding.weight
    assert scaled.lfm.config._attn_implementation == "sdpa"


def test_the_scaled_copy_builds_in_bfloat16_and_is_seeded(builder, scaled):
    model = builder.build(scaled_config(), "bfloat16", seed=0)
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    weight = model.lfm.embed_tokens.weight
    assert torch.equal(weight.float(), scaled.lfm.embed_tokens.weight.to(torch.bfloat16).float())
    assert weight.float().std().item() == pytest.approx(64**-0.5, rel=0.1)


def _chat(folder: Path):
    from liquid_audio import ChatState, LFM2AudioProcessor

    processor = LFM2AudioProcessor.from_pretrained(folder, device="cpu").eval()
    chat = ChatState(processor, dtype=torch.float32)
    chat.new_turn("user")
    chat.add_audio(torch.randn(1, 16_000) * 0.1, 16_000)
    chat.end_turn()
    chat.new_turn("assistant")
    return chat


@pytest.fixture(scope="module")
def scaled_folder(tmp_path_factory, tiny_checkpoint):
    folder = tmp_path_factory.mktemp("scaled")
    (folder / "config.json").write_text(json.dumps(scaled_config()))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((tiny_checkpoint / name).read_bytes())
    return folder


def test_forcing_emits_exactly_the_count_then_im_end(builder, scaled, scaled_folder):
    with builder.forced_text_tokens(scaled, 5):
        tokens = [int(t) for t in scaled.generate_sequential(**_chat(scaled_folder), max_new_tokens=50)]
    assert len(tokens) == 6 and tokens[-1] == builder.IM_END
    assert not {builder.IM_END, builder.AUDIO_START} & set(tokens[:-1])
    assert "_sample_text_token" not in scaled.__dict__  # the model is as it was


def test_forcing_replaces_an_early_stop_and_the_switch_to_audio(builder, scaled, scaled_folder):
    """Random weights that would stop (7) or switch to audio (128) at once still give the forced count of text."""
    chosen = iter([builder.IM_END, builder.AUDIO_START] * 10)
    scaled._sample_text_token = lambda logits, **kw: torch.tensor([next(chosen)])
    try:
        with builder.forced_text_tokens(scaled, 3):
            tokens = [t for t in scaled.generate_sequential(**_chat(scaled_folder), max_new_tokens=10)]
        assert "_sample_text_token" in scaled.__dict__  # an earlier instance attribute comes back
    finally:
        del scaled._sample_text_token
    assert all(t.numel() == 1 for t in tokens)  # no audio frames: it never switched
    assert [int(t) for t in tokens] == [builder.FILLER] * 3 + [builder.IM_END]


def test_memory_problem_says_so_when_it_cannot_fit(builder):
    assert builder.memory_problem(torch, "cpu", "bfloat16", {"bfloat16": 1}) is None
    message = builder.memory_problem(torch, "cpu", "bfloat16", {"bfloat16": 2**60})
    assert "needs ~" in message and "not built" in message and "\n" not in message
    assert builder.memory_problem(torch, "cpu", "float32", {"bfloat16": 2**60}) is None  # no figure: no refusal


# --- bench --model full-size and check --perf, on the scaled-down copy ---

ASSETS = ROOT / "bench" / "assets"
FOX = "The quick brown fox jumps over the lazy dog."


@pytest.fixture
def scaled_full_size(monkeypatch, tmp_path):
    """``--model full-size`` builds the scaled-down copy (its folder in tmp_path); one torch thread."""
    monkeypatch.setattr(fullsize, "CONFIG", scaled_config())
    write = fullsize.ensure_folder
    monkeypatch.setattr(fullsize, "ensure_folder", lambda tokenizer, cache: write(tokenizer, tmp_path))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


@pytest.mark.slow
def test_bench_full_size_forces_the_token_counts_and_reports_timing_only(scaled_full_size):
    from lfmdoctor.bench.core import FULL_SIZE_NOTE, BenchConfig, run_bench

    config = BenchConfig(
        audio=[str(ASSETS / "asr-fox.flac")], refs=[FOX], model="full-size", warmup=0, baselines=False, chunk_seconds=2
    )
    config.project_seconds = 5.0
    result = run_bench(config)
    assert result.failure is None, result.failure
    s, [clip] = result.summary, result.clips
    assert s.label == fullsize.LABEL and FULL_SIZE_NOTE in result.notes
    assert s.parameters is not None and s.parameters["backbone"] < s.parameters["total"]
    assert s.token_source == "estimate" and s.dtype == fullsize.CPU_DTYPE
    assert clip.chunks == 2 and clip.tokens == fullsize.estimate_tokens(FOX) + 2  # the text, and a stop per chunk
    assert s.wer is s.cer is clip.wer is None and clip.flags == []
    data = result.to_json()["summary"]
    for key in ("rtf", "rtfx", "first_token_s", "tokens_per_s", "peak_mem_mb", "load_s"):
        assert isinstance(data[key], float), key
    p = s.projection
    assert p is not None and p.audio_s == 5.0 and p.chunks == 3  # 5 s in 2 s chunks: 3 of 1.67 s
    assert p.chunk_s == pytest.approx(5 / 3, abs=0.01)
    assert p.chunk_tokens == round(fullsize.estimate_tokens(FOX) / clip.audio_s * p.chunk_s) + 1
    assert p.latency_s == pytest.approx(3 * p.chunk_latency_s, rel=1e-3) and p.rtf == pytest.approx(p.latency_s / 5)


@pytest.mark.slow
def test_bench_full_size_refuses_what_cannot_fit_before_building(scaled_full_size, monkeypatch):
    from lfmdoctor.bench.core import BenchConfig, NotEnoughMemory, run_bench

    monkeypatch.setattr(fullsize, "RUNTIME_OVERHEAD", 2.0**60)
    with pytest.raises(NotEnoughMemory, match=r"needs ~.* GB in bfloat16 .* not built") as caught:
        run_bench(BenchConfig(audio=[str(ASSETS / "asr-fox.flac")], refs=[FOX], model="full-size", baselines=False))
    assert "\n" not in str(caught.value)


def test_full_size_runs_only_through_the_call_site_helpers():
    from lfmdoctor.bench.core import BenchConfig, BenchInputError, run_bench

    with pytest.raises(BenchInputError, match="--strategy callsite"):
        run_bench(BenchConfig(model="full-size", strategy="none"))


def _env():
    from lfmdoctor.results import EnvironmentFacts

    env = EnvironmentFacts.__new__(EnvironmentFacts)
    env.torch = type("TorchFacts", (), {"cuda_available": False, "mps_available": False})()
    return env


@pytest.mark.slow
def test_check_perf_measures_the_probe_and_answers_in_one_line(scaled_full_size):
    from lfmdoctor.diagnose.perf import perf_item, probe
    from lfmdoctor.results import Status

    answer = probe(sys.executable, _env())
    assert answer.measured and answer.fits and answer.problem is None, answer.problem
    assert answer.probe_audio_s == pytest.approx(10.0) and answer.rtf > 0 and answer.long_audio_rtf > 0
    assert answer.per_token_s == pytest.approx(1 / answer.tokens_per_s)
    assert answer.answer.startswith(f"LFM2.5-Audio-1.5B needs ~{answer.needed_gb:.1f} GB in {answer.dtype}; ASR on")
    assert answer.dtype_reason.startswith(f"{answer.dtype}: ")  # chosen by measured throughput
    assert "faster than real time: " in answer.answer and "\n" not in answer.answer
    item = perf_item(answer)
    assert item.summary == answer.answer and item.status in (Status.OK, Status.WARNING)
    assert (item.status is Status.OK) == answer.real_time


def test_check_perf_says_it_will_not_fit_without_trying(monkeypatch):
    from lfmdoctor.bench import core
    from lfmdoctor.diagnose.perf import perf_item, probe
    from lfmdoctor.results import Status

    monkeypatch.setattr(fullsize, "RUNTIME_OVERHEAD", 2.0**60)
    monkeypatch.setattr(core, "run_bench", lambda *a, **k: pytest.fail("tried"))
    answer = probe(sys.executable, _env())
    assert answer.fits is False and not answer.measured
    assert answer.answer.endswith("available: it will not fit")
    assert perf_item(answer).status is Status.ERROR


def test_long_audio_estimate_adds_prefill_per_second_and_time_per_token():
    from lfmdoctor.diagnose.perf import long_audio_rtf

    # 3 s probe: 1 s to the first token, then 10 more tokens at 0.5 s each. 60 s at 2 tokens/s: 3 chunks of 20 s
    # (the chunker fills chunks to 85% of 30 s), each 20/3 s to its first token, then 39 tokens and the stop.
    rtf = long_audio_rtf(3.0, 1.0, 6.0, 11, 2.0, 60.0)
    assert rtf == pytest.approx(3 * (20 / 3 + 0.5 * 40) / 60)
