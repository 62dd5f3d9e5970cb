"""The scripts an app run uses: the shipped ones, overridden by name from a folder the deployment names.

A script that fails lint never reaches a call. The library keeps the last good version of each script
instead: a trainer saving a half-edited file in the middle of a shift must not take the greeting away from
fifty order takers. A folder's `regular.yaml` replaces the shipped `regular.yaml`; a new name adds a script.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scripts_lib.lint import Problem, check
from scripts_lib.model import Script

SHIPPED_DIR = Path(__file__).resolve().parent / "scripts"
SUFFIXES = (".yaml", ".yml")


class UnknownScript(KeyError):
    """No script of that name is loaded."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown script '{self.name}'; available: {', '.join(self.known) or 'none'}"


@dataclass(frozen=True)
class Loaded:
    script: Script
    path: Path


def _script_files(folder: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix in SUFFIXES and p.is_file()}


class ScriptLibrary:
    """Scripts by name (their file's stem). `reload()` re-reads the files and reports what it refused."""

    def __init__(self, directory: str | Path | None = None, *, shipped: bool = True) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.shipped = shipped
        self.problems: list[Problem] = []
        self._loaded: dict[str, Loaded] = {}
        self.reload()

    def reload(self) -> list[Problem]:
        """Read every script again. A file that fails lint is refused and the last good version of that
        script stays in use (the shipped one, if the folder's copy was never good). Returns the problems."""
        problems: list[Problem] = []
        candidates: dict[str, list[Path]] = {}  # name -> files, the one that wins first
        folders = ([SHIPPED_DIR] if self.shipped else []) + ([self.directory] if self.directory else [])
        unreadable: list[Path] = []
        for folder in folders:
            try:
                files = _script_files(folder)
            except OSError as exc:
                problems.append(Problem(str(folder), 1, f"cannot read the scripts folder: {exc.strerror or exc}"))
                unreadable.append(folder)
                continue
            for name, path in files.items():
                candidates.setdefault(name, []).insert(0, path)
        loaded: dict[str, Loaded] = {}
        for name, paths in candidates.items():
            for path in paths:
                script, found = check(path)
                if script is not None:
                    loaded[name] = Loaded(script, path)
                    break
                problems += found
                if name in self._loaded:
                    loaded[name] = self._loaded[name]
                    break
        for name, kept in self._loaded.items():
            if kept.path.parent in unreadable:
                loaded[name] = kept  # a folder gone for a moment (a network share) must not take its scripts away
        self._loaded = loaded
        self.problems = problems
        return problems

    def names(self) -> list[str]:
        return sorted(self._loaded)

    def __contains__(self, name: object) -> bool:
        return name in self._loaded

    def get(self, name: str) -> Script:
        try:
            return self._loaded[name].script
        except KeyError:
            raise UnknownScript(name, self.names()) from None

    def source(self, name: str) -> Path:
        """The file the script in use was read from (a refused newer file does not count)."""
        try:
            return self._loaded[name].path
        except KeyError:
            raise UnknownScript(name, self.names()) from None
