"""liquid-audio-demo for real, on the CPU and offline: with the stored patches applied, its launcher serves its page,
and one turn through a client (``demo_client``: WebRTC with aiortc, the app's events with gradio_client) comes back
as the reply's audio on the connection and its text in the Output textbox.

The demo loads ``LiquidAI/LFM2.5-Audio-1.5B`` by hub id when it is imported; a local hub cache whose snapshot is
the tiny checkpoint (``lfmdoctor.demo_hub``) stands in for it, and for fastrtc's voice-activity model, with
``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

# Found, not imported: collecting this file costs no gradio import (the demo runs in its own process).
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("liquid_audio") is None, reason="liquid-audio is not installed"),
    pytest.mark.skipif(
        not all(importlib.util.find_spec(name) for name in ("gradio", "fastrtc", "aiortc")),
        reason="the demo extra (gradio, fastrtc) is not installed: pip install -e '.[demo]'",
    ),
]

# What the console script does (``liquid-audio-demo = liquid_audio.demo.chat:main``), found by its name.
DRIVER = """\
import importlib.metadata

[entry] = [e for e in importlib.metadata.entry_points(group="console_scripts") if e.name == "liquid-audio-demo"]
entry.load()()
"""
DEADLINE_S = 75.0  # imports, the model load and Mimi's warm-up, the server, then one turn (about 25 s here)


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


def test_the_patched_demo_serves_and_answers_a_turn_through_a_client_on_the_cpu(demo_environment, tmp_path):
    from .demo_client import one_turn

    port = free_port()
    log = tmp_path / "launcher.log"
    with log.open("w") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-c", DRIVER],
            env=dict(demo_environment, GRADIO_SERVER_PORT=str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + DEADLINE_S
        status = None
        while status != 200 and time.monotonic() < deadline and launcher.poll() is None:
            status = answers(url)
            time.sleep(0.5)
        assert status == 200, f"the demo does not answer on port {port}: {launcher.poll()=}\n{log.read_text()[-3000:]}"

        turn = asyncio.run(one_turn(url, deadline_s=deadline - time.monotonic()))
        said = f"{turn}\n{log.read_text()[-3000:]}"
        assert not turn.errors, said
        assert turn.text, said  # the reply's text, as the Output textbox shows it
        assert turn.frames > 0 and turn.peak > 0, said  # the reply's audio, not silence
        assert turn.rates == {48_000}, said  # chat_response yields 24 kHz; WebRTC's Opus carries it at 48 kHz
    finally:
        try:
            os.killpg(launcher.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        launcher.wait(timeout=30)
