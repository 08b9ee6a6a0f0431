"""PySide6 desktop GUI: thin widgets over the Qt-free core engine."""
