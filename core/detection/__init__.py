"""Detector registry: ``get_detector(name)``; unknown names list the known ones."""

from __future__ import annotations

import threading
from collections.abc import Callable

from core.detection.base import DetectedFace, Detector
from core.errors import UnknownName

_FACTORIES: dict[str, tuple[Callable[..., Detector], str]] = {}
_CACHE: dict[tuple, Detector] = {}
_LOCK = threading.Lock()


def register_detector(name: str, description: str):
    def deco(factory: Callable[..., Detector]):
        _FACTORIES[name] = (factory, description)
        return factory
    return deco


def available_detectors() -> dict[str, str]:
    _load_builtins()
    return {k: v[1] for k, v in _FACTORIES.items()}


def get_detector(name: str = "mtcnn", **options) -> Detector:
    """A cached detector instance for ``name`` and ``options``."""
    _load_builtins()
    if name not in _FACTORIES:
        raise UnknownName(f"Unknown detector '{name}'. Known detectors: {', '.join(sorted(_FACTORIES))}.")
    key = (name, tuple(sorted(options.items())))
    with _LOCK:
        det = _CACHE.get(key)
        if det is None:
            det = _FACTORIES[name][0](**options)
            _CACHE[key] = det
        return det


def _load_builtins() -> None:
    from core.detection import mtcnn_tf  # noqa: F401  (registers itself)


__all__ = ["DetectedFace", "Detector", "available_detectors", "get_detector", "register_detector"]
