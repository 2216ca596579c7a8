"""One command-line style: every program of the repository answers a usage error the same way.

Each is an argparse `OneLineParser` (common/cli.py): one line `error: PROG: MESSAGE; see 'PROG
--help'` on stderr and exit 2, not argparse's usage block, whichever package it lives in.
"""

from __future__ import annotations

import sys

import pytest

from tests.conftest import REPO_ROOT, one_line_error, run

PYTHON = sys.executable
# (the program as its parser names itself, the command that runs it with a bad argument)
PROGRAMS = [
    ("python -m generators", [PYTHON, "-m", "generators", "bogus"]),
    ("python -m generators.bench", [PYTHON, "-m", "generators.bench", "bogus"]),
    ("python -m iceberg", [PYTHON, "-m", "iceberg", "bogus"]),
    ("python -m lakehouse", [PYTHON, "-m", "lakehouse", "bogus"]),
    ("python -m lakehouse.bench", [PYTHON, "-m", "lakehouse.bench", "--bogus"]),
    ("python -m views", [PYTHON, "-m", "views", "bogus"]),
    ("python -m views.build_fhir_model", [PYTHON, "-m", "views.build_fhir_model", "--x"]),
    ("python -m views.dbt_models", [PYTHON, "-m", "views.dbt_models", "--x"]),
    ("python -m views.bench", [PYTHON, "-m", "views.bench", "x"]),
    ("python -m trino_server", [PYTHON, "-m", "trino_server", "bogus"]),
    ("python -m contracts", [PYTHON, "-m", "contracts", "bogus"]),
    ("just parity", [PYTHON, "scripts/parity.py", "--bogus"]),
    ("scripts/compare_results.py", [PYTHON, "scripts/compare_results.py", "--bogus"]),
    ("python -m scripts.pipeline_step", [PYTHON, "-m", "scripts.pipeline_step", "bogus"]),
    ("scripts/cleanup", [str(REPO_ROOT / "scripts" / "cleanup")]),
    ("python -m healthlake_infra.preflight", [PYTHON, "-m", "healthlake_infra.preflight", "x"]),
]


@pytest.mark.parametrize(("prog", "command"), PROGRAMS, ids=[prog for prog, _ in PROGRAMS])
def test_a_usage_error_is_one_line(prog: str, command: list[str]) -> None:
    one_line_error(run(command), f"error: {prog}: ", f"; see '{prog} --help'")
