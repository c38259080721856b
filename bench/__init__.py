"""``lfmdoctor bench``: an ASR benchmark of liquid-audio done the way its README documents ASR.

Pure logic (no I/O): ``normalize`` (Whisper's English normaliser), ``scoring`` (jiwer WER/CER,
S/D/I, quality flags, medians), ``chunking`` (cut points, token budgets, stitching), ``manifest``
(JSONL/CSV parsing), ``aggregate`` (child events -> figures), ``failures`` (exception -> bug id),
``results`` (the result objects and their JSON contract).

I/O: ``inputs`` (audio files, references, model resolution), ``runner`` (child processes),
``core`` (orchestration: ``run_bench``), ``render`` (rich terminal output), ``strategy`` (the
``--strategy`` hook for ``lfmdoctor.patches``).

Standalone scripts run in the *target* interpreter (``*_child.py``, reporting through
``lfmdoctor.child_protocol``): ``asr_child.py`` (the ASR loop), ``baseline_child.py`` (optional Whisper
baselines), ``bare_loop_child.py`` (the yardstick for harness overhead, compared by
``python -m lfmdoctor.bench.overhead``). ``assets_builder`` remakes the
built-in clips in ``bench/assets``.
"""
