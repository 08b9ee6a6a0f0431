"""The Qt binding must not lose references to None, True or False when signals are emitted: PySide6 6.12.0 did
(about one per emission), and the live view, which emits several signals a frame, ended a long session in
"Fatal Python error: none_dealloc". pyproject.toml keeps that release out."""

import gc
import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    value = Signal(object)
    pair = Signal(object, object)
    bare = Signal()


def counts() -> tuple[int, int, int]:
    gc.collect()
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def test_emitting_signals_keeps_the_singletons_reference_counts(qapp):
    e, got = Emitter(), []
    e.value.connect(lambda v: got.append(v))
    e.pair.connect(lambda a, b: got.append(a))
    e.bare.connect(lambda: got.append(None))
    for emit in (lambda: e.value.emit(None), lambda: e.value.emit(True), lambda: e.pair.emit(None, False),
                 e.bare.emit):
        emit()
        before = counts()
        for rounds in range(20):  # checked often, so a loss fails here before it can crash the process
            for _ in range(50):
                emit()
            now = counts()
            lost = [b - n for b, n in zip(before, now)]
            assert max(lost) < 30, f"after {50 * (rounds + 1)} emissions the binding lost {lost} references"
    assert len(got) >= 4 * 1000
