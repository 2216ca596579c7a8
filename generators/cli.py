"""What the command lines of both packages share: one-line usage errors, checked arguments.

argparse prints its usage block and then the error, and a typo in a flag reads like a crash.
Every error of our command lines is one line instead: what was wrong, and where to read more.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (`error: PROG: MESSAGE; see PROG --help`)."""

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
