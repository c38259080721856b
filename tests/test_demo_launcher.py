"""liquid-audio-demo for real, on the CPU and offline: with the stored patches applied, its launcher serves its page and
one turn of its ``chat_response`` answers with text and int16 audio.

The demo loads ``LiquidAI/LFM2.5-Audio-1.5B`` by hub id when it is imported; a local hub cache whose snapshot is
the tiny checkpoint (``lfmdoctor.demo_hub``) stands in for it, with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

pytest.importorskip("liquid_audio")
pytest.importorskip("gradio", reason="the demo extra (gradio, fastrtc) is not installed: pip install -e '.[demo]'")
pytest.importorskip("fastrtc", reason="the demo extra (gradio, fastrtc) is not installed: pip install -e '.[demo]'")

pytestmark = pytest.mark.slow

# What the console script does (``liquid-audio-demo = liquid_audio.demo.chat:main``), found by its name; before it
# serves, one turn of the module's own chat_response with the model the demo loaded, summarised on one line.
DRIVER = """\
import importlib.metadata
import json
import sys

import numpy as np

[entry] = [e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == "liquid-audio-demo"]
main = entry.load()  # imports the demo: it loads the model from the hub cache and warms Mimi up
demo = sys.modules[entry.module]
from liquid_audio import ChatState

chat = ChatState(demo.proc)
audio = (24_000, (3_000 * np.sin(np.arange(24_000) / 8)).astype(np.int16)[None])
texts, chunks = [], []
for reply in demo.chat_response(audio, "test", chat):
    if isinstance(reply, tuple):
        chunks.append(reply)
    else:
        texts.append(reply.args[0])
turn = {
    "text": texts[-1] if texts else None,
    "rates": sorted({rate for rate, _ in chunks}),
    "dtypes": sorted({str(wave.dtype) for _, wave in chunks}),
    "chunks": len(chunks),
    "device": str(chat.modality_flag.device),
}
print("\\nTURN " + json.dumps(turn), flush=True)  # the demo prints its reply without a newline
main()
"""
DEADLINE_S = 90.0  # imports, the model load and Mimi's warm-up, one turn, then the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except OSError:
        return None


@pytest.fixture(scope="module")
def demo_environment(tmp_path_factory) -> dict[str, str]:
    """The environment of a demo that runs the stored patches on the tiny checkpoint, offline, on the CPU."""
    from lfmdoctor.demo_hub import environment, lay_out
    from lfmdoctor.patches.bootstrap import strategy_environment
    from lfmdoctor.repro.fixture import ensure_fixture

    checkpoint = ensure_fixture(detokenizer=True, mimi=True, steered=True)
    hub = lay_out(checkpoint, tmp_path_factory.mktemp("hub"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(environment(hub))
    env.update(
        PYTHONPATH=strategy_environment("source", sys.executable)["PYTHONPATH"],
        CUDA_VISIBLE_DEVICES="",
        GRADIO_ANALYTICS_ENABLED="False",
        GRADIO_SERVER_NAME="127.0.0.1",
    )
    return env


def test_the_patched_demo_serves_and_answers_a_turn_on_the_cpu(demo_environment):
    port = free_port()
    env = dict(demo_environment, GRADIO_SERVER_PORT=str(port))
    launcher = subprocess.Popen(
        [sys.executable, "-c", DRIVER],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in launcher.stdout], daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + DEADLINE_S
        turn = None
        while turn is None and time.monotonic() < deadline:  # the turn comes before the server starts
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if launcher.poll() is not None and lines.empty():
                    break
                continue
            seen.append(line)
            if line.startswith("TURN "):
                turn = json.loads(line.removeprefix("TURN "))
        assert turn is not None, "".join(seen[-30:])
        assert turn["text"] and turn["chunks"] > 0, turn
        assert turn["rates"] == [24_000] and turn["dtypes"] == ["int16"], turn
        assert turn["device"] == "cpu", turn
        status = None
        while status is None and time.monotonic() < deadline and launcher.poll() is None:
            status = answers(f"http://127.0.0.1:{port}/")
            time.sleep(0.5)
        assert status == 200, f"the demo does not answer on port {port}: {launcher.poll()=}"
    finally:
        try:
            os.killpg(launcher.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        launcher.wait(timeout=30)
