"""lfmdoctor.triage: from the error a user has to the known bug, its fix and its upstream thread.

Pure text work: nothing here imports torch or liquid-audio. ``parse`` reads errors out of pasted text,
``match`` scores them against the signatures the bug modules declare, ``engine`` ranks and explains,
``draft`` writes a new issue where nothing matches, ``threads`` keeps the upstream threads' states current,
``action`` is the GitHub Action's entry point.
"""
