"""Progress of a long command (import-marc, import-readers, demo): a bar on a terminal, a
plain line at each tenth of the work otherwise, so a log or a pipe shows the command is
alive without thousands of lines or terminal escapes.

    with CommandProgress(self.stderr._out, show=not options["no_progress"]) as progress:
        advance = progress.task("books.mrc", total=size, unit="bytes")
        ... advance(done) ...
        progress.print("a problem")  # above the bar, never through it
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

Advance = Callable[..., None]  # advance(done, total=None)


def _amount(value: int, unit: str) -> str:
    if unit == "bytes":
        return f"{value / 1_000_000:.1f} MB" if value >= 100_000 else f"{value / 1000:.0f} kB"
    return f"{value:,} {unit}"


class CommandProgress:
    """Progress bars on `stream` when it is a terminal (and `show`); else, with `lines`,
    one line per task each time it passes a tenth of its total."""

    def __init__(self, stream: TextIO, *, show: bool = True, lines: bool = True) -> None:
        self.stream = stream
        console = Console(file=stream, highlight=False, soft_wrap=True)
        self.bar = show and console.is_terminal
        self.lines = show and lines and not self.bar
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[amount]}"),  # "40% (12.0 MB of 30.0 MB)" once known
            TimeRemainingColumn(),
            console=console,
            disable=not self.bar,
        )

    def __enter__(self) -> CommandProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def task(self, description: str, *, total: int | None, unit: str = "records") -> Advance:
        """A piece of work of `total` units; call the returned function with the units
        done so far (and the total, if it has changed)."""
        task = self._progress.add_task(description, total=total, amount="")
        said = 0  # tenths already written as lines

        def advance(done: int, total_now: int | None = None) -> None:
            nonlocal said, total
            if total_now is not None:
                total = total_now
            amount = (
                f"{done * 100 // total}% ({_amount(done, unit)} of {_amount(total, unit)})"
                if total
                else ""
            )
            if self.bar and task in self._progress.task_ids:
                self._progress.update(task, completed=done, total=total, amount=amount)
                if total and done >= total:
                    self._progress.remove_task(task)  # done: its summary takes its place
            if not self.lines or not total:
                return
            tenths = min(10, done * 10 // total)
            if tenths > said:
                said = tenths
                self.stream.write(
                    f"{description}: {tenths * 10}% ({_amount(done, unit)} of "
                    f"{_amount(total, unit)})\n"
                )
                self.stream.flush()

        return advance

    def print(self, line: str) -> None:
        """A line of output that must not break the bar (a problem, a summary)."""
        if self.bar:
            self._progress.console.print(line, markup=False)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()
