"""Command line of the local Trino (Athena's engine) over the lakehouse's Iceberg tables.

python -m trino_server up       # fetch Trino once (cached), start it and its catalog database
python -m trino_server status   # whether it is up, and where (exit 3 when it is down)
python -m trino_server down     # stop both
python -m trino_server fetch    # only fetch and unpack the pinned server, and check the JDK (CI)

It keeps its state in warehouse/trino/ ($HEALTHLAKE_WAREHOUSE/trino) and listens on 127.0.0.1,
port $HEALTHLAKE_TRINO_PORT (18080), with its catalog database on $HEALTHLAKE_TRINO_CATALOG_PORT
(15432). Load bronze into its catalog with `just load trino`, build with `just build trino`;
docs/trino.md says more.
"""

from __future__ import annotations

import argparse
import sys

from common.cli import OneLineParser, print_error
from common.errors import HealthlakeError
from common.paths import warehouse_dir
from trino_server.distribution import TRINO_VERSION, find_java, server_home
from trino_server.server import (
    DEFAULT_CATALOG_PORT,
    DEFAULT_PORT,
    TRINO_CATALOG,
    LocalTrino,
    port_setting,
)


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m trino_server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start Trino and its catalog database (fetching Trino once)")
    commands.add_parser("status", help="whether Trino is up, and where")
    commands.add_parser("down", help="stop Trino and its catalog database")
    commands.add_parser("fetch", help="fetch and unpack the pinned server, and check the JDK")
    return parser


def local_trino() -> LocalTrino:
    """The instance `just trino` manages: state in the warehouse, ports from the environment."""
    return LocalTrino(
        warehouse_dir() / "trino",
        port_setting("HEALTHLAKE_TRINO_PORT", DEFAULT_PORT),
        port_setting("HEALTHLAKE_TRINO_CATALOG_PORT", DEFAULT_CATALOG_PORT),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = _parser().parse_args(argv)
    try:
        trino = local_trino()
        if args.command == "up":
            seconds = trino.up()
            started = f"started in {seconds:.1f} s" if seconds else "already running"
            print(f"trino {TRINO_VERSION} {started}: {trino.url}, catalog {TRINO_CATALOG}")
            print(trino.status())
        elif args.command == "status":
            print(trino.status())
            return 0 if trino.instance() is not None else 3
        elif args.command == "fetch":
            home = server_home()
            java = find_java()
            print(f"trino {TRINO_VERSION}: {home}, Java {java.major} at {java.home}")
        elif args.command == "down":
            stopped = trino.down()
            print(f"stopped {' and '.join(stopped)}" if stopped else "trino: was not running")
    except HealthlakeError as error:
        return print_error(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
