"""PySide6 desktop GUI: thin widgets over the Qt-free core engine.

The window, workers, settings dialog, fetch dialog and system check at the top; one package per tab:
``live`` (the live view), ``gallery`` (the gallery browser and enrolment), ``workbench`` (training, evaluation,
benchmarks). Nothing heavy is imported at module import: the window appears before TensorFlow loads.
"""
