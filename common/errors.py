"""The root of every error a user can meet and fix, in every package.

Each package names its own errors under it (`generators.exceptions`, `iceberg.exceptions`,
`lakehouse.exceptions`); a command line catches `HealthlakeError`, prints the message as one line
`error: ...` and exits with its `exit_code`.
"""


class HealthlakeError(Exception):
    """Something the user can fix: the message says what was wrong, where, and what to do."""

    #: The exit status of a command that stops on this error (argparse's, for a usage error).
    exit_code: int = 2
