"""The demo creates tensors on ``"cuda"``: its Mimi warm-up at import and the history of every turn."""

from __future__ import annotations

from . import _ast, _demo
from ._anatomy import CUDA_UNUSABLE, DEMO_CHAT_FILE, DEMO_MODEL_FILE, DEMO_RESPONSE, DEMO_SURFACE
from ._spec import Bug, Edit, Expect, Verdict, without_cuda
from ._threads import DEVICE_PR

WARMUP = '        x = torch.randint(2048, (1, 8, 1), device="cuda")\n'
WARMUP_FIXED = "        x = torch.randint(2048, (1, 8, 1), device=proc.device)\n"
HISTORY = '        modality_flag=torch.tensor(out_modality, device="cuda"),\n'
HISTORY_FIXED = "        modality_flag=torch.tensor(out_modality, device=chat.device),\n"


def detect(source: _ast.Source) -> Verdict:
    respond = _demo.function(source, DEMO_RESPONSE)
    in_chat = _demo.cuda_devices(source.tree)
    model = _demo.sibling(source, DEMO_MODEL_FILE.rsplit("/", 1)[-1])
    in_model = _demo.cuda_devices(model.tree) if model else []
    where = [f"{DEMO_CHAT_FILE}:{node.value.lineno}" for node in in_chat]
    where += [f"{DEMO_MODEL_FILE}:{node.value.lineno}" for node in in_model]
    if where:
        return Verdict(
            True,
            in_chat[0].value if in_chat else respond,
            f"The demo creates tensors on device='cuda' ({', '.join(where)}), so it fails wherever CUDA cannot be used.",
        )
    missing = "" if model else f" ({DEMO_MODEL_FILE} could not be read)"
    return Verdict(False, respond, f"The demo names no CUDA device for the tensors it creates{missing}.")


BUG = Bug(
    id="demo-cuda",
    order=190,
    title="The demo creates tensors on 'cuda' and fails without CUDA",
    module=DEMO_CHAT_FILE,
    surface=DEMO_SURFACE,
    trigger="liquid-audio-demo on a machine without CUDA (CPU-only Linux, a Mac), once the processor and the model load there",
    symptom="RuntimeError: Found no NVIDIA driver on your system (CUDA torch) or AssertionError: Torch not compiled "
    f"with CUDA enabled, first from the Mimi warm-up at import ({DEMO_MODEL_FILE}:25), then at the end of every "
    f"reply ({DEMO_CHAT_FILE}:94)",
    root_cause=f'{DEMO_MODEL_FILE}:25 warms Mimi up with torch.randint(..., device="cuda") and {DEMO_CHAT_FILE}:94 '
    'builds the turn\'s modality flags with torch.tensor(out_modality, device="cuda"), whatever device the '
    "processor and the model are on",
    expected="the demo creates its tensors on the processor's device, so it runs wherever the processor runs",
    workaround=f"edit the demo: create the codes of {DEMO_MODEL_FILE}:25 on proc.device and the flags of {DEMO_CHAT_FILE}:94 "
    "on chat.device (or run the demo where CUDA works)",
    fix="create the warm-up codes on proc.device and the modality flags on chat.device",
    subject="Create the demo's tensors on the processor's device, not on cuda",
    changes=(
        "The demo's Mimi warm-up creates its random codes on the processor's device, and each turn's modality flags "
        'are created on the chat state\'s device, instead of `"cuda"`. With CUDA nothing changes: both devices are '
        "cuda there."
    ),
    source_only="both lines run inside the demo: one at import, the other inside chat_response, which the Gradio "
    "app holds from import on, so neither a runtime fix nor a call-site change can reach them",
    severity="crash",
    explicit=True,
    affects="Only liquid-audio-demo: the library's own calls take the device they are given.",
    detect=detect,
    cases=(
        _demo.case(
            requires=("cuda_unusable",),
            trigger="""\
chat = ChatState(processor)
for reply in demo.chat_response(audio, "session", chat):
    pass""",
            expect=Expect(("AssertionError", "RuntimeError"), CUDA_UNUSABLE, DEMO_CHAT_FILE, DEMO_RESPONSE),
            summary="one turn of the demo's chat_response on the CPU",
        ),
    ),
    edits=(Edit(DEMO_MODEL_FILE, WARMUP, WARMUP_FIXED), Edit(DEMO_CHAT_FILE, HISTORY, HISTORY_FIXED)),
    threads=(
        DEVICE_PR(
            "its description says it passes the detected device (cuda, mps or cpu) to the Mimi warm-up "
            f"({DEMO_MODEL_FILE}:25); it does not mention the modality flags of {DEMO_CHAT_FILE}:94, and its diff "
            "was not read"
        ),
    ),
    bites_here=without_cuda,
    runtime=(),
    regression_test=f"""\
{_demo.regression_helper()}

def test_a_demo_turn_runs_on_the_cpu(steered_checkpoint, monkeypatch):
    chat_module, processor = load_demo(steered_checkpoint, monkeypatch)
    chat = ChatState(processor)
    replies = list(chat_module.chat_response(AUDIO, "session", chat))
    assert replies and chat.modality_flag.device.type == "cpu"
""",
)
