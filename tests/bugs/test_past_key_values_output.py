"""The past-key-values fix covers every use transformers' deprecation names: the keyword liquid-audio passes and
the output attribute it reads back (issue 21 item 22)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

GENERATE = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import torch
    from liquid_audio import ChatState, LFM2AudioModel, LFM2AudioProcessor
    from lfmdoctor.bugs.past_key_values import use_cache_keyword

    checkpoint = Path(sys.argv[1])
    processor = LFM2AudioProcessor.from_pretrained(checkpoint, device="cpu")
    model = use_cache_keyword(LFM2AudioModel.from_pretrained(checkpoint, device="cpu", dtype=torch.float32).eval())
    chat = ChatState(processor, dtype=torch.float32)
    chat.new_turn("user")
    chat.add_text("Hello")
    chat.end_turn()
    chat.new_turn("assistant")
    print(len(list(model.generate_sequential(**chat, max_new_tokens=3))))
    """
)


def test_generation_with_the_fix_prints_no_deprecation(tiny_checkpoint):
    transformers = pytest.importorskip("transformers")
    from lfmdoctor.bugs.past_key_values import takes_cache

    if not takes_cache(transformers.Lfm2Model.forward):
        pytest.skip("this transformers has no `cache` keyword: `past_key_values` is still the name")
    done = subprocess.run([sys.executable, "-c", GENERATE, str(tiny_checkpoint)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
    assert "are deprecated. Use `cache` instead" not in done.stderr, done.stderr
