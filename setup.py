"""One build step beyond pyproject.toml: ship the scenarios and the fact register.

The repository keeps ``scenarios/`` and ``seeds/`` at its top level (the layout
is fixed), outside the ``sim`` package, so package-data cannot name them. A
non-editable build copies ``scenarios/**/*.yaml`` and ``seeds/*.yaml`` into the
package as ``sim/data/`` (read by :mod:`sim.scenario.shipped`), so an installed
sim runs ``python -m sim run paris`` from any folder. An editable install copies
nothing: it reads the repository's folders, so edits there count at once.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: (top-level folder, glob) pairs copied to sim/data/<folder>/, subfolders kept.
SHIPPED = (("scenarios", "**/*.yaml"), ("seeds", "*.yaml"))


def shipped_files() -> list[tuple[Path, Path]]:
    """(source, path below sim/data) for every file that ships; sorted, so builds are repeatable."""
    pairs = []
    for folder, pattern in SHIPPED:
        for source in sorted((HERE / folder).glob(pattern)):
            pairs.append((source, Path(folder) / source.relative_to(HERE / folder)))
    return pairs


class build_py_with_data(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        files = shipped_files()
        if not files:  # a source tree without them would install a sim that cannot run its own examples
            raise SystemExit("setup.py: scenarios/ and seeds/ not found next to setup.py; nothing to ship")
        for source, relative in files:
            target = Path(self.build_lib) / "sim" / "data" / relative
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target))

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        return outputs + [str(Path(self.build_lib) / "sim" / "data" / rel) for _, rel in shipped_files()]


setup(cmdclass={"build_py": build_py_with_data})
