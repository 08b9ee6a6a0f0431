"""``python -m core.cli ARGS``: the ``facerec`` command, for child processes of the app (app/workers.py) that
must run the installed package, with or without the repository's main.py."""

from core.cli import entry

entry()
