"""What every ``facerec`` command shares: progress on stderr, notes, settings from flags, the analyzer
and gallery factories, and the common flags."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.config import ROLE_DETECTORS, Settings, load_settings
from core.errors import UsageError
from core.faces import expand_image_paths


class Progress:
    """A tqdm bar on stderr for (done, total, item) callbacks; a line every few seconds when not a terminal."""

    def __init__(self, label: str, enabled: bool = True):
        self.label, self.enabled, self.bar = label, enabled, None

    def __call__(self, done: int, total: int, item: str = "") -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            tty = sys.stderr.isatty()
            self.bar = tqdm(total=total, desc=self.label, file=sys.stderr, unit="img", dynamic_ncols=True,
                            mininterval=0.2 if tty else 5.0, leave=True)
        self.bar.total = total
        self.bar.update(max(0, done - self.bar.n))
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def note(msg: str) -> None:
    """A line for the person at the terminal (stderr, so --json output stays one document)."""
    print(msg, file=sys.stderr, flush=True)


def settings_from(args) -> Settings:
    """The settings store with this command's flags applied (flags are never written back)."""
    role_detector = ROLE_DETECTORS[getattr(args, "role", "photos")]  # --detector sets the command's detector
    return load_settings(model=getattr(args, "model", None), gallery=getattr(args, "gallery", None),
                         runtime=getattr(args, "runtime", None), **{role_detector: getattr(args, "detector", None)})


def analyzer_from(args):
    """The analyzer for this command's role (``args.role``: photos, enrol or live)."""
    from core.faces import FaceAnalyzer

    return FaceAnalyzer(settings_from(args), warmup=False, role=getattr(args, "role", "photos"))  # no warm-up pass


def gallery_from(args, with_analyzer: bool = True):
    """The settings' gallery (or ``--gallery``); ``with_analyzer=False`` for commands that load no model."""
    from core.gallery import Gallery

    settings = settings_from(args)
    analyzer = analyzer_from(args) if with_analyzer else None
    g = Gallery(settings.gallery_dir(), settings=settings, warn=note, analyzer=analyzer)
    if g.stored_plain:
        note(f"The gallery at {g.root} is stored unencrypted (made by an earlier version); `facerec gallery encrypt` "
             "encrypts it (or set encrypt = false in the settings to keep it so).")
    return g


def image_paths(paths: list[str]) -> list[str]:
    found = expand_image_paths(paths)
    if not found:
        raise UsageError("No images given (folders are searched recursively for image files).")
    return found


def existing_file(path: str, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{what} {path}: no such file or folder.")
    return p


def common_flags(json_only: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    if not json_only:
        p.add_argument("--model", help="embedding model (see `facerec models list`)")
        p.add_argument("--detector", help="face detector (see `facerec info`)")
        p.add_argument("--threshold", type=float, help="override the operating point (cosine similarity)")
        p.add_argument("--runtime", choices=("auto", "tf", "litert"),
                       help="how the networks run: LiteRT on the CPU (auto without a GPU) or TensorFlow")
    return p


def gallery_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gallery", help="gallery folder (default: the settings' gallery, in the user data folder)")
