"""polystat flows."""
