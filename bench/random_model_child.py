"""A randomly initialised LFM2-Audio model of any size, built in memory through liquid-audio's own classes.

Standalone on purpose: it runs in the *target* interpreter (torch and liquid-audio, maybe not lfmdoctor).
The ASR child (``asr_child.py``) loads it by path for ``bench --model full-size``; run as a script it builds
the model once and reports what that cost:

    python random_model_child.py < job.json
    job:    {config: <a config.json dict, as LiquidAI's checkpoints have it>, dtype: "bfloat16"|"float32", seed}
    events: built {parameters: {total, backbone, encoder}, build_s, rss_peak_mb, dtype}
            error {stage, error_type, message}

Compute cost does not depend on the weight values, so a model with the real dimensions costs per token
what the real one costs. The module tree is ``LFM2AudioModel(conf)``, the config parsed exactly as
``LFM2AudioModel.from_pretrained`` parses ``config.json``; only the weights' values are drawn here. The
parameters are created on the meta device first and then filled with normal noise scaled by 1/sqrt(fan-in),
copied from a seeded pool (a per-tensor random offset into it), directly in the target dtype: liquid-audio's
own initialisers take 35 s for 1.5B parameters in bfloat16 on 2 CPU cores, the pool a few seconds, and the peak memory
stays the size of the model in that dtype.

Random weights never choose the stop token: ``forced_text_tokens`` makes the generation loop emit exactly
``count`` text tokens and then ``<|im_end|>``, as the real model does after a transcript. The logits are
still computed and argmax'd at every step; only the chosen id is replaced where it would end the turn
early (7) or switch to audio output (128).
"""

import contextlib
import importlib.util
import json
import os
import sys
import time

_UP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_AT = next(d for d in (_UP, os.path.join(_UP, "lfmdoctor")) if os.path.isfile(os.path.join(d, "child_protocol.py")))
_SPEC = importlib.util.spec_from_file_location("lfmdoctor_child_protocol", os.path.join(_AT, "child_protocol.py"))
protocol = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(protocol)

IM_END = 7  # <|im_end|>: generate_sequential stops
AUDIO_START = 128  # <|audio_start|>: generate_sequential switches to audio frames
FILLER = 300  # a plain text token (byte-level range of the tiny tokenizer, an ordinary piece in LFM2's)
POOL = (1 << 20) + 7  # noise values drawn once; odd length so tensors do not line up with it


def peak_rss_mb():
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB on Linux


def available_bytes(torch, device):
    """Memory ``device`` can still give: free CUDA memory, else what the OS can give a process (MPS shares it)."""
    if str(device).startswith("cuda"):
        return torch.cuda.mem_get_info(torch.device(device))[0]
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def memory_problem(torch, device, dtype, need):
    """One line when the model needs more than ``device`` has (``need``: bytes per dtype name), else None."""
    needed = need.get(dtype)
    available = available_bytes(torch, device) if needed else None
    if available is None or available >= needed:
        return None
    return (
        f"LFM2.5-Audio-1.5B needs ~{needed / 2**30:.1f} GB in {dtype} and {device} has {available / 2**30:.1f} GB available: "
        "it would not fit, so it was not built"
    )


def model_config(config):
    """``LFM2AudioConfig`` from a config.json dict, the way ``LFM2AudioModel.from_pretrained`` builds it."""
    from liquid_audio.model.conformer.encoder import ConformerEncoderConfig
    from liquid_audio.model.lfm2_audio import DepthformerConfig, LFM2AudioConfig
    from transformers import Lfm2Config

    config = json.loads(json.dumps(config))
    return LFM2AudioConfig(
        lfm=Lfm2Config(**config.pop("lfm")),
        encoder=ConformerEncoderConfig(**config.pop("encoder")),
        depthformer=DepthformerConfig(**config.pop("depthformer")),
        **config,
    )


def _fill(tensor, pool, generator):
    """``tensor`` (contiguous) <- consecutive ``pool`` values from a random offset (``pool`` holds them twice)."""
    import torch

    flat = tensor.view(-1)
    offset = int(torch.randint(0, POOL, (1,), generator=generator))
    for start in range(0, flat.numel(), POOL):
        piece = flat[start : start + POOL]
        piece.copy_(pool[offset : offset + piece.numel()])


def build(config, dtype="float32", seed=0, device="cpu"):
    """``LFM2AudioModel`` with random weights in ``dtype`` on ``device``, in eval mode, attention as liquid-audio picks it."""
    import torch
    from accelerate import init_empty_weights
    from liquid_audio.model.lfm2_audio import LFM2AudioModel

    dtype = getattr(torch, dtype) if isinstance(dtype, str) else dtype
    conf = model_config(config)
    with init_empty_weights(include_buffers=False):
        model = LFM2AudioModel(conf)
    # init_empty_weights re-registers every parameter, which unties what the constructor tied: tie again.
    if model.depthformer_tie:
        for embedding in model.depth_embeddings:
            embedding.to_logits.weight = embedding.embedding.weight
    if conf.tie_audio_embeddings:
        model.audio_embedding.to_logits.weight = model.audio_embedding.embedding.weight
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(POOL, generator=generator)
    noise = torch.cat([noise, noise])
    pools = {}  # fan-in -> the noise scaled by 1/sqrt(fan-in), in dtype on device: filling is then a copy
    made = {}  # id(meta parameter) -> (it, its real one): tied weights stay tied
    for module in model.modules():
        for name, meta in list(module._parameters.items()):
            if meta is None:
                continue
            if id(meta) not in made:
                tensor = torch.empty(meta.shape, dtype=dtype, device=device)
                if meta.dim() >= 2:  # matrices, embeddings, convolutions: fan-in scaled noise
                    fan_in = meta.numel() // meta.shape[0]
                    if fan_in not in pools:
                        pools[fan_in] = (noise * fan_in**-0.5).to(device=device, dtype=dtype)
                    _fill(tensor, pools[fan_in], generator)
                elif name == "bias":
                    tensor.zero_()
                else:  # norm scales
                    tensor.fill_(1.0)
                made[id(meta)] = (meta, torch.nn.Parameter(tensor, requires_grad=False))
            module._parameters[name] = made[id(meta)][1]
    del pools, noise
    # The conformer computes its positional table on its parameters' device when built: meta here. Again, for real.
    if getattr(model.conformer.pos_enc, "pe", None) is not None and model.conformer.pos_enc.pe.is_meta:
        del model.conformer.pos_enc.pe
        model.conformer.set_max_audio_length(model.conformer.pos_emb_max_len)
    left = [name for name, tensor in [*model.named_parameters(), *model.named_buffers()] if tensor.is_meta]
    if left:
        raise RuntimeError(f"{len(left)} tensors were not materialised, first {left[0]}: this liquid-audio builds differently")
    model = model.to(device=device, dtype=dtype)  # buffers, as from_pretrained moves and casts them
    # from_pretrained: flash_attention_2 when flash_attn imports, else sdpa. Timing is for the path users get
    # without flash_attn (CPU, MPS, most laptops).
    model.lfm.set_attn_implementation("sdpa")
    return model.eval()


def _count(*modules):
    return sum(p.numel() for module in modules for _, p in module.named_parameters(remove_duplicate=False))


def distinct_parameters(model):
    """Parameters as memory holds them: a tied weight once."""
    return sum(p.numel() for p in model.parameters())


def parameter_counts(model):
    """{total, backbone, encoder}, counted as the checkpoint stores them (every named weight).

    ``total``: every weight of ``model.safetensors`` (2.94 GB in bfloat16 for 1.47B); the 8 depthformer
    embeddings tied to their logits count twice there, once in memory (``distinct_parameters``).
    ``backbone``: the LFM2 language model. ``encoder``: what turns mel features into backbone embeddings,
    the FastConformer and its adapter MLP (LiquidAI's "FastConformer (115M)").
    """
    return {
        "total": _count(model),
        "backbone": _count(model.lfm),
        "encoder": _count(model.conformer, model.audio_adapter),
    }


@contextlib.contextmanager
def forced_text_tokens(model, count):
    """While active, ``model.generate_sequential`` yields exactly ``count`` text tokens, then ``<|im_end|>``.

    Pass ``max_new_tokens=count + 1``. The real sampler still runs on the real logits every step.
    """
    import torch

    sample = model._sample_text_token
    done = 0

    def forced(logits, **kwargs):
        nonlocal done
        token = sample(logits, **kwargs)
        done += 1
        if done > count:
            return torch.full_like(token, IM_END)
        if int(token) in (IM_END, AUDIO_START):
            return torch.full_like(token, FILLER)
        return token

    shadowed = model.__dict__.get("_sample_text_token")
    model._sample_text_token = forced  # the instance attribute shadows the method for this model only
    try:
        yield
    finally:
        if shadowed is None:
            del model._sample_text_token
        else:
            model._sample_text_token = shadowed


def main():
    stage = "import"
    try:
        job = json.loads(sys.stdin.read())
        import torch  # noqa: F401

        stage = "build"
        started = time.perf_counter()
        model = build(job["config"], job.get("dtype", "float32"), int(job.get("seed", 0)))
        protocol.emit(
            "built",
            parameters=parameter_counts(model),
            build_s=time.perf_counter() - started,
            rss_peak_mb=peak_rss_mb(),
            dtype=str(next(model.parameters()).dtype).removeprefix("torch."),
        )
    except Exception as exc:
        protocol.emit("error", stage=stage, error_type=type(exc).__name__, message=protocol.error_line(exc))
        sys.exit(3)


if __name__ == "__main__":
    main()
