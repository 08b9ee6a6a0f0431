"""Run ``facerec`` as a user does (a real process from the repository root) and read its one JSON document."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def facerec(*args, env=None, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env=env)


def one_json(proc_or_stdout):
    """The JSON document on stdout; fails when stdout holds anything else beside it."""
    stdout = getattr(proc_or_stdout, "stdout", proc_or_stdout).lstrip()
    doc, end = json.JSONDecoder().raw_decode(stdout)
    assert stdout[end:].strip() == "", "stdout must hold exactly one JSON document"
    return doc
