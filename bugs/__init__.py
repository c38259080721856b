"""The known liquid-audio bugs, one module each."""
