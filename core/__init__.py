"""The Qt-free face-recognition engine, in rooms that follow the flow (bottom up; each imports only rooms below):

``zoo`` (which models exist, their weights, loaders, calibrations) -> ``faces`` (pixels to detected, aligned and
embedded faces) -> ``decide`` (operating points, verification, metrics) -> ``gallery`` (enrolled people) ->
``live`` | ``evaluation`` | ``datasets`` -> ``training`` -> ``bench`` -> ``cli``. At the top level only what
every room shares: ``config`` (the settings store), ``paths``, ``errors``, ``fileutil``, ``tf_runtime``.
The layers are import-linter contracts in ``pyproject.toml``; ``docs/architecture.md`` walks the paths.
"""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.2.0"
