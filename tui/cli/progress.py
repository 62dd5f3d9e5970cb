"""The one progress bar every long CLI job shows: on stderr when a person watches, silent when piped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

ProgressFn = Callable[[str, int, int], None]


def _silent(stage: str, done: int, total: int) -> None:
    """Piped or captured output stays clean for scripts that parse it."""


@contextmanager
def progress_bar() -> Iterator[ProgressFn]:
    """Yield `update(stage, done, total)`; each new stage gets its own bar line."""
    if not sys.stderr.isatty():
        yield _silent
        return
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=max(total, done))

        yield update
