"""polystat warehouse."""
