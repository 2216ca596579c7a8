"""Configuration: defaults load; bad files fail with the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.defaults import DEFAULT_PATIENTS, DEFAULT_SEED
from generators.config import DEFAULTS_FILE, load_config
from generators.exceptions import ConfigError
from tests.conftest import python_module


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_and_validate() -> None:
    config = load_config(None)
    assert (config.patients, config.seed) == (DEFAULT_PATIENTS, DEFAULT_SEED)
    assert "hypertension" in config.model.conditions


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "seed: 7\nconditions:\n  asthma:\n    prevalence_at_60: 0.2\n")
    config = load_config(path)
    assert config.seed == 7
    assert config.model.conditions["asthma"].prevalence_at_60 == 0.2
    assert config.model.conditions["asthma"].male_odds_ratio == 0.75


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("patientz: 5\n", "patientz", "one of the known keys"),
        ("visits:\n  per_year: 2\n", "visits.per_year", "one of the known keys"),
        ("seed: many\n", "seed", "an integer"),
        ("reference_date: someday\n", "reference_date", "a date as YYYY-MM-DD"),
        ("history_years: 0\n", "history_years", "an integer >= 1"),
        (
            "conditions:\n  asthma:\n    prevalence_at_60: 1.5\n",
            "conditions.asthma.prevalence_at_60",
            "a number > 0.0 and < 1.0",
        ),
        ("mortality:\n  doubling_years: -1\n", "mortality.doubling_years", "a number > 0.0"),
        (
            "conditions:\n  obesity:\n    risk_factors: {diabetes: 2}\n",
            "conditions.obesity.risk_factors.diabetes",
            "a condition listed before",
        ),
        (
            "conditions:\n  hypertension:\n    drugs: {aspirin: 1}\n",
            "conditions.hypertension.drugs.aspirin",
            "a drug key of the terminology seed",
        ),
        (
            "measurements:\n  hba1c:\n    minimum: 20\n",
            "measurements.hba1c.minimum",
            "a number below maximum",
        ),
        ("visits:\n  inpatient_share: 0.95\n", "visits.inpatient_share", "a share below"),
    ],
)
def test_bad_settings_name_the_file_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(f"{path}: {key}: expected {expected}"), message


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "seed: [1,\n")
    with pytest.raises(ConfigError, match=r"settings\.yaml line \d+: not valid YAML"):
        load_config(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_defaults_file_is_shipped() -> None:
    assert DEFAULTS_FILE.is_file()


def test_cli_reports_a_bad_config_in_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "visits:\n  max_per_year: -3\n")
    result = python_module(
        "generators", "generate", "10", "--config", str(path), "--out", str(tmp_path / "o")
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "visits.max_per_year: expected a number > 0.0" in result.stderr
