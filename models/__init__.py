import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
