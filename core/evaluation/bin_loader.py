"""Load insightface ``.bin`` verification sets without trusting the pickle.

The format is ``pickle.dump((bins, issame), f)``: ``bins`` a list of 2N encoded
images (bytes), ``issame`` a list of N booleans. Only lists, tuples, bytes, strings,
numbers and booleans are accepted; the single global allowed is ``_codecs.encode``
with the 'latin1' codec (how Python 3 pickles bytes at protocol 2). Anything else,
such as a reference to ``os.system``, raises :class:`UnsafePickle` before any code runs.
"""

from __future__ import annotations

import codecs
import io
import pickle
from pathlib import Path

import numpy as np

from core.errors import DatasetError, UnsafePickle

MAX_BIN_BYTES = 4 << 30


def _latin1_encode(obj, encoding="latin1", errors="strict"):
    if encoding not in ("latin1", "latin-1", "iso-8859-1") or not isinstance(obj, str):
        raise UnsafePickle("the .bin file asks for an unexpected text encoding; refusing to load it.")
    return codecs.encode(obj, "latin1", errors)


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):
            return _latin1_encode
        raise UnsafePickle(f"the .bin file refers to {module}.{name}, which a verification set never needs; "
                           "refusing to load it (it may be malicious).")


def load_bin(path: Path, image_size: int | None = 112) -> tuple[np.ndarray, np.ndarray]:
    """(images (2N, S, S, 3) uint8 RGB, issame (N,) bool). Images are decoded with the safe decoder."""
    import cv2

    from core.errors import BadInput
    from core.faces import load_image

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file.")
    if path.stat().st_size > MAX_BIN_BYTES:
        raise DatasetError(f"{path} is larger than 4 GiB; not a verification set.")
    try:
        data = _RestrictedUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except UnsafePickle:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, MemoryError) as exc:
        raise DatasetError(f"{path} is not a readable .bin verification set ({exc}).") from exc
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise DatasetError(f"{path}: expected a (images, issame) pair.")
    bins, issame = data
    if not isinstance(bins, (list, tuple)) or not all(isinstance(b, (bytes, bytearray)) for b in bins):
        raise DatasetError(f"{path}: the images must be a list of encoded image bytes.")
    if not isinstance(issame, (list, tuple)) or not all(isinstance(v, (bool, int)) for v in issame):
        raise DatasetError(f"{path}: the labels must be a list of booleans.")
    if len(bins) != 2 * len(issame) or not issame:
        raise DatasetError(f"{path}: {len(bins)} images for {len(issame)} pairs (need exactly two per pair).")
    images = []
    for i, b in enumerate(bins):
        try:
            img = load_image(bytes(b))
        except BadInput as exc:
            raise DatasetError(f"{path}: image {i} cannot be decoded ({exc}).") from exc
        if image_size and img.shape[:2] != (image_size, image_size):
            img = cv2.resize(img, (image_size, image_size), interpolation=cv2.INTER_AREA)
        images.append(img)
    return np.stack(images), np.asarray(issame, bool)
