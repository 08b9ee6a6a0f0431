import math

import numpy as np
import pytest

from models.backbones import build_backbone
from models.heads import MarginHead


def _cos(emb, w):
    e = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    ww = w / np.linalg.norm(w, axis=0, keepdims=True)
    return e @ ww


@pytest.mark.parametrize("kind,m", [("arcface", 0.5), ("cosface", 0.35)])
def test_margin_logits_match_formula(kind, m):
    rng = np.random.default_rng(0)
    head = MarginHead(4, kind=kind, s=10.0)
    head.build((None, 8))
    emb = rng.standard_normal((6, 8)).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 0, 1])
    logits = np.asarray(head(emb, labels))
    cos = _cos(emb, np.asarray(head.w))
    for i, y in enumerate(labels):
        c = cos[i, y]
        if kind == "cosface":
            want = c - m
        else:
            theta = math.acos(np.clip(c, -1, 1))
            want = math.cos(theta + m) if c > math.cos(math.pi - m) else c - math.sin(math.pi - m) * m
        assert logits[i, y] == pytest.approx(10 * want, abs=1e-4)
        others = [j for j in range(4) if j != y]
        np.testing.assert_allclose(logits[i, others], 10 * cos[i, others], atol=1e-4)


@pytest.mark.parametrize("name,params", [("mobilefacenet", (0.9e6, 1.4e6)), ("r50", (43e6, 44.5e6))])
def test_backbones_shapes_and_sizes(name, params):
    m = build_backbone(name)
    assert m.output_shape == (None, 512)
    assert params[0] < m.count_params() < params[1]
