"""Diagnosis: facts about the target environment and the known bugs in its installed liquid-audio code."""
