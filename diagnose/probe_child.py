"""Probe run as a script inside the *target* interpreter: standard library only, any Python 3.8+.

``python probe_child.py basics`` reads interpreter and package facts without importing anything heavy.
``python probe_child.py torch`` imports torch, then torchaudio, then liquid_audio, reporting one record per stage
(``lfmdoctor.child_protocol``), so a crash in a later stage still leaves the earlier facts behind.
"""

import importlib.util
import os
import platform
import sys

# lfmdoctor/child_protocol.py, by path (lfmdoctor may not be importable here): in the folder above when
# installed (lfmdoctor/<sub>/this file), in its lfmdoctor/ folder in the source tree (<sub>/ beside it).
_UP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_AT = next(d for d in (_UP, os.path.join(_UP, "lfmdoctor")) if os.path.isfile(os.path.join(d, "child_protocol.py")))
_SPEC = importlib.util.spec_from_file_location("lfmdoctor_child_protocol", os.path.join(_AT, "child_protocol.py"))
protocol = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(protocol)

DISTRIBUTIONS = (
    "torch",
    "torchaudio",
    "transformers",
    "accelerate",
    "safetensors",
    "huggingface-hub",
    "numpy",
    "soundfile",
    "jiwer",
    "liquid-audio",
    "flash_attn",  # importlib.metadata normalises the name
    "gradio",  # the demo extra (liquid-audio[demo]: fastrtc, which brings gradio)
    "fastrtc",
)


def basics():
    import importlib.metadata as metadata
    import importlib.util

    versions = {}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    spec = importlib.util.find_spec("liquid_audio")
    location = None
    if spec is not None and spec.submodule_search_locations:
        location = next(iter(spec.submodule_search_locations))
    dist_location = None
    if versions["liquid-audio"] is not None:
        dist = metadata.distribution("liquid-audio")
        dist_location = str(dist.locate_file("liquid_audio"))
    protocol.emit(
        "basics",
        python=platform.python_version(),
        executable=sys.executable,
        os=f"{platform.system()} {platform.release()}",
        os_pretty=_os_pretty(),
        arch=platform.machine(),
        packages=versions,
        liquid_audio_location=location,
        liquid_audio_dist_location=dist_location,
        flash_attn_spec=importlib.util.find_spec("flash_attn") is not None,
        fingerprint=_fingerprint(),
    )


def _fingerprint():
    """What the torch stage's answer depends on: installed files (liquid-audio and transformers too: the stage
    imports liquid_audio), search path, GPU driver, environment, and this probe's code and record format."""
    import glob
    import hashlib
    import importlib.metadata as metadata

    parts = [sys.executable, sys.version, repr(sys.path)]
    for own in (__file__, protocol.__file__):
        with open(own, "rb") as f:
            parts.append(hashlib.sha256(f.read()).hexdigest())
    for name in ("torch", "torchaudio", "nvidia-cuda-runtime-cu12", "nvidia-cuda-runtime", "liquid-audio", "transformers"):
        try:
            dist = metadata.distribution(name)
            record = dist.locate_file(str(dist._path)) if hasattr(dist, "_path") else None
            parts.append(f"{name}={dist.version}@{record}:{os.stat(record).st_mtime_ns if record else ''}")
        except (metadata.PackageNotFoundError, OSError):
            parts.append(f"{name}=-")
    spec = importlib.util.find_spec("liquid_audio")  # a copy on PYTHONPATH, or one patch apply swapped in
    for folder in (spec.submodule_search_locations or []) if spec else []:
        try:
            info = os.stat(folder)
            parts.append(f"liquid_audio@{folder}:{info.st_ino}:{info.st_mtime_ns}")
            parts.append(f"{os.stat(os.path.join(folder, '__init__.py')).st_mtime_ns}")
        except OSError:
            parts.append(f"liquid_audio@{folder}:-")
    for var in ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "PYTORCH_ENABLE_MPS_FALLBACK"):
        parts.append(f"{var}={os.environ.get(var)}")
    try:
        with open("/proc/driver/nvidia/version") as f:
            parts.append(f.read())
    except OSError:
        parts.append("no-nvidia-proc")
    parts.append(",".join(sorted(glob.glob("/dev/nvidia*") + glob.glob("/dev/kfd"))))
    parts.append(platform.platform())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _os_pretty():
    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]}"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.platform()


def torch_stage():
    try:
        import torch
    except BaseException as exc:  # a broken torch is a finding, whatever it raises
        protocol.emit("torch", import_error=protocol.error_line(exc))
        return
    facts = {
        "version": torch.__version__,
        "cuda_build": torch.version.cuda,
        "hip_build": getattr(torch.version, "hip", None),
        "mps_built": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_built()),
        "mps_available": bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()),
    }
    available = torch.cuda.is_available()
    facts["cuda_available"] = available
    if available:
        facts["cuda_devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    elif torch.version.cuda is None and facts["hip_build"] is None:
        facts["cuda_unavailable_reason"] = "torch is a CPU-only build"
    else:
        try:
            torch.cuda.init()
            facts["cuda_unavailable_reason"] = "no visible CUDA device"
        except BaseException as exc:
            facts["cuda_unavailable_reason"] = protocol.error_line(exc)
    protocol.emit("torch", **facts)
    try:
        import torchaudio

        protocol.emit("torchaudio", version=torchaudio.__version__, imports=True)
    except BaseException as exc:
        protocol.emit("torchaudio", imports=False, import_error=protocol.error_line(exc))
    if importlib.util.find_spec("liquid_audio") is None:
        return
    try:
        import liquid_audio  # noqa: F401 (what breaks it: transformers 5 under liquid-audio 1.1.0, ...)

        protocol.emit("liquid_audio", imports=True)
    except BaseException as exc:
        protocol.emit("liquid_audio", imports=False, import_error=protocol.error_line(exc))


if __name__ == "__main__":
    {"basics": basics, "torch": torch_stage}[sys.argv[1]]()
