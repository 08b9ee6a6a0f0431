"""Where the app keeps things: user cache, data and config folders (platformdirs).

Each may be moved with an environment variable (``FACEREC_CACHE_DIR``,
``FACEREC_DATA_DIR``, ``FACEREC_CONFIG_DIR``), which the tests and CI use.

Files shipped with the app (the icon) are found through the installed packages, never through the
repository: :func:`resource_path`.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "facerec"


def cache_dir() -> Path:
    """Downloaded archives, converted weights, detection and embedding caches."""
    return Path(os.environ.get("FACEREC_CACHE_DIR") or platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    """The default gallery, registered models, training runs and the runs database."""
    return Path(os.environ.get("FACEREC_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    return Path(os.environ.get("FACEREC_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


def settings_path() -> Path:
    return config_dir() / "config.toml"


def default_gallery_dir() -> Path:
    return data_dir() / "gallery"


def resource_path(*parts: str) -> Path:
    """A file shipped with the app: ``resources/`` in the repository, the ``resources`` package's data once
    installed (a wheel installs it as plain files, so this is a real path)."""
    from importlib.resources import files

    where = files("resources")
    for part in parts:
        where = where / part
    return Path(str(where))
