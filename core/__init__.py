import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
"""Qt-free face recognition engine: detection, alignment, embedding, gallery."""

__version__ = "0.1.0"
