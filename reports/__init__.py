"""polystat reports."""
