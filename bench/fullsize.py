"""``--model full-size``: the published LFM2.5-Audio-1.5B architecture with random weights, timed without the weights.

The configuration below is LiquidAI's ``config.json`` as the sources in ``SOURCES`` give it; the ASR child
builds ``LFM2AudioModel`` from it in memory (``random_model_child.py``) and the processor from a folder
holding the same ``config.json`` and the built-in tiny checkpoint's tokenizer (same special-token ids). Random
weights never emit the stop token, so each chunk's text-token count is forced to what the real model would
write for its speech (``forced_counts``): timing only, never accuracy.

Pure, except ``ensure_folder`` (writes the folder into lfmdoctor's cache), ``available_memory`` (reads
/proc/meminfo) and ``reference_tokenizer`` (looks for the real tokenizer in the local Hugging Face cache).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from lfmdoctor.repro import fixture_builder

BUILDER = Path(__file__).with_name("random_model_child.py")
NAME = "full-size"
REPO = "LiquidAI/LFM2.5-Audio-1.5B"
LABEL = "real architecture, random weights: timing only, no accuracy"

# Where each number comes from (read 2026-11-28). Where sources agree, the first one is cited at the key.
SOURCES = {
    "card": "huggingface.co/LiquidAI/LFM2.5-Audio-1.5B and /LFM2-Audio-1.5B model cards: LM 1.2B parameters, "
    "FastConformer encoder 115M (canary-180m-flash), 1.5B in all, 65,536 text tokens, 2049 x 8 audio codes, bfloat16",
    "files": "huggingface.co/LiquidAI/LFM2-Audio-1.5B/tree/main: model.safetensors 2.94 GB in bfloat16 (1.47B parameters)",
    "lfm2": "huggingface.co/LiquidAI/LFM2-1.2B config.json (the backbone, base_model of the audio cards): hidden 2048, "
    "16 layers, attention at 2 5 8 10 12 14, 32 heads / 8 KV, block_ff_dim 12288 auto-adjusted to 8192, multiple_of 256, "
    "conv_L_cache 3, rope_theta 1e6, vocab 65536",
    "mlx": "github.com/Blaizzy/mlx-audio mlx_audio/sts/models/lfm_audio/config.py (LFM2.5-Audio port, defaults taken "
    "from the checkpoint): preprocessor, encoder (17 layers, d_model 512, 8 heads, ff x4, dw_striding x8 with 256 "
    "channels, kernel 9, batch norm, rel_pos), depthformer (6 layers, dim 1024, tied), codebooks 8, "
    "semantic_codebook_factor 100, log codebook weights, interleaved 6 text / 12 audio",
    "llama.cpp": "github.com/ggml-org/llama.cpp convert_hf_to_gguf.py LFM2AudioModel (reads encoder d_model, n_heads, "
    "feat_in from config.json) and tools/liquid-audio; a GGUF card derived from it: 17-layer FastConformer 512-dim "
    "8 heads, adapter LayerNorm + Linear(512->2048) + GELU + Linear(2048->2048), 16-layer LFM2 2048-dim 32/8 heads, "
    "6-layer 1024-dim depthformer",
}

LFM_ATTENTION_LAYERS = (2, 5, 8, 10, 12, 14)  # lfm2

CONFIG = {
    "architectures": ["LFM2AudioModel"],
    "codebooks": 8,  # card, mlx
    "tie_audio_embeddings": False,  # mlx
    "semantic_codebook_factor": 100,  # mlx
    "codebook_weight": "log",  # mlx
    "interleaved_n_text": 6,  # mlx
    "interleaved_n_audio": 12,  # mlx
    # mlx: 16 kHz, per-feature normalised log-mel, 128 features, 25 ms hann windows every 10 ms, n_fft 512,
    # dither 1e-5: the tiny checkpoint was built with exactly these (liquid-audio hard-codes the 128 features)
    "preprocessor": dict(fixture_builder.CONFIG["preprocessor"]),
    # mlx, llama.cpp (canary-180m-flash's FastConformer): 17 layers, 512 wide, 8 heads, feed-forward x4, 256
    # subsampling channels. The rest (dw_striding x8, rel_pos attention, kernel 9, batch norm, no xscaling,
    # untied biases, the dropouts) is the same in mlx's defaults and in the tiny checkpoint, taken from there.
    "encoder": {
        **fixture_builder.CONFIG["encoder"],
        "n_layers": 17,
        "d_model": 512,
        "n_heads": 8,
        "ff_expansion_factor": 4,
        "subsampling_conv_channels": 256,
    },
    "lfm": {  # lfm2 (LFM2-1.2B), llama.cpp
        "vocab_size": 65536,
        "hidden_size": 2048,
        "intermediate_size": 12288,
        "block_auto_adjust_ff_dim": True,  # 2/3 of 12288, rounded to 256: 8192 in the feed-forward
        "block_multiple_of": 256,
        "block_ffn_dim_multiplier": 1.0,
        "num_hidden_layers": 16,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "max_position_embeddings": 128000,
        "layer_types": ["full_attention" if i in LFM_ATTENTION_LAYERS else "conv" for i in range(16)],
        "conv_L_cache": 3,
        "norm_eps": 1e-05,
        "rope_theta": 1000000.0,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 7,
    },
    "depthformer": {"layers": 6, "dim": 1024, "tie": True},  # mlx, llama.cpp
}

# Published figures (card) and what LFM2AudioModel(CONFIG) has (tests/bench/test_fullsize.py counts it).
# ``total`` counts the weights as model.safetensors stores them: 1,470,291,072 x 2 bytes = 2.94 GB, the
# published file size. In memory the 8 depthformer embeddings share their logits weights (tie: true), so
# the model holds DISTINCT_PARAMETERS.
PUBLISHED = {"total": 1_500_000_000, "backbone": 1_200_000_000, "encoder": 115_000_000}
PARAMETERS = {"total": 1_470_291_072, "backbone": 1_170_340_608, "encoder": 114_796_544}
DISTINCT_PARAMETERS = 1_453_505_664
TOLERANCE = 0.03

BYTES = {"float32": 4, "bfloat16": 2}
# Peak RSS beyond the weights while transcribing on CPU (torch, liquid-audio, activations, KV cache):
# benchmarks/full_size.py measured 4,036 MiB in bfloat16 for 2,772 MiB of weights (1.23 GiB more), with a
# 23 s chunk; rounded up for longer chunks.
RUNTIME_OVERHEAD = 1.5 * 2**30
# CPU dtype, by measurement (benchmarks/full_size.py, 2-core AMD EPYC with AVX-512 BF16, 2026-11-28):
# bfloat16 median RTF 0.49 (7.1-8.5 tokens/s) against float32 1.52 (2.2-3.0 tokens/s), in half the memory.
CPU_DTYPE = "bfloat16"

# Text tokens per second of speech when no reference says otherwise (the built-in clips' average, forced
# through ``estimate_tokens``): used by ``check --perf`` and the long-audio projection.
SPEECH_TOKENS_PER_S = 3.5
# The public write-up's anchor (Apple MPS): RTF 0.212 on a 163 s clip, 1.076 on a 10 s clip.
ANCHOR_SECONDS = 163.0

# LFM2's byte-level BPE splits text like GPT-4's pre-tokenizer: letters with their leading space or
# punctuation mark, digits in threes, other symbols in runs. One piece is one token for common English
# words in its 65,536 vocabulary; longer words split further.
_PIECE = re.compile(r"'(?:s|t|re|ve|m|ll|d)\b|[^\W\d_]+|\d{1,3}|[^\w\s]+", re.IGNORECASE)
LONG_WORD = 8  # letters one token covers before a word splits
EXTRA_EVERY = 5  # one more token per this many letters beyond LONG_WORD


def estimate_tokens(text: str) -> int:
    """Text tokens LFM2's tokenizer makes of ``text`` (an estimate; see ``reference_tokenizer`` for the exact count)."""
    count = 0
    for piece in _PIECE.findall(text):
        count += 1
        if piece.isalpha() and len(piece) > LONG_WORD:
            count += math.ceil((len(piece) - LONG_WORD) / EXTRA_EVERY)
    return count


def reference_tokenizer() -> tuple[Callable[[str], int], str] | None:
    """(count function, where from) for the real LFM2 tokenizer when it is in the local Hugging Face cache."""
    try:
        from huggingface_hub import try_to_load_from_cache
        from tokenizers import Tokenizer
    except ImportError:
        return None
    for repo in (REPO, "LiquidAI/LFM2-Audio-1.5B"):
        try:
            path = try_to_load_from_cache(repo, "tokenizer.json")
        except Exception:  # a cache it cannot read is no cache
            continue
        if isinstance(path, str) and os.path.isfile(path):
            try:
                tokenizer = Tokenizer.from_file(path)
            except Exception:
                continue
            return partial(_tokenizer_count, tokenizer), f"{repo} tokenizer"
    return None


def _tokenizer_count(tokenizer: Any, text: str) -> int:
    return len(tokenizer.encode(text, add_special_tokens=False).ids)


def token_counter() -> tuple[Callable[[str], int], str]:
    return reference_tokenizer() or (estimate_tokens, "estimate")


def forced_counts(tokens: int, chunks: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """Split a transcript's ``tokens`` over ``chunks`` by their length (largest remainder), at least 1 each."""
    lengths = [max(0, end - start) for start, end in chunks]
    total = sum(lengths)
    if not chunks:
        return ()
    if total == 0:
        return tuple(max(1, tokens // len(chunks)) for _ in chunks)
    shares = [tokens * length / total for length in lengths]
    counts = [math.floor(share) for share in shares]
    by_remainder = sorted(range(len(chunks)), key=lambda i: shares[i] - counts[i], reverse=True)
    for index in by_remainder[: tokens - sum(counts)]:
        counts[index] += 1
    return tuple(max(1, count) for count in counts)


def memory_needed(dtype: str) -> int:
    """Bytes of memory the full-size model needs to transcribe in ``dtype``: weights plus the runtime."""
    return DISTINCT_PARAMETERS * BYTES[dtype] + int(RUNTIME_OVERHEAD)


def available_memory() -> int | None:
    """Bytes a new process can use on the CPU (MemAvailable on Linux, else physical memory), or None."""
    from lfmdoctor.child_protocol import load_file

    return load_file("lfmdoctor_random_model", BUILDER).available_bytes(None, "cpu")


def gib(value: float) -> str:
    return f"{value / 2**30:.1f} GB"


def folder_key() -> str:
    return hashlib.sha256(json.dumps(CONFIG, sort_keys=True).encode()).hexdigest()[:16]


def ensure_folder(tokenizer_from: Path, cache: Path) -> Path:
    """``cache``/fixtures/full-size-<key>: CONFIG as config.json and the tokenizer files of ``tokenizer_from``.

    No weights: the ASR child builds them in memory. Written to a temporary sibling and renamed into place.
    """
    target = cache / "fixtures" / f"{NAME}-{folder_key()}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        (staging / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
        for source in tokenizer_from.iterdir():
            if source.name.startswith(("tokenizer", "special_tokens")) and source.suffix == ".json":
                shutil.copyfile(source, staging / source.name)
        os.chmod(staging, 0o755)
        try:
            os.replace(staging, target)
        except OSError:
            if not (target / "config.json").is_file():  # not merely another process finishing first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
