"""One command-line style for every program of the repository: argparse, with one-line errors.

argparse prints its usage block and then the error, and a typo in a flag reads like a crash.
Every error of our command lines is one line instead: what was wrong, and where to read more.
Programs with several commands give each its own subparser (`python -m iceberg load`); every
parser is a `OneLineParser`, and every error a user can fix is a `HealthlakeError` printed by
`print_error`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from common.errors import HealthlakeError


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (`error: PROG: MESSAGE; see PROG --help`).

    `--help` prints the description as it is written (our descriptions are module docstrings,
    laid out by hand), unless another `formatter_class` is given.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """Print the usage error as one line and exit 2, as argparse does."""
        print(f"error: {self.prog}: {message}; see '{self.prog} --help'", file=sys.stderr)
        sys.exit(2)


def path_argument(text: str) -> Path:
    """A path given on the command line; an empty string is refused.

    `Path("")` is `.`: without this, `ingest-fhir ""` would read the current folder and
    `generate --out ""` would replace it.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"{text!r} is an empty path; name a file or folder (. for the current folder)"
        )
    return Path(text)


def print_error(error: HealthlakeError) -> int:
    """Print `error: MESSAGE` on stderr; return the exit status the command should end with."""
    print(f"error: {error}", file=sys.stderr)
    return error.exit_code
