"""A bare liquid-audio ASR loop: the yardstick for the benchmark harness's overhead. Standalone.

    python bare_loop_child.py CHECKPOINT_DIR AUDIO... [--device cpu] [--dtype float32]
                        [--max-new-tokens N[,N...]] [--runs N] [--warmup N]

The README's ASR recipe and nothing else: load processor and model once, then per clip a ChatState
with "Perform ASR.", the audio as a (1, n) float tensor, ``generate_sequential`` and the text tokens
decoded. Audio files must be mono (they are read with soundfile; ``add_audio`` resamples). Reports
one ``result`` record (``lfmdoctor.child_protocol``): ``loop_s`` (wall time of the measured loop, all
runs), ``loop_cpu_s`` (CPU time of the process over it), ``clip_s`` (per clip, one time per run),
``texts`` (last run). ``python -m lfmdoctor.bench.overhead`` runs it against ``lfmdoctor bench``.
"""

import argparse
import importlib.util
import os
import time
from pathlib import Path

import soundfile as sf
import torch
from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor

# lfmdoctor/child_protocol.py, by path (lfmdoctor may not be importable here): in the folder above when
# installed (lfmdoctor/<sub>/this file), in its lfmdoctor/ folder in the source tree (<sub>/ beside it).
_UP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_AT = next(d for d in (_UP, os.path.join(_UP, "lfmdoctor")) if os.path.isfile(os.path.join(d, "child_protocol.py")))
_SPEC = importlib.util.spec_from_file_location("lfmdoctor_child_protocol", os.path.join(_AT, "child_protocol.py"))
protocol = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(protocol)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("audio", nargs="+")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--max-new-tokens", default="512")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args(argv)
    budgets = [int(n) for n in args.max_new_tokens.split(",")]
    budgets = budgets * len(args.audio) if len(budgets) == 1 else budgets
    dtype = getattr(torch, args.dtype)

    processor = LFM2AudioProcessor.from_pretrained(Path(args.checkpoint), device=args.device).eval()
    model = LFM2AudioModel.from_pretrained(Path(args.checkpoint), device=args.device, dtype=dtype).eval()
    clips = []
    for path in args.audio:
        wave, rate = sf.read(path, dtype="float32")
        clips.append((torch.from_numpy(wave).unsqueeze(0), rate))

    def asr(wave, rate, budget):
        chat = ChatState(processor, dtype=dtype)
        chat.new_turn("system")
        chat.add_text("Perform ASR.")
        chat.end_turn()
        chat.new_turn("user")
        chat.add_audio(wave, rate)
        chat.end_turn()
        chat.new_turn("assistant")
        tokens = [t for t in model.generate_sequential(**chat, max_new_tokens=budget) if t.numel() == 1]
        return processor.text.decode(torch.cat(tokens), skip_special_tokens=True) if tokens else ""

    for _ in range(args.warmup):
        asr(*clips[0], budgets[0])
    clip_s, texts = [[] for _ in clips], []
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(args.runs):
        texts = []
        for index, ((wave, rate), budget) in enumerate(zip(clips, budgets)):
            clip_started = time.perf_counter()
            texts.append(asr(wave, rate, budget))
            clip_s[index].append(time.perf_counter() - clip_started)
    loop_s, loop_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    protocol.emit("result", loop_s=loop_s, loop_cpu_s=loop_cpu_s, clip_s=clip_s, texts=texts)


if __name__ == "__main__":
    main()
