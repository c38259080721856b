"""lfmdoctor: diagnose, reproduce, patch, benchmark and report liquid-audio (LFM2.5-Audio) bugs."""

__version__ = "0.1.0"
