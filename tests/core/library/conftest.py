"""The other tool the XMP tests read and write with: exiftool (Debian's libimage-exiftool-perl; CI installs it)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def exiftool() -> str:
    """exiftool's path: without it the XMP tests are skipped on a developer's machine and fail under CI."""
    path = shutil.which("exiftool")
    if path is None:
        message = "exiftool is not installed (apt-get install libimage-exiftool-perl)."
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path
