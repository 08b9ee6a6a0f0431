"""Start training from a pretrained model: which backbone fits it, and copying its weights in."""

from __future__ import annotations

from core.errors import ModelFileInvalid, UsageError
from core.zoo import ModelSpec, get_spec

# built-in model family -> the trainable backbone its weights fit exactly
TRAINABLE_FAMILIES = {"mobilefacenet-insightface": "mobilefacenet-insightface", "mobilefacenet": "mobilefacenet",
                      "sface": "sface", "r18": "r18", "r34": "r34", "r50": "r50", "r100": "r100"}


def trainable_backbone(spec: ModelSpec) -> str | None:
    """The backbone name a model's weights can initialise, or None."""
    if spec.kind == "savedmodel":
        return None
    return TRAINABLE_FAMILIES.get(spec.family)


def init_settings(name: str) -> dict:
    """TrainConfig values implied by ``--init NAME``: backbone, sizes and preprocessing."""
    spec = get_spec(name)
    backbone = trainable_backbone(spec)
    if backbone is None:
        trainable = [s.name for s in _trainable()]
        raise UsageError(f"'{name}' ({spec.family}, {spec.kind}) cannot be trained further by this trainer. "
                         f"Trainable models: {', '.join(trainable) or 'none fetched yet'}.")
    return {"backbone": backbone, "embedding_size": spec.embedding_size, "input_size": spec.input_size,
            "preprocess": spec.preprocess}


def _trainable() -> list[ModelSpec]:
    from core.zoo import list_models

    return [s for s in list_models() if trainable_backbone(s) is not None]


def load_init_weights(model, name: str) -> int:
    """Copy the weights of model ``name`` into ``model`` (same backbone), layer by layer; returns arrays set."""
    from core.zoo import load_keras

    src = load_keras(get_spec(name))
    by_name = {layer.name: layer for layer in src.layers}
    count = 0
    for layer in model.layers:
        if not layer.weights:
            continue
        other = by_name.get(layer.name)
        if other is None or [w.shape for w in other.weights] != [w.shape for w in layer.weights]:
            raise ModelFileInvalid(f"'{name}' does not fit this backbone at layer {layer.name}.")
        layer.set_weights(other.get_weights())
        count += len(layer.weights)
    return count
