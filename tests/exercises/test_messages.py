"""What a learner reads when the work is wrong: actionable, one line each, never the answer."""

from __future__ import annotations

import json
from pathlib import Path

from exercises.catalog import Exercise, find
from exercises.checkers import check
from exercises.compare import differences, from_rows
from exercises.dataset import Dataset
from exercises.workspace import materialize


def _check_with(
    exercise: Exercise, dataset: Dataset, tmp_path: Path, name: str, text: str
) -> list[str]:
    work = materialize(exercise, tmp_path / exercise.id)
    (work / name).write_text(text)
    return check(exercise, work, dataset)


def test_a_missing_row_is_counted_never_shown(learn_dataset: Dataset, tmp_path: Path) -> None:
    cohort = find("omop-03")
    problems = _check_with(
        cohort,
        learn_dataset,
        tmp_path,
        "query.sql",
        "select person_id from omop.person where false",
    )
    assert len(problems) == 1
    assert problems[0].startswith("7 rows missing; you returned 0 rows")
    assert "person_id=" not in problems[0]


def test_an_extra_row_is_the_learners_own_and_a_duplicate_is_named(
    learn_dataset: Dataset, tmp_path: Path
) -> None:
    # Without `distinct`, a person with two qualifying results comes twice.
    query = (cohort := find("omop-03")).solution_dir.joinpath("query.sql").read_text()
    problems = _check_with(
        cohort, learn_dataset, tmp_path, "query.sql", query.replace("select distinct", "select")
    )
    assert len(problems) == 1
    assert "extra row" in problems[0] and "returned more than once" in problems[0]
    assert "rows missing" not in problems[0]


def test_a_wrong_type_names_the_column(learn_dataset: Dataset, tmp_path: Path) -> None:
    flatten = find("fhir-02")
    query = flatten.solution_dir.joinpath("query.sql").read_text()
    uncast = query.replace(
        "cast(json_extract_string(resource_json, '$.birthDate') as date)",
        "json_extract_string(resource_json, '$.birthDate')",
    )
    problems = _check_with(flatten, learn_dataset, tmp_path, "query.sql", uncast)
    assert problems == ["column birth_date: expected a date, you returned text"]


def test_wrong_column_names_are_listed(learn_dataset: Dataset, tmp_path: Path) -> None:
    problems = _check_with(
        find("omop-01"),
        learn_dataset,
        tmp_path,
        "query.sql",
        "select gender_concept_id, count(*) from omop.person group by 1",
    )
    assert problems == [
        "expected columns gender_concept_id, persons; you returned gender_concept_id, count_star()"
    ]


def test_a_query_that_fails_is_one_line(learn_dataset: Dataset, tmp_path: Path) -> None:
    problems = _check_with(
        find("omop-01"), learn_dataset, tmp_path, "query.sql", "select nope from omop.person"
    )
    assert len(problems) == 1
    assert problems[0].startswith("query.sql: your query failed: Binder Error")
    assert "\n" not in problems[0]
    assert _check_with(find("omop-01"), learn_dataset, tmp_path, "query.sql", "  \n") == [
        "query.sql is empty: write your query in it"
    ]


def test_a_python_answer_that_raises_says_where(learn_dataset: Dataset, tmp_path: Path) -> None:
    text = "def answer(catalog):\n    return 1 / 0\n"
    problems = _check_with(find("iceberg-01"), learn_dataset, tmp_path, "answer.py", text)
    assert problems == ["answer.py: answer() raised ZeroDivisionError: division by zero (line 2)"]


def test_a_view_that_does_not_compile_is_one_line(learn_dataset: Dataset, tmp_path: Path) -> None:
    view = json.loads(find("fhir-04").solution_dir.joinpath("view.json").read_text())
    view["select"][0]["column"][1]["path"] = "gender.("
    problems = _check_with(find("fhir-04"), learn_dataset, tmp_path, "view.json", json.dumps(view))
    assert len(problems) == 1
    assert problems[0].startswith("view.json: ")
    assert "gender.(" in problems[0]


def test_athena_only_problems_are_named(learn_dataset: Dataset, tmp_path: Path) -> None:
    problems = _check_with(
        find("parity-01"),
        learn_dataset,
        tmp_path,
        "query.sql",
        "select list_sum([visit_concept_id]) as visit_year, count(*) as visits, "
        "count(*) as emergency_visits from omop.visit_occurrence group by 1",
    )
    assert problems == [
        "query.sql: list_sum is no function of Athena (Trino); use one both engines have "
        "(docs/parity.md)"
    ]


def test_order_matters_only_when_the_task_says_so() -> None:
    expected = from_rows(["n"], [(1,), (2,)])
    reversed_rows = from_rows(["n"], [(2,), (1,)])
    assert differences(expected, reversed_rows) == []
    assert differences(expected, reversed_rows, ordered=True) == [
        "the rows are right but not in the order the task asks for"
    ]


def test_numbers_compare_to_six_decimals_and_integer_families_match() -> None:
    expected = from_rows(["rate"], [(1 / 3,)], ["number"])
    assert differences(expected, from_rows(["rate"], [(0.3333333333,)], ["number"])) == []
    assert differences(expected, from_rows(["rate"], [(0.33,)], ["number"])) != []
    assert differences(
        from_rows(["n"], [(3,)], ["integer"]), from_rows(["n"], [("3",)], ["text"])
    ) == ["column n: expected an integer, you returned text"]


def test_a_wrong_classification_names_the_column_and_the_choice_not_the_answer(
    learn_dataset: Dataset, tmp_path: Path
) -> None:
    classify = find("governance-01")
    answer = classify.solution_dir.joinpath("classification.yml").read_text()
    problems = _check_with(
        classify,
        learn_dataset,
        tmp_path,
        "classification.yml",
        answer.replace("zip: phi", "zip: internal").replace("  npi: pii\n", ""),
    )
    assert problems == [
        'column="location.zip": your classification="internal" is wrong',
        'missing: column="provider.npi"',
    ]


def test_a_classification_that_is_none_of_the_four_is_named(
    learn_dataset: Dataset, tmp_path: Path
) -> None:
    classify = find("governance-01")
    answer = classify.solution_dir.joinpath("classification.yml").read_text()
    text = answer.replace("zip: phi", "zip: secret").replace("npi: pii", "npi:")
    problems = _check_with(classify, learn_dataset, tmp_path, "classification.yml", text)
    assert problems == [
        "classification.yml: location.zip is 'secret', which is none of phi, pii, internal, public",
        "classification.yml: provider.npi has no classification yet (phi, pii, internal, public)",
    ]
    broken = _check_with(classify, learn_dataset, tmp_path, "classification.yml", "person: [")
    assert len(broken) == 1 and broken[0].startswith("classification.yml is not YAML: ")
    flat = _check_with(classify, learn_dataset, tmp_path, "classification.yml", "person_id: phi")
    assert flat == [
        "classification.yml must map each table to its columns and each column to a "
        "classification (person: {person_id: phi}), as the starter file does"
    ]


def test_a_phi_value_anywhere_in_the_result_names_the_column_not_the_value(
    learn_dataset: Dataset, tmp_path: Path
) -> None:
    mask = find("governance-02")
    query = mask.solution_dir.joinpath("query.sql").read_text()
    # The zip hidden in a column that looks harmless, the birth date kept as text.
    leaky = query.replace(
        "        address_state,\n", "        address_postal_code as address_state,\n"
    ).replace("cast(extract(year from birth_date) as integer)", "cast(birth_date as varchar)")
    assert leaky != query
    problems = _check_with(mask, learn_dataset, tmp_path, "query.sql", leaky)
    assert problems == [
        "column birth_date of your result holds birth_date values of the source (PHI): mask it "
        "as the task says",
        "column address_state of your result holds address_postal_code values of the source "
        "(PHI): mask it as the task says",
    ]


def test_the_salt_is_bound_only_where_the_query_names_it(
    learn_dataset: Dataset, tmp_path: Path
) -> None:
    mask = find("governance-02")
    query = mask.solution_dir.joinpath("query.sql").read_text()
    unsalted = query.replace("$salt || ", "")
    problems = _check_with(mask, learn_dataset, tmp_path, "query.sql", unsalted)
    assert len(problems) == 1
    assert problems[0].startswith("300 rows missing, 300 extra rows (e.g. person_id=")
    peppered = _check_with(
        mask, learn_dataset, tmp_path, "query.sql", query.replace("$salt", "$pepper")
    )
    assert peppered == [
        "query.sql: your query failed: Invalid Input Error: Values were not provided for the "
        "following parameters: pepper"
    ]
