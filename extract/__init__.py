"""polystat extract."""
