"""The population model: plausibility rules, as properties over seeds and sizes."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from generators.config import GeneratorConfig
from generators.population import (
    BLOOD_PRESSURE,
    INPATIENT,
    OBSERVATION_KEYS,
    People,
    PeopleBatch,
    draw_batch,
    draw_people,
    draw_population,
)

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def _batch(seed: int, patients: int = 400) -> PeopleBatch:
    return draw_batch(GeneratorConfig(patients=patients, seed=seed, batch_size=patients), 0)


@settings(max_examples=15, deadline=None)
@given(seed=seeds)
def test_no_event_before_birth_after_death_or_outside_the_record(seed: int) -> None:
    batch = _batch(seed)
    assert (batch.observation_start >= batch.birth_date).all()
    assert (batch.observation_end >= batch.observation_start).all()
    dead = batch.is_dead
    assert (batch.observation_end[dead] == batch.death_date[dead]).all()
    for person_index, start, end in (
        (batch.visits.person_index, batch.visits.start, batch.visits.end),
        (batch.conditions.person_index, batch.conditions.recorded, batch.conditions.recorded),
        (batch.observations.person_index, batch.observations.date, batch.observations.date),
        (batch.drugs.person_index, batch.drugs.start, batch.drugs.end),
        (batch.procedures.person_index, batch.procedures.date, batch.procedures.date),
    ):
        assert (start >= batch.observation_start[person_index]).all()
        assert (end <= batch.observation_end[person_index]).all()
        assert (start <= end).all()


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_events_happen_at_their_visit(seed: int) -> None:
    batch = _batch(seed)
    visits = batch.visits
    for person_index, visit_index, day in (
        (batch.conditions.person_index, batch.conditions.visit_index, batch.conditions.recorded),
        (batch.observations.person_index, batch.observations.visit_index, batch.observations.date),
        (batch.procedures.person_index, batch.procedures.visit_index, batch.procedures.date),
    ):
        assert (visits.person_index[visit_index] == person_index).all()
        assert (visits.start[visit_index] == day).all()


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_medications_match_the_condition_they_treat(seed: int) -> None:
    batch = _batch(seed)
    model = GeneratorConfig(patients=1).model
    conditions = list(model.conditions)
    for drug, row in zip(batch.drugs.drug, batch.drugs.condition_row, strict=True):
        condition = conditions[batch.conditions.condition[row]]
        assert batch.drug_keys[drug] in model.conditions[condition].drugs


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_blood_pressure_is_plausible(seed: int) -> None:
    observations = _batch(seed).observations
    pressure = observations.key == BLOOD_PRESSURE
    systolic, diastolic = observations.value[pressure], observations.second_value[pressure]
    assert (diastolic < systolic).all()
    assert (systolic >= 80).all() and (systolic <= 220).all()


def test_prevalence_and_visits_rise_with_age() -> None:
    batch = _batch(5, patients=20_000)
    reference = np.datetime64("2025-01-01")
    age = (reference - batch.birth_date).astype(np.int64) / 365.25
    keys = batch.condition_keys
    hypertensive = np.zeros(len(batch), dtype=bool)
    rows = batch.conditions.condition == keys.index("hypertension")
    hypertensive[batch.conditions.person_index[rows]] = True
    young, old = age < 40, age >= 65
    assert hypertensive[old].mean() > 3 * hypertensive[young & (age >= 18)].mean()
    visits = np.bincount(batch.visits.person_index, minlength=len(batch))
    assert visits[old].mean() > 1.5 * visits[young].mean()
    inpatient = np.bincount(
        batch.visits.person_index[batch.visits.kind == INPATIENT], minlength=len(batch)
    )
    assert inpatient[old].mean() > inpatient[young].mean()
    assert not hypertensive[age < 18].any()


def test_hba1c_is_higher_with_diabetes() -> None:
    batch = _batch(8, patients=20_000)
    observations = batch.observations
    hba1c = observations.key == OBSERVATION_KEYS.index("hba1c")
    diabetic = np.zeros(len(batch), dtype=bool)
    rows = batch.conditions.condition == batch.condition_keys.index("type_2_diabetes")
    diabetic[batch.conditions.person_index[rows]] = True
    values, people = observations.value[hba1c], observations.person_index[hba1c]
    assert values[diabetic[people]].mean() > values[~diabetic[people]].mean() + 1.5
    assert np.median(values[~diabetic[people]]) < 6.0


def test_deaths_are_older_people_mostly() -> None:
    batch = _batch(3, patients=20_000)
    age = (np.datetime64("2025-01-01") - batch.birth_date).astype(np.int64) / 365.25
    assert 0.005 < batch.is_dead.mean() < 0.15
    assert np.median(age[batch.is_dead]) > 60


def test_ids_are_dense_and_unique_across_batches() -> None:
    config = GeneratorConfig(patients=1000, seed=4, batch_size=300)
    batches = list(draw_population(config))
    assert [len(b) for b in batches] == [300, 300, 300, 100]
    visit_ids = np.concatenate([b.visits.visit_id for b in batches])
    assert (visit_ids == np.arange(1, len(visit_ids) + 1)).all()
    measurement_ids = np.concatenate(
        [
            np.concatenate([b.observations.measurement_id, b.observations.second_measurement_id])
            for b in batches
        ]
    )
    measurement_ids = measurement_ids[measurement_ids > 0]
    assert len(np.unique(measurement_ids)) == len(measurement_ids)
    assert measurement_ids.max() == len(measurement_ids)


@settings(max_examples=10, deadline=None)
@given(seed=seeds, patients=st.integers(min_value=1, max_value=700))
def test_drawing_people_alone_gives_the_same_people(seed: int, patients: int) -> None:
    config = GeneratorConfig(patients=patients, seed=seed, batch_size=250)
    alone = list(draw_people(config))
    whole = list(draw_population(config))
    assert [len(b) for b in alone] == [len(b) for b in whole]
    for people, batch in zip(alone, whole, strict=True):
        assert type(people) is People
        for attribute in fields(People):
            left, right = getattr(people, attribute.name), getattr(batch, attribute.name)
            assert left.dtype == right.dtype, attribute.name
            assert np.array_equal(left, right, equal_nan=left.dtype.kind == "M"), attribute.name
