"""MTCNN (Zhang et al. 2016) as one compiled TensorFlow graph per canvas shape.

The weights are the P/R/O-Net arrays shipped in the ``mtcnn`` wheel (checked by
SHA-256 before loading). Unlike that package's ``detect_faces``, which runs each
pyramid level and stage eagerly with numpy in between, the whole cascade (image
pyramid, P-Net, NMS, R-Net, O-Net) here is a single ``tf.function`` traced once
per canvas shape. Images are fitted into one of a few fixed canvases (long side
``detect_size``), so video frames and photo folders reuse a handful of traces,
and huge photos are downscaled before detection.
"""

from __future__ import annotations

import importlib.resources
import math

import cv2
import numpy as np

from core.errors import ModelFileInvalid, ModelUnavailable
from core.faces.detection.base import DetectedFace, Detector
from core.tf_runtime import run_tf, tf

WEIGHT_SHA256 = {
    "pnet": "ea6b0c3e685ebee3165326ad6484acc95f2ef78f1c94fbf40a55704fa989f7b5",
    "rnet": "cb00e6460f3c98b0bfafaba3c0a0ded4bdf6e62cee7174d969e8670d7e757fee",
    "onet": "94f6ea2f4cf985275ee958cdd762d17b6009348a4fb9d8c6be39ba73ffd22ca3",
}
ASPECTS = ((3, 4), (9, 16), (1, 1))  # short:long canvas aspect ratios, both orientations
MAX_PNET_BOXES = 2000
MAX_RNET_BOXES = 400


def _load_weights(name: str) -> list[np.ndarray]:
    from core.fileutil import sha256_file

    try:
        ref = importlib.resources.files("mtcnn.assets.weights") / f"{name}.lz4"
        with importlib.resources.as_file(ref) as path:
            if sha256_file(path) != WEIGHT_SHA256[name]:
                raise ModelFileInvalid(f"The {name} weights in the installed 'mtcnn' package are not the expected file.")
            import joblib  # the wheel stores them as a joblib (pickle) list; trusted only after the hash check

            arrays = joblib.load(path)
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise ModelUnavailable("The 'mtcnn' package (which ships the detector weights) is not installed.") from exc
    return [np.asarray(a, np.float32) for a in arrays]


def normalize(pixels: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 in [-1, 1), the P/R/O-Net input scale."""
    return (pixels.astype(np.float32) - 127.5) * 0.0078125


def _prelu(t, x, alpha):
    return t.nn.relu(x) - alpha * t.nn.relu(-x)


def _conv(t, x, k, b, padding="VALID"):
    return t.nn.bias_add(t.nn.conv2d(x, k, 1, padding), b)


class _Nets:
    """P/R/O-Net forward passes over constant weights (plain TF ops, no Keras); ``stages``: which to load."""

    def __init__(self, stages: tuple[str, ...] = ("pnet", "rnet", "onet")):
        t = tf()
        self.t = t
        for stage in stages:
            setattr(self, stage[0], [t.constant(a) for a in _load_weights(stage)])

    def pnet(self, x):
        t, w = self.t, self.p
        x = _prelu(t, _conv(t, x, w[0], w[1]), w[2])
        x = t.nn.max_pool2d(x, 2, 2, "SAME")
        x = _prelu(t, _conv(t, x, w[3], w[4]), w[5])
        x = _prelu(t, _conv(t, x, w[6], w[7]), w[8])
        reg = _conv(t, x, w[9], w[10])
        prob = t.nn.softmax(_conv(t, x, w[11], w[12]), axis=-1)
        return reg, prob[..., 1]

    def rnet(self, x):
        t, w = self.t, self.r
        x = _prelu(t, _conv(t, x, w[0], w[1]), w[2])
        x = t.nn.max_pool2d(x, 3, 2, "SAME")
        x = _prelu(t, _conv(t, x, w[3], w[4]), w[5])
        x = t.nn.max_pool2d(x, 3, 2, "VALID")
        x = _prelu(t, _conv(t, x, w[6], w[7]), w[8])
        x = t.reshape(t.transpose(x, [0, 2, 1, 3]), [-1, 576])
        x = _prelu(t, t.matmul(x, w[9]) + w[10], w[11])
        reg = t.matmul(x, w[12]) + w[13]
        prob = t.nn.softmax(t.matmul(x, w[14]) + w[15], axis=-1)
        return reg, prob[:, 1]

    def onet(self, x):
        t, w = self.t, self.o
        x = _prelu(t, _conv(t, x, w[0], w[1]), w[2])
        x = t.nn.max_pool2d(x, 3, 2, "SAME")
        x = _prelu(t, _conv(t, x, w[3], w[4]), w[5])
        x = t.nn.max_pool2d(x, 3, 2, "VALID")
        x = _prelu(t, _conv(t, x, w[6], w[7]), w[8])
        x = t.nn.max_pool2d(x, 2, 2, "SAME")
        x = _prelu(t, _conv(t, x, w[9], w[10]), w[11])
        x = t.reshape(t.transpose(x, [0, 2, 1, 3]), [-1, 1152])
        x = _prelu(t, t.matmul(x, w[12]) + w[13], w[14])
        reg = t.matmul(x, w[15]) + w[16]
        lms = t.matmul(x, w[17]) + w[18]
        prob = t.nn.softmax(t.matmul(x, w[19]) + w[20], axis=-1)
        return reg, lms, prob[:, 1]


def onet_nets() -> _Nets:
    """O-Net alone (the landmark stage ``yunet-onet`` runs), its weights checked by SHA-256."""
    return _Nets(("onet",))


def pyramid_scales(h: int, w: int, min_face: int, factor: float = 0.709) -> list[float]:
    """Scales at which P-Net's 12 px window sees faces from ``min_face`` px up to the whole image."""
    m = 12.0 / min_face
    side = min(h, w) * m
    scales = []
    k = 0
    while side >= 12:
        scales.append(m * factor**k)
        side *= factor
        k += 1
    return scales


def choose_canvas(h: int, w: int, detect_size: int) -> tuple[int, int, float]:
    """(canvas_h, canvas_w, scale) for fitting an h x w image into one of the fixed canvases."""
    long_side = detect_size if max(h, w) > detect_size // 2 else detect_size // 2
    best = None
    for short_r, long_r in ASPECTS:
        short = int(round(long_side * short_r / long_r / 8.0)) * 8
        for ch, cw in ((short, long_side), (long_side, short)):
            scale = min(cw / w, ch / h)
            key = (-scale, ch * cw)
            if best is None or key < best[0]:
                best = (key, ch, cw, scale)
    assert best is not None
    return best[1], best[2], best[3]


def _square(t, boxes):
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    w, h = x2 - x1, y2 - y1
    side = t.maximum(w, h)
    cx, cy = x1 + w * 0.5, y1 + h * 0.5
    return t.stack([cx - side * 0.5, cy - side * 0.5, cx + side * 0.5, cy + side * 0.5], axis=1)


def _regress(t, boxes, reg):
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes + reg * t.stack([w, h, w, h], axis=1)


def _nms(t, boxes, scores, iou, cap):
    yx = t.stack([boxes[:, 1], boxes[:, 0], boxes[:, 3], boxes[:, 2]], axis=1)
    return t.image.non_max_suppression(yx, scores, cap, iou_threshold=iou)


def _crops(t, img, boxes, size, h, w):
    """Crops (K + 1, size, size, 3): one dummy crop is appended so a stage never runs on an empty batch
    (oneDNN convolutions fail on zero-sized batches); callers drop the last row of each output."""
    boxes = t.concat([boxes, t.constant([[0.0, 0.0, 12.0, 12.0]])], 0)
    norm = t.stack([boxes[:, 1] / (h - 1), boxes[:, 0] / (w - 1), boxes[:, 3] / (h - 1), boxes[:, 2] / (w - 1)], axis=1)
    idx = t.zeros(t.shape(boxes)[0], t.int32)
    return t.image.crop_and_resize(img[None], norm, idx, (size, size), extrapolation_value=0.0)


class MTCNNDetector(Detector):
    """MTCNN with boxes, 5 landmarks and scores; thresholds per stage as in the paper."""

    name = "mtcnn"

    def __init__(self, detect_size: int = 640, min_face_size: int = 20,
                 thresholds: tuple[float, float, float] = (0.6, 0.7, 0.8)):
        self.detect_size = int(detect_size)
        self.min_face_size = int(min_face_size)
        self.thresholds = tuple(float(v) for v in thresholds)
        self.nets = run_tf(_Nets)  # shared with yunet-onet, which runs the O-Net alone
        self._graphs: dict[tuple[int, int], object] = {}

    def _graph(self, ch: int, cw: int):
        g = self._graphs.get((ch, cw))
        if g is not None:
            return g
        t, nets = tf(), self.nets
        scales = pyramid_scales(ch, cw, self.min_face_size)
        tp, tr, to = self.thresholds

        def run(img):  # img: (ch, cw, 3) float32 in [-1, 1]
            all_boxes, all_scores, all_regs = [], [], []
            for s in scales:
                hs, ws = int(math.ceil(ch * s)), int(math.ceil(cw * s))
                level = t.image.resize(img[None], (hs, ws), method="bilinear", antialias=True)
                reg, prob = nets.pnet(level)
                idx = t.where(prob[0] > tp)                 # (K, 2) rows, cols
                score = t.gather_nd(prob[0], idx)
                r = t.gather_nd(reg[0], idx)
                yx = t.cast(idx, t.float32) * 2.0
                b = t.stack([yx[:, 1], yx[:, 0], yx[:, 1] + 12.0, yx[:, 0] + 12.0], axis=1) / s
                keep = _nms(t, b, score, 0.5, MAX_PNET_BOXES)
                all_boxes.append(t.gather(b, keep))
                all_scores.append(t.gather(score, keep))
                all_regs.append(t.gather(r, keep))
            boxes = t.concat(all_boxes, 0)
            scores = t.concat(all_scores, 0)
            regs = t.concat(all_regs, 0)
            keep = _nms(t, boxes, scores, 0.7, MAX_PNET_BOXES)
            boxes = _square(t, _regress(t, t.gather(boxes, keep), t.gather(regs, keep)))

            reg, prob = (v[:-1] for v in nets.rnet(_crops(t, img, boxes, 24, ch, cw)))
            ok = prob > tr
            boxes, prob, reg = t.boolean_mask(boxes, ok), t.boolean_mask(prob, ok), t.boolean_mask(reg, ok)
            keep = _nms(t, boxes, prob, 0.7, MAX_RNET_BOXES)
            boxes = _square(t, _regress(t, t.gather(boxes, keep), t.gather(reg, keep)))

            reg, lms, prob = (v[:-1] for v in nets.onet(_crops(t, img, boxes, 48, ch, cw)))
            ok = prob > to
            boxes, reg, lms, prob = (t.boolean_mask(v, ok) for v in (boxes, reg, lms, prob))
            w = boxes[:, 2] - boxes[:, 0] + 1.0
            h = boxes[:, 3] - boxes[:, 1] + 1.0
            lx = w[:, None] * lms[:, 0:5] + boxes[:, 0:1] - 1.0
            ly = h[:, None] * lms[:, 5:10] + boxes[:, 1:2] - 1.0
            boxes = _regress(t, boxes, reg)
            return boxes, t.stack([lx, ly], axis=2), prob

        g = t.function(run, input_signature=[t.TensorSpec((ch, cw, 3), t.float32)], autograph=False)
        self._graphs[(ch, cw)] = g
        return g

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        h, w = image.shape[:2]
        ch, cw, scale = choose_canvas(h, w, self.detect_size)
        nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        small = cv2.resize(image, (nw, nh), interpolation=interp) if (nh, nw) != (h, w) else image
        canvas = np.zeros((ch, cw, 3), np.float32)
        canvas[:nh, :nw] = normalize(small)
        def run():
            return [v.numpy() for v in self._graph(ch, cw)(tf().constant(canvas))]

        boxes, lms, scores = run_tf(run)
        keep = nms_min(boxes, scores, 0.7)
        faces = []
        for i in keep:
            b = boxes[i] / scale
            b = np.array([max(0.0, b[0]), max(0.0, b[1]), min(float(w), b[2]), min(float(h), b[3])], np.float32)
            if b[2] - b[0] < 2 or b[3] - b[1] < 2:
                continue
            faces.append(DetectedFace(box=b, landmarks=(lms[i] / scale).astype(np.float32), score=float(scores[i])))
        faces.sort(key=lambda f: -f.score)
        return faces


def nms_min(boxes: np.ndarray, scores: np.ndarray, thresh: float) -> list[int]:
    """Greedy NMS with overlap = intersection / smaller area (MTCNN's final 'Min' rule)."""
    order = list(np.argsort(-scores))
    keep: list[int] = []
    area = np.maximum(0, boxes[:, 2] - boxes[:, 0]) * np.maximum(0, boxes[:, 3] - boxes[:, 1])
    while order:
        i = order.pop(0)
        keep.append(int(i))
        rest = []
        for j in order:
            iw = max(0.0, min(boxes[i, 2], boxes[j, 2]) - max(boxes[i, 0], boxes[j, 0]))
            ih = max(0.0, min(boxes[i, 3], boxes[j, 3]) - max(boxes[i, 1], boxes[j, 1]))
            inter = iw * ih
            if inter / max(1e-9, min(area[i], area[j])) <= thresh:
                rest.append(j)
        order = rest
    return keep
