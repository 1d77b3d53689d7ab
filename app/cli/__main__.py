"""`python -m app.cli` runs the same command as `redline`."""

from app.cli import main

main()
