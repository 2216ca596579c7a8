"""`just bench-pipeline [sizes]`: the whole local pipeline per population size, stage by stage.

    python -m lakehouse.bench_pipeline [sizes ...] [--json FILE] [--work-dir DIR] [--keep]

For each size (default 10000 100000 1000000 patients), in a fresh warehouse of its own, it runs
the commands a user runs, each in its own process tree, and measures each one:
1. `generate`: `just generate N 42`;
2. `load`: `just load` (bronze in the local Iceberg catalog);
3. `build`: `just build` (every model, seed and test, then the lakehouse file published);
4. `build_no_change`: `just build` again with nothing new in bronze;
5. `generate_incremental` and `load_incremental`: 1% more patients, the next batches of the
   same seeded population (`generate --after`), loaded beside the first;
6. `build_incremental`: `just build` over the grown bronze.

Each stage reports its wall time and the peak resident memory of the largest process it ran
(`wait4`'s maxrss over the stage's process tree), and the bytes on disk after it: the
generated datasets, the Iceberg tables and the lakehouse file. `--json FILE` writes every
figure as a list of objects (`patients`, `stage`, `wall_s`, `peak_rss_mb`, the byte counts), so
runs can be compared. A stage that fails stops the run with its command's last line.

Figures depend on the machine and what else runs on it: the load average is printed with them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from common.cli import OneLineParser, path_argument, print_error
from common.defaults import DEFAULT_SEED
from common.errors import HealthlakeError
from common.paths import REPO_ROOT
from generators.config import DEFAULT_BATCH_SIZE, parse_patients

DEFAULT_SIZES = ("10000", "100000", "1000000")
# The incremental batch: this share of the population, at least one patient.
INCREMENT = 0.01
_JUST = Path(sys.executable).parent / "just"


class BenchStageError(HealthlakeError):
    """A stage's command failed."""


@dataclass(frozen=True)
class StageFigures:
    """What one stage took, and what was on disk after it."""

    patients: int
    stage: str
    wall_s: float
    peak_rss_mb: float
    generated_bytes: int
    iceberg_bytes: int
    lakehouse_bytes: int


def _tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:  # removed while walking (a build's temp file)
                continue
    return total


def _measured(args: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run `args` to completion; its wall seconds and the peak RSS in MiB of the largest
    process of its tree (Linux `wait4` reports the maximum over the reaped descendants)."""
    started = time.perf_counter()
    with log.open("ab") as output:
        output.write(f"$ {' '.join(args)}\n".encode())
        output.flush()
        process = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=output, stderr=output)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        raise BenchStageError(
            f"{' '.join(args[:3])} failed (exit {process.returncode}): "
            f"{lines[-1] if lines else 'no output'}; the whole output is in {log}"
        )
    return seconds, usage.ru_maxrss / 1024


def _generator_config(patients: int, folder: Path) -> list[str]:
    """`--config` for a population the incremental batch can follow: the generator continues
    only after whole batches, so a size under one default batch is drawn as one batch (the
    same people: a population smaller than a batch is one batch either way)."""
    if patients % DEFAULT_BATCH_SIZE == 0:
        return []
    config = folder / "bench-generator.yml"
    config.write_text(f"batch_size: {patients}\n", encoding="utf-8")
    return ["--config", str(config)]


def bench_size(patients: int, warehouse: Path) -> list[StageFigures]:
    """Every stage at one size, in the fresh warehouse folder `warehouse`."""
    if warehouse.exists():
        shutil.rmtree(warehouse)
    warehouse.mkdir(parents=True)
    env = {
        **os.environ,
        "HEALTHLAKE_WAREHOUSE": str(warehouse),
        "PIPELINE_RUN_ID": f"bench-pipeline-{patients}",
    }
    generated, more = warehouse / "generated", warehouse / "generated-incremental"
    increment = max(1, round(patients * INCREMENT))
    python, just = sys.executable, str(_JUST)
    config = _generator_config(patients, warehouse)
    stages = [
        ("generate", [python, "-m", "generators", "generate", str(patients), str(DEFAULT_SEED),
                      "--out", str(generated), *config]),
        ("load", [just, "load"]),
        ("build", [just, "build"]),
        ("build_no_change", [just, "build"]),
        ("generate_incremental", [python, "-m", "generators", "generate", str(increment),
                                  "--after", str(generated), "--out", str(more)]),
        ("load_incremental", [python, "-m", "iceberg", "load", "--from", str(more)]),
        ("build_incremental", [just, "build"]),
    ]  # fmt: skip
    log = warehouse / "bench-pipeline.log"
    figures = []
    for stage, args in stages:
        seconds, peak_mib = _measured(args, env, log)
        figures.append(
            StageFigures(
                patients=patients,
                stage=stage,
                wall_s=round(seconds, 1),
                peak_rss_mb=round(peak_mib, 1),
                generated_bytes=_tree_bytes(generated) + _tree_bytes(more),
                iceberg_bytes=_tree_bytes(warehouse / "iceberg"),
                lakehouse_bytes=_tree_bytes(warehouse / "lakehouse.duckdb"),
            )
        )
        print(_line(figures[-1]), flush=True)
    return figures


def _line(figures: StageFigures) -> str:
    def mib(count: int) -> str:
        return f"{count / 2**20:,.0f}" if count else "-"

    return (
        f"{figures.patients:>10,}  {figures.stage:<21}  {figures.wall_s:>8.1f}  "
        f"{figures.peak_rss_mb:>8,.0f}  {mib(figures.generated_bytes):>9}  "
        f"{mib(figures.iceberg_bytes):>9}  {mib(figures.lakehouse_bytes):>9}"
    )


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _write_json(path: Path, results: list[StageFigures]) -> None:
    try:
        path.write_text(
            json.dumps([asdict(figures) for figures in results], indent=2) + "\n",
            encoding="utf-8",
        )
    except OSError as error:
        raise BenchStageError(
            f"--json {path}: cannot be written ({error.strerror}); name a writable file"
        ) from error


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m lakehouse.bench_pipeline", description=__doc__)
    parser.add_argument("sizes", nargs="*", default=list(DEFAULT_SIZES), help="patient counts")
    parser.add_argument("--json", type=path_argument, default=None, help="write figures here")
    parser.add_argument(
        "--work-dir",
        type=path_argument,
        default=None,
        help="where the warehouses go (default: a temporary folder, removed afterwards)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the warehouses")
    args = parser.parse_args(argv)
    try:
        # Checked before the first slow stage: a bad size is one line, not a failure minutes in.
        sizes = [parse_patients(size) for size in args.sizes]
        for size in sizes:
            if size > DEFAULT_BATCH_SIZE and size % DEFAULT_BATCH_SIZE:
                raise BenchStageError(
                    f"size {size:,}: above {DEFAULT_BATCH_SIZE:,} patients a size must be whole "
                    f"batches of {DEFAULT_BATCH_SIZE:,} (the incremental batch continues the "
                    "population); use a multiple of it"
                )
        if args.json is not None and args.json.is_dir():
            raise BenchStageError(f"--json {args.json} is a folder; name a file")
        if args.json is not None and not args.json.parent.is_dir():
            raise BenchStageError(
                f"--json {args.json}: the folder {args.json.parent} does not exist; create it or "
                "name a file in an existing folder"
            )
        work = args.work_dir or Path(tempfile.mkdtemp(prefix="healthlake-bench-pipeline-"))
        print(f"bench-pipeline on {os.cpu_count()} cores; load average {_load_average()}")
        print(
            f"{'patients':>10}  {'stage':<21}  {'wall s':>8}  {'peak MiB':>8}  "
            f"{'gen MiB':>9}  {'ice MiB':>9}  {'duck MiB':>9}"
        )
        results: list[StageFigures] = []
        try:
            for size in sizes:
                results += bench_size(size, work / str(size))
                print(f"load average {_load_average()}", flush=True)
        finally:
            if args.json is not None and results:
                _write_json(args.json, results)
        # Kept after a failure: the error names the log in it.
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    except HealthlakeError as error:
        return print_error(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
