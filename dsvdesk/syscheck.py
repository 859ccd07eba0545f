"""Pre-flight checks run by the Makefile: say which Debian package is missing instead of failing obscurely."""

from __future__ import annotations

import importlib
import os
import re
import sys

# shared library → the Debian package that provides it (from docs/stack.md §2b, checked in a bare chroot)
LIB_PACKAGES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libX11.so.6": "libx11-6",
}
ALL_QT_PACKAGES = "libgl1 libegl1 libglib2.0-0 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libx11-6"


def check_qt_libraries() -> int:
    try:
        importlib.import_module("PySide6.QtWidgets")
    except ImportError as exc:
        missing = re.findall(r"(lib[\w.+-]+\.so[.\d]*)", str(exc))
        packages = sorted({LIB_PACKAGES.get(lib, "") for lib in missing} - {""}) or ALL_QT_PACKAGES.split()
        print(f"Qt cannot start: {exc}")
        print("Fix: sudo apt-get install -y --no-install-recommends " + " ".join(packages))
        return 1
    return 0


def check_display() -> int:
    if os.environ.get("QT_QPA_PLATFORM") in {"offscreen", "minimal", "vnc"}:
        return 0
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        print(
            "This machine has no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the window cannot open."
        )
        print("Run the app on a virtual screen instead:")
        print(
            "  sudo apt-get install -y xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0"
        )
        print("  xvfb-run -a make run")
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--display" in args:
        return check_display()
    return check_qt_libraries()


if __name__ == "__main__":
    sys.exit(main())
