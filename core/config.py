"""Settings: frozen defaults, overridden by a TOML file, then by explicit arguments.

Directories come from platformdirs and may be moved with environment variables
(``FACEREC_CACHE_DIR``, ``FACEREC_DATA_DIR``, ``FACEREC_CONFIG_DIR``), which the
tests and CI use to share one model cache.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import tomllib

from core.errors import UsageError

APP_NAME = "facerec"


def cache_dir() -> Path:
    """Where downloaded and converted model weights live."""
    return Path(os.environ.get("FACEREC_CACHE_DIR") or platformdirs.user_cache_dir(APP_NAME))


def data_dir() -> Path:
    """Where the default gallery and registered models live."""
    return Path(os.environ.get("FACEREC_DATA_DIR") or platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    return Path(os.environ.get("FACEREC_CONFIG_DIR") or platformdirs.user_config_dir(APP_NAME))


def default_gallery_dir() -> Path:
    return data_dir() / "gallery"


@dataclass(frozen=True)
class Settings:
    """Defaults for the engine. ``threshold=None`` means the model's calibrated one."""

    model: str = "facenet"
    detector: str = "mtcnn"
    threshold: float | None = None
    detect_size: int = 640          # long side (px) of the canvas detection runs on
    min_face_size: int = 20         # px on the detection canvas
    min_face_px: int = 24           # px in the original image; smaller faces are rejected for enrolment
    top_k: int = 5
    exact_index_limit: int = 50_000
    large_index: str = "binary"     # above exact_index_limit: "binary" (sign codes + exact re-rank) or "hnsw"

    def replace(self, **changes) -> "Settings":
        clean = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **clean)


def load_settings(path: Path | None = None, **overrides) -> Settings:
    """Defaults <- ``config.toml`` (``[engine]`` table or top level) <- ``overrides``."""
    path = path or config_dir() / "config.toml"
    values: dict = {}
    if path.exists():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"The settings file {path} is not valid TOML: {exc}.") from exc
        values = doc.get("engine", doc)
    known = {f.name for f in dataclasses.fields(Settings)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"Unknown settings in {path}: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    return Settings(**values).replace(**overrides)
