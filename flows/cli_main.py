"""`python -m flows.cli_main` runs the polystat command line (as the `polystat` script does)."""

from flows.cli import app

if __name__ == "__main__":
    app()
