"""Packaging hook: ship forms/ and resources/ inside the installed package.

The repository keeps the form definitions and resources at its top level (where a force's analyst edits
them), so `[tool.setuptools.package-data]` cannot name them. This build step copies them into the built
package as ``dsvdesk/forms`` and ``dsvdesk/resources``, where ``dsvdesk.paths`` finds them beside
its own module. An editable install (``pip install -e``) reads them from the checkout instead.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("forms", "resources")  # top-level folders that become dsvdesk/<name> in a wheel


class BuildPyWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # editable: dsvdesk.paths falls back to the checkout's own folders
        root = Path(__file__).resolve().parent
        for name in SHIPPED:
            self.copy_tree(str(root / name), str(Path(self.build_lib) / "dsvdesk" / name))


setup(cmdclass={"build_py": BuildPyWithShippedFiles})
