"""Import TensorFlow quietly, once (and only when needed), and describe the compute device."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import threading
from contextlib import contextmanager
from functools import lru_cache


@contextmanager
def quiet_native_stderr():
    """Hold back what native code writes to fd 2 (TensorFlow's and LiteRT's start-up lines); replay it on error."""
    if os.environ.get("FACEREC_TF_VERBOSE"):
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    with tempfile.TemporaryFile() as buf:
        os.dup2(buf.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            buf.seek(0)
            sys.stderr.write(buf.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# All TensorFlow work in this process runs on one dedicated thread. With the GUI's capture, recognition
# and enrolment threads each calling TensorFlow, tracing a new graph crashed TensorFlow 2.21 (segfault in
# graph construction) even under a shared lock; with one TF thread it does not. Each op already uses every
# core, so serialising costs no throughput; the hand-off costs microseconds.
_TF_THREAD = "facerec-tf"
_executor = None
_executor_lock = threading.Lock()  # guards creating the executor, nothing else


def run_tf(fn, *args, **kwargs):
    """Run ``fn`` on the TensorFlow thread and return its result (re-raising its exceptions)."""
    global _executor
    if threading.current_thread().name.startswith(_TF_THREAD):
        return fn(*args, **kwargs)
    with _executor_lock:
        if _executor is None:
            from concurrent.futures import ThreadPoolExecutor

            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_TF_THREAD)
    return _executor.submit(fn, *args, **kwargs).result()


GPU_SETUP: dict = {"gpus": 0, "memory_growth": None, "error": None}  # what tf() did, for `facerec info`


@lru_cache(maxsize=1)
def tf():
    """The ``tensorflow`` module, imported with its C++ chatter silenced and GPU memory growth on.

    Memory growth must be set before the runtime initialises a GPU, so it is set right
    after the devices are listed and before the first op. Set ``FACEREC_TF_VERBOSE=1``
    to see TensorFlow's own start-up messages.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with quiet_native_stderr():
        import tensorflow as _tf

        gpus = _tf.config.list_physical_devices("GPU")
        GPU_SETUP["gpus"] = len(gpus)
        try:
            for gpu in gpus:
                _tf.config.experimental.set_memory_growth(gpu, True)
            GPU_SETUP["memory_growth"] = bool(gpus)
        except (RuntimeError, ValueError) as exc:  # the runtime was started by someone else first
            GPU_SETUP["memory_growth"] = False
            GPU_SETUP["error"] = str(exc)
        _tf.constant(0.0) + 1.0  # initialise the runtime (and its log lines) here, quietly
    _tf.get_logger().setLevel("ERROR")  # per-canvas detection graphs are traced on purpose, once each
    return _tf


_MULTIWORKER = None


def multiworker_strategy():
    """``MultiWorkerMirroredStrategy`` from ``TF_CONFIG``. Collective ops must be configured before the
    runtime starts, so this must be called before anything else runs TensorFlow in the process."""
    global _MULTIWORKER
    if _MULTIWORKER is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with quiet_native_stderr():
            import tensorflow as _tf

            _MULTIWORKER = _tf.distribute.MultiWorkerMirroredStrategy()
    return _MULTIWORKER


def memory_growth_enabled() -> bool | None:
    """True when every GPU has memory growth on; None without a GPU."""
    t = tf()
    gpus = t.config.list_physical_devices("GPU")
    if not gpus:
        return None
    return all(t.config.experimental.get_memory_growth(g) for g in gpus)


def gpu_possible() -> bool:
    """Whether TensorFlow could use a GPU here, decided without importing it: an NVIDIA device is present and
    TensorFlow's CUDA libraries are installed (``pip install -e '.[gpu]'``)."""
    import importlib.util

    if not (os.path.exists("/dev/nvidia0") or os.path.isdir("/proc/driver/nvidia/gpus")):
        return False
    try:
        return importlib.util.find_spec("nvidia.cudnn") is not None or importlib.util.find_spec("nvidia.cuda_runtime") is not None
    except (ImportError, ValueError):
        return False


def device_name() -> str:
    """'GPU: <name>' when TensorFlow sees a GPU, else 'CPU (<n> cores)'. TensorFlow is asked only when it is
    loaded already or a GPU may be there (a CPU-only process never imports it for this)."""
    if "tensorflow" in sys.modules or gpu_possible():
        t = tf()
        gpus = t.config.list_physical_devices("GPU")
        if gpus:
            details = t.config.experimental.get_device_details(gpus[0])
            return f"GPU: {details.get('device_name', gpus[0].name)}"
    return f"CPU ({os.cpu_count()} cores)"


def has_gpu() -> bool:
    return bool(tf().config.list_physical_devices("GPU"))


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def machine() -> dict:
    """What the figures were measured on (without importing TensorFlow)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"device": device_name(), "cpu": cpu, "cores": os.cpu_count(), "tensorflow": _version("tensorflow"),
            "litert": _version("ai-edge-litert"), "python": platform.python_version()}
