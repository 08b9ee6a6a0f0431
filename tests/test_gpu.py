"""The GPU path, on a real GPU (``pytest -m gpu`` or ``make bench-gpu``): skipped, with the reason, without one.

CPU and GPU embeddings agree to 1e-3, a mixed-precision XLA training step trains, memory growth is on, and the
benchmarks run on the device.
"""

import numpy as np
import pytest

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def gpu():
    from core.tf_runtime import tf

    gpus = tf().config.list_physical_devices("GPU")
    if not gpus:
        pytest.skip("no GPU visible to TensorFlow (install the gpu extra on a machine with one)")
    return gpus


@pytest.mark.parametrize("model", ["facenet", "sface", "arcface-mbf"])
def test_cpu_and_gpu_embeddings_agree(gpu, model, val_people, analyzer):
    from core.faces import align_face, get_embedder, load_image
    from core.tf_runtime import tf
    from core.zoo import load_inference
    from core.zoo.preprocess import apply

    emb = get_embedder(model, warmup=False)
    crops = []
    for paths in val_people.values():
        img = load_image(paths[0])
        f = max(analyzer.detect(img), key=lambda d: d.size)
        crops.append(align_face(img, f.landmarks, emb.spec.alignment()))
    crops = np.stack(crops)
    on_gpu = emb.embed(crops)                                   # XLA on the GPU
    t = tf()
    with t.device("/CPU:0"):
        net = load_inference(emb.spec)
        y = net(apply(emb.spec.preprocess, t.constant(crops.astype(np.float32)), t), training=False)
        on_cpu = t.math.l2_normalize(t.cast(y, t.float32), axis=1).numpy()
    np.testing.assert_allclose(on_gpu, on_cpu, atol=1e-3)


def test_memory_growth_is_on(gpu):
    from core.tf_runtime import GPU_SETUP, memory_growth_enabled

    assert memory_growth_enabled() is True and GPU_SETUP["error"] is None


def test_mixed_precision_xla_training_steps_train(gpu, tfrecords, tmp_path):
    from core.training.config import TrainConfig
    from core.training.trainer import train

    cfg = TrainConfig(data=str(tfrecords), out=str(tmp_path / "r"), steps=40, batch_size=32, mixed_precision=True,
                      xla=True, checkpoint_every=1000)
    res = train(cfg)
    losses = [h["loss"] for h in res["history"]]
    assert np.isfinite(losses).all() and np.mean(losses[-5:]) < np.mean(losses[:5])


def test_benchmarks_run_on_the_device(gpu):
    from core.bench.inference import bench_embed
    from core.bench.training import bench_train

    e = bench_embed("facenet", batches=(32, 512), seconds=2.0, runtime="tf")
    assert e["machine"]["device"].startswith("GPU") and e["results"][-1]["images_per_s"] > 0
    t = bench_train("mobilefacenet", batch_size=256, mixed_precision=True, steps=5)
    assert t["xla"] and t["images_per_s"] > 0
