"""The trainable backbones and heads by name: the one list the trainer, the CLI and the GUI read.

Names are plain data (importing this module does not import Keras); the builders
are imported when a network is built.
"""

from __future__ import annotations

from core.errors import UnknownName

BACKBONES: dict[str, str] = {
    "mobilefacenet": "MobileFaceNet (1.2 M parameters, 112x112 -> 512)",
    "mobilefacenet-insightface": "InsightFace MobileFaceNet (the arcface-mbf network, 112x112 -> 512)",
    "r18": "ResNet-IR 18",
    "r34": "ResNet-IR 34",
    "r50": "ResNet-IR 50 (LResNet50E-IR)",
    "r100": "ResNet-IR 100",
    "sface": "SFace's MobileNet-style network (112x112 -> 128)",
}
HEADS: dict[str, str] = {
    "arcface": "additive angular margin, cos(theta + m), s=64, m=0.5",
    "cosface": "additive cosine margin, cos(theta) - m, s=64, m=0.35",
    "softmax": "plain linear classifier (baseline)",
}


def check_backbone(name: str) -> str:
    if name not in BACKBONES:
        raise UnknownName(f"Unknown backbone '{name}'. Known: {', '.join(BACKBONES)}.")
    return name


def check_head(name: str) -> str:
    if name not in HEADS:
        raise UnknownName(f"Unknown head '{name}'. Known: {', '.join(HEADS)}.")
    return name


def build_backbone(name: str, embedding_size: int = 512, input_size: int = 112):
    """A Keras 3 backbone: inputs (N, S, S, 3) preprocessed float32, outputs (N, D) un-normalised."""
    check_backbone(name)
    if name == "mobilefacenet":
        from models.mobilefacenet import build_mobilefacenet

        return build_mobilefacenet(input_size, embedding_size)
    if name == "mobilefacenet-insightface":
        from models.mobilefacenet import build_insightface_mbf

        return build_insightface_mbf(input_size, embedding_size)
    if name == "sface":
        from models.sface import build_sface

        return build_sface(input_size, embedding_size)
    from models.resnet_ir import build_resnet_ir

    return build_resnet_ir(name, input_size, embedding_size)


def build_head(kind: str, classes: int, **kw):
    """A margin head mapping (embeddings (N, D), labels (N,)) to float32 logits (N, classes)."""
    from models.heads import MarginHead, SoftmaxHead

    check_head(kind)
    if kind == "softmax":
        return SoftmaxHead(classes, name="head")
    return MarginHead(classes, kind=kind, name="head", **kw)
