"""Modal dialogs. Each has an ``ask()`` classmethod that wraps ``exec()``: callers use ``ask``, tests
drive the dialog itself with ``open()`` or monkeypatch ``ask``."""
