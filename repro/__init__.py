"""Reproduce each known liquid-audio bug with the real library code, and the tiny checkpoint it runs on."""
