"""The Qt-free face-recognition engine, in rooms that follow the flow (bottom up; each imports only rooms below):

``zoo`` (which models exist, their weights, loaders, calibrations) -> ``faces`` (pixels to detected, aligned and
embedded faces) -> ``decide`` (operating points, verification, metrics) -> ``gallery`` (enrolled people) ->
``live`` | ``evaluation`` | ``datasets`` -> ``training`` -> ``bench`` -> ``cli``. At the top level only what
every room shares: ``config`` (the settings store), ``paths``, ``errors``, ``fileutil``, ``tf_runtime``.
The layers are import-linter contracts in ``pyproject.toml``; ``docs/architecture.md`` walks the paths.
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# SQLCipher must be loaded before TensorFlow: TensorFlow brings its own SQLite with global symbols, and a
# SQLCipher loaded after it would call that SQLite (no encryption at all). Loaded first, it keeps its own.
# core/storage/database.py refuses to open an encrypted database should it ever be the other way round.
try:
    import sqlcipher3.dbapi2 as _sqlcipher  # noqa: F401
except ImportError:  # pragma: no cover - a dependency; without it encrypted folders say so when opened
    pass

__version__ = "0.2.0"
