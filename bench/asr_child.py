"""ASR child process of ``lfmdoctor bench``: imports liquid-audio once and transcribes every clip.

Standalone on purpose: it runs in the *target* interpreter, which has torch and liquid-audio but maybe
not lfmdoctor. It imports torch first, then reads its job (one JSON object) from stdin, so that the
parent can prepare the audio meanwhile; it checks the requested device, then imports liquid-audio.
Each event is one record (``lfmdoctor.child_protocol``: a JSON line whose ``"lfmdoctor"`` key is its kind):

    ready   {liquid_audio, torch, threads, import_s}
    loaded  {device, dtype, load_s, parameters}
    chunk   {clip, run, chunk, text, repeat_run, steps, audio_frames, hit_limit, latency_s,
             first_token_s, rss_peak_mb, cuda_peak_mb, mps_peak_mb}
    projection  {seconds, ...the chunk figures}
    error   {stage, clip, error_type, message, frames}     then exit status 3
    done    {loop_s, loop_cpu_s}

Job: {mode: "user"|"callsite", callsite_file, model, device, dtype, prompt, runs, warmup,
      clips: [{audio: .npy path (frames x channels float32), rate, chunks: [[start, end]], budgets}],
      build: null|{seed, cpu_dtype}, force: bool, projection: null|{seconds, budget}}

``build`` (``--model full-size``, callsite mode): the model is not loaded but built in memory from the
folder's config.json with random weights (``random_model_child.py``, beside this file); its dtype is
``dtype``, else bfloat16 on CUDA and MPS and ``cpu_dtype`` on the CPU; ``loaded`` then also carries
``parameters`` {total, backbone, encoder}. ``force``: each chunk generates exactly ``budget - 1`` text
tokens and then ``<|im_end|>`` (random weights never stop by themselves); its text is not decoded.
``projection``: after the clips, one chunk of ``seconds`` (the first clip repeated) is timed as a
``projection`` event with the ``chunk`` figures.

"callsite" mode goes through lfmdoctor's call-site helpers (loaded from ``callsite_file``). "user"
mode is the seed report's code as written: no ``device=``, liquid-audio's default dtype, and numpy
1-D audio handed to ``ChatState.add_audio``.
"""

import contextlib
import importlib.util
import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

# lfmdoctor/child_protocol.py, by path (lfmdoctor may not be importable here): in the folder above when
# installed (lfmdoctor/<sub>/this file), in its lfmdoctor/ folder in the source tree (<sub>/ beside it).
HERE = os.path.dirname(os.path.abspath(__file__))
_UP = os.path.dirname(HERE)
_AT = next(d for d in (_UP, os.path.join(_UP, "lfmdoctor")) if os.path.isfile(os.path.join(d, "child_protocol.py")))
_SPEC = importlib.util.spec_from_file_location("lfmdoctor_child_protocol", os.path.join(_AT, "child_protocol.py"))
protocol = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(protocol)

# The full-size model's builder and the process's peak memory, from the file beside this one.
random_model = protocol.load_file("lfmdoctor_random_model", os.path.join(HERE, "random_model_child.py"))
peak_rss_mb = random_model.peak_rss_mb

MODEL_RATE = 16_000
EOS = 7  # <|im_end|>
PART = None  # the index of the job this process runs, in a job with several parts


def emit(kind, **fields):
    protocol.emit(kind, **fields, **({"part": PART} if PART is not None else {}))


def short_path(path):
    path = path.replace("\\", "/")
    index = path.rfind("/liquid_audio/")
    return path[index + 1 :] if index >= 0 else path


def fail(stage, exc, clip=None):
    frames = [[short_path(f.filename), f.lineno, f.name] for f in traceback.extract_tb(exc.__traceback__)]
    error_type = type(exc).__module__ + "." + type(exc).__qualname__
    emit("error", stage=stage, clip=clip, error_type=error_type.removeprefix("builtins."), message=str(exc), frames=frames)
    sys.exit(3)


def longest_run(ids):
    best = run = 0
    for index, value in enumerate(ids):
        run = run + 1 if index and value == ids[index - 1] else 1
        best = max(best, run)
    return best


def check_device(torch, device):
    """An explicit --device that this torch cannot use is a usage problem, not a liquid-audio bug."""
    kind = str(device or "auto").split(":", 1)[0]
    if kind == "cuda" and not torch.cuda.is_available():
        reason = "this torch has no CUDA support" if not torch.version.cuda else "no usable CUDA GPU or driver"
    elif kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        reason = "no MPS backend"
    else:
        return
    emit(
        "error",
        stage="device",
        clip=None,
        error_type="DeviceUnavailable",
        message=f"--device {device} is not available here ({reason})",
        frames=[],
    )
    sys.exit(3)


class Asr:
    """One loaded processor + model and the way this mode hands audio over."""

    def __init__(self, job, torch, liquid_audio, at):
        self.torch = torch
        self.ChatState = liquid_audio.ChatState
        self.prompt = job["prompt"]
        self.mode = job["mode"]
        model_path = job["model"]
        source = Path(model_path) if os.path.isdir(model_path) else model_path
        self.parameters = None
        self.builder = None
        build = job.get("build")
        self.force = bool(job.get("force"))
        started = time.perf_counter()
        if self.mode == "callsite":
            self.callsite = protocol.load_file("lfmdoctor_callsite", job["callsite_file"])
            device = self.callsite.pick_device(job.get("device"))
            if build:
                default = "bfloat16" if device.startswith(("cuda", "mps")) else build.get("cpu_dtype", "float32")
            else:
                default = "bfloat16" if device.startswith("cuda") else "float32"
            self.dtype = getattr(torch, job.get("dtype") or default)
            if build:
                self.builder = random_model
                problem = self.builder.memory_problem(torch, device, job.get("dtype") or default, build.get("need") or {})
                if problem:
                    emit("error", stage="memory", clip=None, error_type="NotEnoughMemory", message=problem, frames=[])
                    sys.exit(3)
            at.stage = "load_processor"
            self.processor = self.callsite.load_processor(source, device=device)
            at.stage = "load_model"
            if build:
                with open(os.path.join(model_path, "config.json"), encoding="utf-8") as handle:
                    config = json.load(handle)
                self.model = self.builder.build(config, self.dtype, int(build.get("seed", 0)), device=device)
                self.parameters = self.builder.parameter_counts(self.model)
            else:
                self.model = self.callsite.load_model(source, device=device, dtype=self.dtype)
        else:
            self.callsite = None
            # The seed report's code: documented calls, no device=, default dtype.
            at.stage = "load_processor"
            self.processor = liquid_audio.LFM2AudioProcessor.from_pretrained(source).eval()
            at.stage = "load_model"
            self.model = liquid_audio.LFM2AudioModel.from_pretrained(source).eval()
            self.dtype = None  # ChatState's default
        self.load_s = time.perf_counter() - started
        self.device = self.processor.device
        self.kind = self.device.type
        self.model_dtype = str(next(self.model.parameters()).dtype).removeprefix("torch.")

    def chat(self, wave, rate):
        chat = self.ChatState(self.processor) if self.dtype is None else self.ChatState(self.processor, dtype=self.dtype)
        chat.new_turn("system")
        chat.add_text(self.prompt)
        chat.end_turn()
        chat.new_turn("user")
        if self.callsite is not None:
            tensor, rate = self.callsite.to_chat_audio(wave, rate, target_rate=MODEL_RATE)
            chat.add_audio(tensor, rate)
        else:
            chat.add_audio(wave.mean(axis=1) if wave.ndim == 2 else wave, rate)  # numpy 1-D, as in the seed
        chat.end_turn()
        chat.new_turn("assistant")
        return chat

    def transcribe(self, wave, rate, budget):
        torch = self.torch
        if self.kind == "cuda":
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        chat = self.chat(wave, rate)
        first = None
        text_ids = []
        steps = frames = 0
        ended = False
        forcing = self.builder.forced_text_tokens(self.model, budget - 1) if self.force else contextlib.nullcontext()
        with forcing:
            for token in self.model.generate_sequential(**chat, max_new_tokens=budget):
                if first is None:
                    first = time.perf_counter()
                steps += 1
                if token.numel() == 1:
                    value = int(token)
                    if value == EOS:
                        ended = True
                    else:
                        text_ids.append(value)
                else:
                    frames += 1
        # Forced ids come from random weights: there is no text to decode (and the tokenizer may not know them).
        text = "" if self.force else self.processor.text.decode(text_ids, skip_special_tokens=True)
        finished = time.perf_counter()
        cuda_peak = torch.cuda.max_memory_allocated() / 2**20 if self.kind == "cuda" else None
        mps_peak = None
        if self.kind == "mps":
            mps_peak = torch.mps.driver_allocated_memory() / 2**20
        return {
            "text": text,
            "repeat_run": longest_run(text_ids),
            "steps": steps,
            "audio_frames": frames,
            "hit_limit": not ended and steps >= budget,
            "latency_s": finished - started,
            "first_token_s": None if first is None else first - started,
            "rss_peak_mb": peak_rss_mb(),
            "cuda_peak_mb": cuda_peak,
            "mps_peak_mb": mps_peak,
        }


class At:
    """Where the child is, for the error event: stage and clip index."""

    stage = "import"
    clip = None


def main():
    at = At()
    met = []
    with warnings.catch_warnings():
        try:
            # the deprecations liquid-audio sets off in its libraries while it transcribes (once liquid_audio imports)
            spec = importlib.util.find_spec("liquid_audio")
            if spec is not None and spec.origin:
                met = protocol.watch_deprecations(os.path.dirname(spec.origin))
            run(at, met)
        except Exception as exc:
            fail(at.stage, exc, at.clip)
        finally:
            if met:
                emit("deprecations", found=met)


def run(at, met):
    """The imports, then the job; a job with ``parts`` runs each part in a child forked after the imports (Linux),
    one after the other, each part's events (its deprecations among them) marked with its index, ``part``."""
    global PART
    started = time.perf_counter()
    import torch

    job = json.loads(sys.stdin.read())  # sent while torch was importing
    parts = job.get("parts") or [job]
    for part in parts:
        if part["mode"] == "callsite":
            check_device(torch, part.get("device"))
    import liquid_audio  # noqa: F401
    import numpy  # noqa: F401

    import_s = time.perf_counter() - started
    if "parts" not in job:
        transcribe_all(job, at, import_s)
        return
    for index, part in enumerate(parts):
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            PART, code = index, 0
            try:
                main_of_part(part, at, import_s, met)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 3
            finally:
                sys.stdout.flush()
                os._exit(code)
        os.waitpid(pid, 0)
    met.clear()  # each part reported its own


def main_of_part(job, at, import_s, met):
    try:
        transcribe_all(job, at, import_s)
    except Exception as exc:
        fail(at.stage, exc, at.clip)
    finally:
        if met:
            emit("deprecations", found=met)


def transcribe_all(job, at, import_s):
    from importlib.metadata import PackageNotFoundError, version

    import liquid_audio
    import numpy as np
    import torch

    try:
        la_version = version("liquid-audio")
    except PackageNotFoundError:
        la_version = None
    emit("ready", liquid_audio=la_version, torch=torch.__version__, threads=torch.get_num_threads(), import_s=import_s)

    asr = Asr(job, torch, liquid_audio, at)
    emit("loaded", device=str(asr.device), dtype=asr.model_dtype, load_s=asr.load_s, parameters=asr.parameters)

    at.stage = "clip"
    clips = [dict(clip, wave=np.load(clip["audio"])) for clip in job["clips"]]
    for _ in range(int(job.get("warmup", 0))):
        at.clip = 0
        first = clips[0]
        start, end = first["chunks"][0]
        asr.transcribe(first["wave"][start:end], first["rate"], first["budgets"][0])
        emit("warmup")

    loop_started, loop_cpu = time.perf_counter(), time.process_time()
    for run_number in range(int(job.get("runs", 1))):
        for index, clip in enumerate(clips):
            at.clip = index
            for number, ((start, end), budget) in enumerate(zip(clip["chunks"], clip["budgets"])):
                figures = asr.transcribe(clip["wave"][start:end], clip["rate"], budget)
                emit("chunk", clip=index, run=run_number, chunk=number, **figures)
    loop_s, loop_cpu_s = time.perf_counter() - loop_started, time.process_time() - loop_cpu
    projection = job.get("projection")
    if projection:
        at.clip = None
        first = clips[0]
        wave = first["wave"]
        frames = round(float(projection["seconds"]) * first["rate"])
        long_wave = np.concatenate([wave] * (frames // len(wave) + 1))[:frames]
        figures = asr.transcribe(long_wave, first["rate"], int(projection["budget"]))
        emit("projection", seconds=frames / first["rate"], **figures)
    emit("done", loop_s=loop_s, loop_cpu_s=loop_cpu_s)


if __name__ == "__main__":
    main()
