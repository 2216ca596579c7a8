"""The default run: how many patients, which seed, wherever a run is started without them.

The generator's configuration, `python -m generators generate` and the AWS pipeline's state
machine read these; the justfile's `generate` and `run-local` show the same numbers as their
parameter defaults (`just --list` prints them), and tests/test_justfile.py holds the two equal.
"""

DEFAULT_PATIENTS = 10_000
DEFAULT_SEED = 42
