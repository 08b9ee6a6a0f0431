"""The one settings store: a versioned ``config.toml`` that the CLI and the GUI both read and write.

Defaults live in :class:`Settings`; the file overrides them; command-line flags
override the file for one run (never written back). The file has these tables::

    version = 1
    [engine]            model, detector, enroll_detector, live_detector, gallery, detect_size, min_face_size,
                        min_face_px, top_k, decode_size, runtime
    [operating_points]  verify_far, identify_fpir, verify_threshold, identify_threshold, min_quality,
                        person_adaptation
    [index]             exact_index_limit, large_index
    [privacy]           encrypt
    [gui]               window state only (camera, width, height, geometry)

Every value is checked where it enters (:meth:`Settings.check`): a bad one is a
:class:`BadValue` naming the value and the allowed ones. The file is written
atomically by :func:`save_settings`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from core.errors import BadValue, UsageError
from core.fileutil import write_text_atomic
from core.paths import default_gallery_dir, settings_path
from core.zoo import DETECTORS

SETTINGS_VERSION = 1
DEFAULT_MODEL = "sface"
LARGE_INDEX_KINDS = ("binary", "hnsw")
RUNTIMES = ("auto", "tf", "litert")  # how the networks run: auto = LiteRT on a CPU, TensorFlow where a GPU may be
ROLE_DETECTORS = {"photos": "detector", "enrol": "enroll_detector", "live": "live_detector"}  # role -> setting

SECTIONS: dict[str, tuple[str, ...]] = {
    "engine": ("model", "detector", "enroll_detector", "live_detector", "gallery", "detect_size", "min_face_size",
               "min_face_px", "top_k", "decode_size", "runtime"),
    "operating_points": ("verify_far", "identify_fpir", "verify_threshold", "identify_threshold", "min_quality",
                         "person_adaptation"),
    "index": ("exact_index_limit", "large_index"),
    "privacy": ("encrypt",),
}


@dataclass(frozen=True)
class Settings:
    """Engine settings. A ``*_threshold`` of None means "use the model's calibrated operating point"."""

    model: str = DEFAULT_MODEL
    detector: str = "yunet-onet"        # photos: represent, verify, identify (as accurate as MTCNN, 3x faster)
    enroll_detector: str = "yunet-onet"  # enrolment: the most accurate on the measurements (docs/accuracy.md)
    live_detector: str = "yunet"        # the live view and `facerec watch` (the fastest that agrees with MTCNN)
    gallery: str = ""                   # "" = the default gallery in the user data folder
    detect_size: int = 640              # long side (px) of the canvas MTCNN runs on
    min_face_size: int = 20             # px on the detection canvas
    min_face_px: int = 24               # px in the original image; smaller faces are not enrolled or named
    top_k: int = 5
    decode_size: int = 960              # photos: JPEGs larger than this (long side, px) are decoded at 1/2-1/8 size
                                        # (faces too small for that are decoded again larger); 0 = always full size
    runtime: str = "auto"               # auto | tf | litert (see RUNTIMES)
    verify_far: float = 1e-3            # 1:1 target false-accept rate
    identify_fpir: float = 0.01         # 1:N target: share of strangers' faces named as someone
    verify_threshold: float | None = None
    identify_threshold: float | None = None
    min_quality: float = 0.35           # faces below this quality (0..1) are "unknown (low quality)"
    person_adaptation: bool = True      # raise the threshold of people who attract look-alikes
    exact_index_limit: int = 50_000
    large_index: str = "binary"         # above exact_index_limit: "binary" (sign codes + exact re-rank) or "hnsw"
    encrypt: bool = True                # new galleries and libraries are encrypted at rest (docs/privacy.md)

    def replace(self, **changes) -> Settings:
        """A copy with the non-None ``changes`` applied and checked."""
        clean = {k: v for k, v in changes.items() if v is not None}
        out = dataclasses.replace(self, **clean)
        out.check()
        return out

    def gallery_dir(self) -> Path:
        return Path(self.gallery).expanduser() if self.gallery else default_gallery_dir()

    def check(self) -> None:
        """Raise :class:`BadValue` for any value outside its allowed set."""
        for f in dataclasses.fields(self):
            _check_type(f.name, getattr(self, f.name), f.type)
        known = sorted(DETECTORS)
        for name in ROLE_DETECTORS.values():
            if getattr(self, name) not in known:
                raise BadValue(f"{name} = {getattr(self, name)!r} is not a known detector; use one of {', '.join(known)}.")
        if self.runtime not in RUNTIMES:
            raise BadValue(f"runtime = {self.runtime!r} is not a runtime; use one of {', '.join(RUNTIMES)}.")
        if self.large_index not in LARGE_INDEX_KINDS:
            raise BadValue(f"large_index = {self.large_index!r} is not an index kind; use one of "
                           f"{', '.join(LARGE_INDEX_KINDS)}.")
        for name in ("verify_far", "identify_fpir"):
            v = getattr(self, name)
            if not 0.0 < v < 1.0:
                raise BadValue(f"{name} = {v} must be a rate between 0 and 1 (e.g. 0.001).")
        for name in ("verify_threshold", "identify_threshold"):
            v = getattr(self, name)
            if v is not None and not -1.0 <= v <= 1.0:
                raise BadValue(f"{name} = {v} must be a cosine similarity between -1 and 1.")
        if not 0.0 <= self.min_quality <= 1.0:
            raise BadValue(f"min_quality = {self.min_quality} must be between 0 and 1.")
        if self.decode_size < 0:
            raise BadValue(f"decode_size = {self.decode_size} must be 0 (full size) or a size in pixels.")
        for name in ("detect_size", "min_face_size", "min_face_px", "top_k", "exact_index_limit"):
            v = getattr(self, name)
            if v < 1:
                raise BadValue(f"{name} = {v} must be a positive whole number.")
        if self.decode_size and self.decode_size < 320:
            raise BadValue(f"decode_size = {self.decode_size} is too small; use at least 320 px, or 0 for full size.")
        if self.detect_size < 64:
            raise BadValue(f"detect_size = {self.detect_size} is too small; use at least 64 px.")


@dataclass
class GuiState:
    """Window state, kept in the ``[gui]`` table (nothing here changes what the engine decides)."""

    camera: int = 0
    width: int = 640
    height: int = 480
    geometry: str = ""       # hex of QMainWindow.saveGeometry()
    runs_dir: str = ""       # the workbench's runs folder ("" = <data dir>/runs)
    extra: dict = field(default_factory=dict)


def _check_type(name: str, value, annotation) -> None:
    ann = str(annotation)
    optional = "None" in ann
    if value is None:
        if optional:
            return
        raise BadValue(f"{name} must be set.")
    if "float" in ann:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BadValue(f"{name} = {value!r} must be a number.")
    elif "int" in ann:
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadValue(f"{name} = {value!r} must be a whole number.")
    elif "str" in ann and not isinstance(value, str):
        raise BadValue(f"{name} = {value!r} must be text.")
    elif "bool" in ann and not isinstance(value, bool):
        raise BadValue(f"{name} = {value!r} must be true or false.")


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    if not path.is_file():
        raise UsageError(f"The settings file {path} is not a file (a folder?); move it away to use the defaults.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"The settings file {path} is not valid TOML: {exc}.") from exc
    except OSError as exc:
        raise UsageError(f"The settings file {path} cannot be read ({exc.strerror or exc}).") from exc


def _flatten(doc: dict, path: Path) -> dict:
    """Table layout -> flat field values; also reads version-less files of earlier releases."""
    version = doc.get("version", 0)
    if not isinstance(version, int) or version > SETTINGS_VERSION:
        raise UsageError(f"{path} was written by a newer facerec (settings version {version}); please upgrade.")
    known = {f.name for f in dataclasses.fields(Settings)}
    values: dict = {}
    for section, table in doc.items():
        if section in ("version", "gui"):
            continue
        if not isinstance(table, dict):
            table = {section: table}  # a top-level key (version 0 files)
        for key, value in table.items():
            if key == "threshold" and version == 0:  # version 0 had one threshold for everything
                values.setdefault("verify_threshold", value)
                values.setdefault("identify_threshold", value)
                continue
            if key not in known:
                raise BadValue(f"Unknown setting '{key}' in {path}. Known: {', '.join(sorted(known))}.")
            values[key] = value
    return values


def load_settings(path: Path | None = None, **overrides) -> Settings:
    """Defaults <- ``config.toml`` <- ``overrides`` (None values are ignored); every value checked."""
    path = path or settings_path()
    values = _flatten(_read(path), path)
    try:
        base = Settings(**values)
    except TypeError as exc:
        raise BadValue(f"{path}: {exc}.") from exc
    try:
        base.check()
    except BadValue as exc:
        raise BadValue(f"{path}: {exc}") from exc
    return base.replace(**overrides)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write ``settings`` (every table but ``[gui]``, which is kept as it is) atomically."""
    settings.check()
    path = path or settings_path()
    doc = _read(path)
    out: dict = {"version": SETTINGS_VERSION}
    for section, names in SECTIONS.items():
        out[section] = {n: getattr(settings, n) for n in names if getattr(settings, n) is not None}
    if isinstance(doc.get("gui"), dict):
        out["gui"] = doc["gui"]
    _write(path, out)
    return path


def load_gui_state(path: Path | None = None) -> GuiState:
    path = path or settings_path()
    table = _read(path).get("gui") or {}
    known = {f.name for f in dataclasses.fields(GuiState)} - {"extra"}
    state = GuiState(**{k: v for k, v in table.items() if k in known})
    state.extra = {k: v for k, v in table.items() if k not in known}
    for name in ("camera", "width", "height"):
        _check_type(name, getattr(state, name), int)
    return state


def save_gui_state(state: GuiState, path: Path | None = None) -> None:
    """Replace the ``[gui]`` table, keeping the engine tables as they are."""
    path = path or settings_path()
    doc = _read(path)
    doc.setdefault("version", SETTINGS_VERSION)
    table = {k: v for k, v in dataclasses.asdict(state).items() if k != "extra"}
    table.update(state.extra)
    doc["gui"] = table
    _write(path, doc)


def _write(path: Path, doc: dict) -> None:
    import tomli_w

    write_text_atomic(path, tomli_w.dumps(doc))
