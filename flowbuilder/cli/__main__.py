"""``python -m flowbuilder.cli``: the same command as ``flowbuilder``."""

from . import main

main()
