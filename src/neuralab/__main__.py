"""``python -m neuralab``: the command line."""

from neuralab.cli import main

main()
