"""Build a tiny, seeded, randomly initialised checkpoint with the file layout of LFM2.5-Audio-1.5B.

Standalone on purpose: it runs inside the *target* interpreter (which has torch, transformers and
liquid-audio but maybe not lfmdoctor) and is copied verbatim into emitted reproducer scripts.

    python fixture_builder.py OUT_DIR [--seed N] [--detokenizer] [--mimi] [--steer]

With --steer the weights are set so that generation follows SCRIPT from the files alone (greedy or sampled,
sequential or interleaved, whatever the prompt): the assistant says "Hi!", then <|text_end|>, <|audio_start|>,
SCRIPT_FRAMES audio frames, the end-of-audio frame and <|im_end|>.

Layout written (as on the hub):
    config.json, model.safetensors, tokenizer.json, tokenizer_config.json
    audio_detokenizer/{config.json,model.safetensors}     with --detokenizer
    tokenizer-e351c8d8-checkpoint125.safetensors          with --mimi
"""

import argparse
import json
import sys
from pathlib import Path

# Token ids the liquid-audio generation loop checks by number.
SPECIAL_TOKENS = {
    0: "<|pad|>",
    1: "<|startoftext|>",
    2: "<|endoftext|>",
    6: "<|im_start|>",
    7: "<|im_end|>",
    128: "<|audio_start|>",
    129: "<|audio_end|>",
    130: "<|text_end|>",
}
BYTE_TOKENS_START = 256
TEXT_VOCAB = 512
HIDDEN = 32

CONFIG = {
    "architectures": ["LFM2AudioModel"],
    "codebooks": 8,
    "tie_audio_embeddings": False,
    "semantic_codebook_factor": 100,
    "codebook_weight": "log",
    "interleaved_n_text": 6,
    "interleaved_n_audio": 12,
    "preprocessor": {
        "sample_rate": 16000,
        "normalize": "per_feature",
        "window_size": 0.025,
        "window_stride": 0.01,
        "window": "hann",
        "features": 128,
        "n_fft": 512,
        "log": True,
        "frame_splicing": 1,
        "dither": 1e-05,
        "pad_to": 0,
        "pad_value": 0.0,
    },
    "encoder": {
        "feat_in": 128,
        "feat_out": -1,
        "n_layers": 1,
        "d_model": HIDDEN,
        "subsampling": "dw_striding",
        "subsampling_factor": 8,
        "subsampling_conv_channels": 16,
        "causal_downsampling": False,
        "reduction": None,
        "reduction_position": None,
        "reduction_factor": 1,
        "ff_expansion_factor": 2,
        "self_attention_model": "rel_pos",
        "n_heads": 2,
        "att_context_size": [-1, -1],
        "xscaling": False,
        "untie_biases": True,
        "pos_emb_max_len": 5000,
        "conv_kernel_size": 9,
        "conv_norm_type": "batch_norm",
        "conv_context_size": None,
        "dropout": 0.1,
        "dropout_pre_encoder": 0.1,
        "dropout_emb": 0.0,
        "dropout_att": 0.1,
    },
    "lfm": {
        "vocab_size": TEXT_VOCAB,
        "hidden_size": HIDDEN,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "max_position_embeddings": 4096,
        "layer_types": ["conv", "full_attention"],
        "block_auto_adjust_ff_dim": False,
        "conv_L_cache": 3,
        "norm_eps": 1e-05,
        "pad_token_id": 0,
        "bos_token_id": 1,
        "eos_token_id": 7,
    },
    # The depthformer attention uses 32 heads: dim must be >= 64 with an even head size.
    "depthformer": {"layers": 1, "dim": 64, "tie": True},
}

DETOKENIZER_CONFIG = {
    "architectures": ["Lfm2Model"],
    "model_type": "lfm2",
    "vocab_size": 16,
    "hidden_size": 512,  # LFM2AudioDetokenizer hard-codes 512
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 8,
    "num_key_value_heads": 8,
    "max_position_embeddings": 4096,
    "layer_types": ["conv", "sliding_attention"],
    "sliding_window": 30,
    "block_auto_adjust_ff_dim": False,
    "conv_L_cache": 3,
    "norm_eps": 1e-05,
}

MIMI_FILE = "tokenizer-e351c8d8-checkpoint125.safetensors"

# The steered checkpoint's script, from the newline that ends "<|im_start|>assistant\n" to <|im_end|>.
SCRIPT_TEXT = "Hi!"
SCRIPT_FRAMES = 4
TEXT_END, AUDIO_START, IM_END = 130, 128, 7
END_OF_AUDIO = 2048
TEXT_GAIN, LOGIT_SCALE = 16.0, 20.0  # margins that keep sampling at any usual temperature on the script


def write_tokenizer(out):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {f"<|reserved_{i}|>": i for i in range(BYTE_TOKENS_START)}
    for token_id, token in SPECIAL_TOKENS.items():
        del vocab[f"<|reserved_{token_id}|>"]
        vocab[token] = token_id
    for offset, char in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet())):
        vocab[char] = BYTE_TOKENS_START + offset
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS.values()])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|startoftext|>",
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
    )
    fast.save_pretrained(str(out))
    # transformers 5 writes its own backend name; 4.x (needed by liquid-audio <= 1.1.0) only knows this one.
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def bf16_state_dict(module):
    """Weights in bfloat16, each tied tensor once (the loader re-ties them, as for the real checkpoint)."""
    import torch

    seen = set()
    weights = {}
    for name, tensor in module.state_dict(keep_vars=True).items():
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        weights[name] = tensor.detach().to(torch.bfloat16).contiguous()
    return weights


def frame_codes(frame):
    """The 8 codes of the script's audio frame ``frame`` (0-based), each below 2048 (Mimi decodes them)."""
    return [64 * (frame + 1) + codebook for codebook in range(CONFIG["codebooks"])]


def script_states(tokenizer):
    """The script as (kind, value) inputs, in order: each one's output is the next text and the next frame."""
    text = tokenizer.encode(SCRIPT_TEXT, add_special_tokens=False)
    start = tokenizer.encode("\n", add_special_tokens=False)
    frames = [("frame", frame) for frame in range(SCRIPT_FRAMES)]
    states = [("text", t) for t in [*start, *text, TEXT_END, AUDIO_START]] + frames + [("frame", END_OF_AUDIO)]
    assert len({value for kind, value in states if kind == "text"}) == len(text) + 3, "script text tokens must be unique"
    return [*states, ("text", IM_END)]


def steer(model, tokenizer):
    """Weights that make generation follow the script whatever the prompt, from the last input alone.

    Token mixing is off (conv, attention and depthformer output projections are zero), so the LM's output is a
    function of its current input. Dims 0-15 carry the input's state, one-hot; the first MLP maps it to the next
    text token and the next audio frame in dims 16-31; the final norm reads only those. The text head is the
    (tied) token embedding; depth_linear turns the frame dim into each codebook's code, kept by the depthformer.
    """
    import torch

    states = script_states(tokenizer)
    hidden, codebooks, half = HIDDEN, CONFIG["codebooks"], HIDDEN // 2
    outputs = list(dict.fromkeys(states[1:]))
    assert len(states) - 1 <= half and len(outputs) <= half, "the script does not fit the hidden size"
    slot = {state: half + i for i, state in enumerate(outputs)}  # output dim of each text token / frame
    frame_dim = {state: i for i, state in enumerate(s for s in outputs if s[0] == "frame")}  # depthformer dim
    lfm, ffn = model.lfm, model.lfm.layers[0].feed_forward
    depth = model.depth_embeddings
    with torch.no_grad():
        for layer in lfm.layers:
            (layer.self_attn.out_proj if hasattr(layer, "self_attn") else layer.conv.out_proj).weight.zero_()
            layer.feed_forward.w2.weight.zero_()
            layer.ffn_norm.weight.copy_(torch.arange(hidden) < half)
        for block in model.depthformer.layers:
            block.operator.out_proj.weight.zero_()
            block.feed_forward.w2.weight.zero_()
        for tensor in (lfm.embed_tokens.weight, model.audio_embedding.embedding.weight, ffn.w1.weight, ffn.w3.weight):
            tensor.zero_()
        for tensor in (model.depth_linear.weight, model.depth_linear.bias, *(d.embedding.weight for d in depth)):
            tensor.zero_()
        lfm.embedding_norm.weight.copy_(torch.zeros(hidden))
        for state in outputs:
            lfm.embedding_norm.weight[slot[state]] = TEXT_GAIN if state[0] == "text" else 1.0
        for state, dim in frame_dim.items():
            for codebook in range(codebooks):
                model.depth_linear.weight[codebook * model.depthformer_dim + dim, slot[state]] = 4.0
                code = END_OF_AUDIO if state[1] == END_OF_AUDIO else frame_codes(state[1])[codebook]
                depth[codebook].embedding.weight[code, dim] = LOGIT_SCALE
        for index, state in enumerate(states[:-1]):
            later = states[index + 1 :]
            if state[0] == "text":
                lfm.embed_tokens.weight[state[1], index] = 1.0
            else:
                codes = [END_OF_AUDIO] * codebooks if state[1] == END_OF_AUDIO else frame_codes(state[1])
                for codebook, code in enumerate(codes):
                    model.audio_embedding.embedding.weight[code + codebook * model.audio_vocab_size, index] = 1 / codebooks
            ffn.w1.weight[index, index], ffn.w3.weight[index, index] = 4.0, 1.0
            for kind in ("text", "frame"):
                target = next((s for s in later if s[0] == kind), None)
                if target is not None:
                    ffn.w2.weight[slot[target], index] = 1.0
        for state in outputs:
            if state[0] == "text":
                lfm.embed_tokens.weight[state[1], slot[state]] = 1.0


def write_model(out, steered=False):
    from liquid_audio.model.conformer.encoder import ConformerEncoderConfig
    from liquid_audio.model.lfm2_audio import DepthformerConfig, LFM2AudioConfig, LFM2AudioModel
    from liquid_audio.processor import PreprocessorConfig
    from safetensors.torch import save_file
    from transformers import Lfm2Config

    config = json.loads(json.dumps(CONFIG))
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    conf = LFM2AudioConfig(
        lfm=Lfm2Config(**config.pop("lfm")),
        encoder=ConformerEncoderConfig(**config.pop("encoder")),
        depthformer=DepthformerConfig(**config.pop("depthformer")),
        preprocessor=PreprocessorConfig(**config.pop("preprocessor")),
        **config,
    )
    model = LFM2AudioModel(conf)
    if steered:
        from transformers import AutoTokenizer

        steer(model, AutoTokenizer.from_pretrained(str(out)))
    save_file(bf16_state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})


def write_detokenizer(out):
    try:
        from liquid_audio.detokenizer import LFM2AudioDetokenizer
    except ImportError:
        sys.exit("this liquid-audio release has no LFM2AudioDetokenizer (added in 1.1.0); build without --detokenizer")
    from safetensors.torch import save_file
    from transformers import Lfm2Config

    folder = out / "audio_detokenizer"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(DETOKENIZER_CONFIG, indent=2) + "\n")
    config = Lfm2Config.from_dict(dict(DETOKENIZER_CONFIG, layer_types=["conv", "full_attention"]))
    detok = LFM2AudioDetokenizer(config)
    save_file(bf16_state_dict(detok), str(folder / "model.safetensors"), metadata={"format": "pt"})


def write_mimi(out):
    from liquid_audio import moshi
    from safetensors.torch import save_file

    mimi = moshi.models.loaders.get_mimi(None, device="cpu")
    save_file(bf16_state_dict(mimi), str(out / MIMI_FILE), metadata={"format": "pt"})


def build(out, seed=0, detokenizer=False, mimi=False, steered=False):
    import torch

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    write_tokenizer(out)
    write_model(out, steered)
    if detokenizer:
        write_detokenizer(out)
    if mimi:
        write_mimi(out)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--detokenizer", action="store_true")
    parser.add_argument("--mimi", action="store_true")
    parser.add_argument("--steer", action="store_true")
    args = parser.parse_args(argv)
    build(args.out, seed=args.seed, detokenizer=args.detokenizer, mimi=args.mimi, steered=args.steer)


if __name__ == "__main__":
    main()
