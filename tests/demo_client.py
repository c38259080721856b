"""A browser's part in one turn of liquid-audio-demo, played with aiortc and gradio_client against the running app.

What fastrtc's frontend does for the demo's ``WebRTC`` (audio, send-receive) and its ``ReplyOnPause`` stream:

- on page load, the app's load events run (the demo builds its chat state in one);
- the WebRTC offer goes to the component's ``offer`` server function (``/gradio_api/component_server``) with a
  ``webrtc_id`` of the page's choosing, from a peer connection with a microphone track and a data channel;
- over the data channel the server asks for the stream's inputs (``send_input``: the page fires the component's
  ``tick`` event with its value, ``{"webrtc_id": ..., "textbox": ""}``, and the chat state) and says when the
  reply has additional outputs (``fetch_output``: the page fires ``state_change``, whose handler streams them,
  here the reply's text for the Output textbox);
- the reply's audio comes back on the connection's audio track.

The microphone here plays a tone, then silence: the voice-activity model hears speech, then a pause, and
``ReplyOnPause`` calls the demo's ``chat_response`` with what it heard.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import secrets
import time
from dataclasses import dataclass, field

import httpx
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame
from gradio_client import Client
from gradio_client.client import Job

RATE = 48_000  # what a browser's microphone track carries
FRAME = RATE // 50  # 20 ms
QUIET_S = 2.0  # a reply is over once nothing more of it has come for this long


class ToneThenSilence(MediaStreamTrack):
    """A microphone that plays a 440 Hz tone for ``tone_s`` seconds, then silence, in real time."""

    kind = "audio"

    def __init__(self, tone_s: float = 1.0) -> None:
        super().__init__()
        self.tone_samples = int(tone_s * RATE)
        self.sent = 0
        self.start: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.start is None:
            self.start = time.monotonic()
        await asyncio.sleep(max(0.0, self.start + self.sent / RATE - time.monotonic()))
        t = np.arange(self.sent, self.sent + FRAME)
        wave = np.where(t < self.tone_samples, 0.3 * np.sin(2 * np.pi * 440 * t / RATE), 0.0)
        frame = AudioFrame.from_ndarray((wave * 32_767).astype(np.int16)[None], format="s16", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = RATE, self.sent, fractions.Fraction(1, RATE)
        self.sent += FRAME
        return frame


@dataclass
class Turn:
    """What came back: the Output textbox's values, the reply's audio frames, fastrtc's messages."""

    texts: list[str] = field(default_factory=list)
    frames: int = 0
    rates: set[int] = field(default_factory=set)
    peak: int = 0  # the loudest received sample
    messages: list[str] = field(default_factory=list)  # each data-channel message's type and data
    errors: list[str] = field(default_factory=list)

    @property
    def text(self) -> str | None:
        return self.texts[-1] if self.texts else None


async def finished(job: Job, deadline: float) -> None:
    """Wait for a gradio event's job without blocking the loop, raising what it raised; ``TimeoutError`` past
    ``deadline``."""
    while not job.done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app did not answer {job} in time")
        await asyncio.sleep(0.05)
    job.result()


def dependency(config: dict, target: int | None, event: str) -> int:
    """The ``fn_index`` of the app's handler for ``event`` on the component ``target`` (None: the app)."""
    [index] = [d["id"] for d in config["dependencies"] if [target, event] in d["targets"]]
    return index


async def one_turn(url: str, deadline_s: float, tone_s: float = 1.0) -> Turn:
    """Connect to the demo at ``url`` as its page would, speak, and collect the reply until it stops coming
    (``QUIET_S``), fastrtc reports an error, or ``deadline_s`` passes; ``TimeoutError`` when nothing came back."""
    deadline = time.monotonic() + deadline_s
    client = await asyncio.to_thread(Client, url, verbose=False)
    config, pc = client.config, RTCPeerConnection()
    [webrtc] = [c["id"] for c in config["components"] if c["type"] == "webrtc"]
    value = {"webrtc_id": secrets.token_hex(8), "textbox": ""}  # the component's value on the page
    turn, jobs, outputs, listeners, last = Turn(), [], [], [], time.monotonic()

    channel = pc.createDataChannel("text")
    pc.addTrack(ToneThenSilence(tone_s))

    @channel.on("message")
    def on_message(message: str) -> None:
        msg = json.loads(message)
        turn.messages.append(f"{msg['type']}: {msg.get('data', msg.get('message'))}")
        if msg["type"] == "send_input":  # the page's "tick": the stream's inputs, its webrtc id and the chat state
            jobs.append(client.submit(value, fn_index=dependency(config, webrtc, "tick")))
        elif msg["type"] == "fetch_output" and not outputs:  # "state_change", once: it streams every output
            outputs.append(client.submit(value, fn_index=dependency(config, webrtc, "state_change")))
            jobs.append(outputs[0])
        elif msg["type"] == "error":
            turn.errors.append(str(msg.get("message") or msg.get("data")))

    async def listen(track: MediaStreamTrack) -> None:
        nonlocal last
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            turn.frames += 1
            turn.rates.add(frame.sample_rate)
            turn.peak = max(turn.peak, int(np.abs(frame.to_ndarray().astype(np.int32)).max()))
            last = time.monotonic()

    pc.on("track", lambda track: listeners.append(asyncio.ensure_future(listen(track))))
    try:
        for load in [d["id"] for d in config["dependencies"] if [None, "load"] in d["targets"]]:
            await finished(client.submit(fn_index=load), deadline)  # the demo's chat state is built on load
        await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers its candidates here: no trickle
        offer = {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type, "webrtc_id": value["webrtc_id"]}
        body = {"session_hash": client.session_hash, "component_id": webrtc, "fn_name": "offer", "data": offer}
        async with httpx.AsyncClient(timeout=10) as http:
            answer = (await http.post(f"{url.rstrip('/')}{config['api_prefix']}/component_server", json=body)).json()
        if "sdp" not in answer:
            raise RuntimeError(f"the offer was refused: {answer}")
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))

        while time.monotonic() < deadline and not turn.errors:
            turn.errors += [f"{job}: {job.exception()!r}" for job in jobs if job.done() and job.exception()]
            texts = outputs[0].outputs() if outputs else []
            if texts != turn.texts:
                turn.texts, last = list(texts), time.monotonic()
            if turn.frames and turn.texts and time.monotonic() - last > QUIET_S:
                return turn
            await asyncio.sleep(0.1)
        if not (turn.frames or turn.texts or turn.errors):
            raise TimeoutError(f"no reply in {deadline_s:.0f} s; the data channel said: {turn.messages}")
        return turn
    finally:
        for task in listeners:
            task.cancel()
        await pc.close()
        await asyncio.to_thread(client.close)
