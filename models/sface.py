"""SFace (OpenCV Zoo ``face_recognition_sface_2021dec``): a MobileNet-style network, 112x112x3 -> 128-d.

Rebuilt in Keras 3 with the ONNX file's layer names so the weights load strictly by
name (:func:`models.onnx_import.import_sface`). Explicit symmetric padding, as ONNX
pads (Keras ``padding="same"`` pads unevenly at stride 2). The flattened 7x7x1024
map feeds the 128-d layer in height-width-channel order (the importer permutes the
ONNX channel-height-width weights). Input: (x - 127.5) / 128 of RGB pixels.
"""

from __future__ import annotations

import keras
from keras import layers

INPUT_SIZE = 112
EMBEDDING_SIZE = 128
# (depthwise stride, pointwise channels) of conv_2 .. conv_14; conv_1 is a full 3x3 conv to 32 channels
BLOCKS = ((1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512), (1, 512), (1, 512), (1, 512), (1, 512),
          (1, 512), (2, 1024), (1, 1024))


def _bn_prelu(x, name, eps=1e-3):
    x = layers.BatchNormalization(epsilon=eps, momentum=0.9, name=f"{name}_batchnorm")(x)
    return layers.PReLU(shared_axes=[1, 2], name=f"{name}_relu")(x)


def build_sface(input_size: int = INPUT_SIZE, embedding_size: int = EMBEDDING_SIZE, dropout: float = 0.4) -> keras.Model:
    """Inputs (N, 112, 112, 3) preprocessed float32; outputs (N, 128) un-normalised embeddings."""
    inp = keras.Input((input_size, input_size, 3), name="data")
    x = layers.ZeroPadding2D(1, name="conv_1_pad")(inp)
    x = layers.Conv2D(32, 3, 1, padding="valid", use_bias=False, name="conv_1_conv2d")(x)
    x = _bn_prelu(x, "conv_1")
    for i, (stride, channels) in enumerate(BLOCKS, start=2):
        x = layers.ZeroPadding2D(1, name=f"conv_{i}_dw_pad")(x)
        x = layers.DepthwiseConv2D(3, stride, padding="valid", use_bias=False, name=f"conv_{i}_dw_conv2d")(x)
        x = _bn_prelu(x, f"conv_{i}_dw")
        x = layers.Conv2D(channels, 1, use_bias=False, name=f"conv_{i}_conv2d")(x)
        x = _bn_prelu(x, f"conv_{i}")
    x = layers.BatchNormalization(epsilon=2e-5, momentum=0.9, name="bn1")(x)
    x = layers.Dropout(dropout, name="dropout5")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(embedding_size, name="pre_fc1")(x)
    x = layers.BatchNormalization(epsilon=2e-5, momentum=0.9, name="fc1")(x)
    return keras.Model(inp, x, name="sface")
