"""Cross-model validation: prove the FHIR and OMOP renderings of a dataset describe one world.

`python -m generators validate [DIR]` reads a generated dataset with DuckDB (NDJSON as JSON
objects, Parquet as tables), pairs every FHIR resource with its OMOP row through the OMOP id it
carries as an identifier (systems from `terminology.omop_id_system`), and counts every mismatch:
rows on one side only, people, dates, codes versus concept ids (through the terminology seed),
values and units, references that do not resolve, and events outside the person's observation
period, before birth or after death. Any mismatch makes the command exit non-zero.

Why it flattens the FHIR itself (the SQL below) instead of reusing the dbt staging models: what
it checks is the generator, not the pipeline. Its question is whether the generator's two
renderings of one world agree, and an answer independent of dbt is the point of a cross-check.
Reading the files straight after `generate`, with no catalog, load or build, it can only fail
because of the generator. It pairs rows by the OMOP ids the generator stamps on each FHIR
resource as an identifier, which real FHIR does not carry: the pipeline keeps only a Patient's
person_id identifier and numbers every other OMOP row itself, as it must for real exports, so its
rows could not be paired one to one with the generator's OMOP. Run through staging, a bug there
could also hide a generator bug or pass for one. The pipeline has its own cross-check the other
way round: dbt's reconciliation tests (`dbt_project/tests/reconciliation/`) compare the OMOP that
staging and the CDM models build from the FHIR with the OMOP feed. So the flattening here stays
small: only the fields the checks compare, nothing about the shapes of real exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from generators.exceptions import GeneratorError
from generators.manifest import read_manifest
from generators.terminology import TERMINOLOGY_FILE, omop_id_system


@dataclass(frozen=True)
class CheckResult:
    """One cross-model check: how many rows it compared and how many disagreed."""

    name: str
    compared: int
    mismatches: int


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# Each check: (name, SQL giving `compared` and `mismatches`). The views are set up in _connect.
_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "Patient <-> person (ids, person_source_value)",
        """select count(*), count(*) filter (where p.id is null or o.person_id is null
               or p.id <> o.person_source_value)
           from fhir_patient p full join omop_person o on p.person_id = o.person_id""",
    ),
    (
        "Patient <-> person (birth dates)",
        """select count(*), count(*) filter (where p.birth_date
               <> make_date(o.year_of_birth, o.month_of_birth, o.day_of_birth))
           from fhir_patient p join omop_person o using (person_id)""",
    ),
    (
        "Patient <-> person (gender vs gender_concept_id)",
        """select count(*), count(*) filter (where o.gender_concept_id
               <> case p.gender when 'male' then 8507 when 'female' then 8532 else 0 end)
           from fhir_patient p join omop_person o using (person_id)""",
    ),
    (
        "Patient <-> death (deceasedDateTime vs death_date)",
        """select count(*), count(*) filter (where p.deceased is distinct from d.death_date)
           from fhir_patient p left join omop_death d using (person_id)""",
    ),
    (
        "Encounter <-> visit_occurrence (ids, person, dates, class vs visit_concept_id)",
        """select count(*), count(*) filter (where f.id is null or o.visit_occurrence_id is null
               or f.person_id is distinct from o.person_id or f.start_date <> o.visit_start_date
               or f.end_date <> o.visit_end_date or f.concept_id is distinct from o.visit_concept_id
               or f.id <> o.visit_source_value)
           from fhir_encounter f
           full join omop_visit_occurrence o on f.omop_id = o.visit_occurrence_id""",
    ),
    (
        "Encounter <-> visit_occurrence (provider and care site)",
        """select count(*), count(*) filter (where f.provider_id is distinct from o.provider_id
               or f.care_site_id is distinct from o.care_site_id)
           from fhir_encounter f
           join omop_visit_occurrence o on f.omop_id = o.visit_occurrence_id""",
    ),
    (
        "Organization <-> care_site (ids, names)",
        """select count(*), count(*) filter (where f.id is null or o.care_site_id is null
               or f.name is distinct from o.care_site_name)
           from fhir_organization f full join omop_care_site o on f.omop_id = o.care_site_id""",
    ),
    (
        "Practitioner <-> provider (ids, names, gender, year of birth)",
        """select count(*), count(*) filter (where f.id is null or o.provider_id is null
               or f.name is distinct from o.provider_name
               or f.gender_concept_id is distinct from o.gender_concept_id
               or f.birth_year is distinct from o.year_of_birth)
           from fhir_practitioner f full join omop_provider o on f.omop_id = o.provider_id""",
    ),
    (
        "Encounter references to Practitioner and Organization that do not resolve",
        """select count(*), count(*) filter (where p.id is null or g.id is null)
           from fhir_encounter e
           left join fhir_practitioner p on e.practitioner_ref = 'Practitioner/' || p.id
           left join fhir_organization g on e.organization_ref = 'Organization/' || g.id""",
    ),
    (
        "Condition <-> condition_occurrence (ids, person, visit, date, code vs concept)",
        """select count(*), count(*) filter (where f.omop_id is null
               or o.condition_occurrence_id is null or f.person_id is distinct from o.person_id
               or f.visit_id is distinct from o.visit_occurrence_id
               or f.event_date <> o.condition_start_date
               or f.concept_id is distinct from o.condition_concept_id
               or f.code <> o.condition_source_value)
           from (select * from fhir_condition where system = {condition_system}) f
           full join omop_condition_occurrence o on f.omop_id = o.condition_occurrence_id""",
    ),
    (
        "Condition <-> observation (observation-domain codes)",
        """select count(*), count(*) filter (where f.omop_id is null or o.observation_id is null
               or f.person_id is distinct from o.person_id
               or f.visit_id is distinct from o.visit_occurrence_id
               or f.event_date <> o.observation_date
               or f.concept_id is distinct from o.observation_concept_id)
           from (select * from fhir_condition where system = {observation_system}) f
           full join omop_observation o on f.omop_id = o.observation_id""",
    ),
    (
        "Observation <-> measurement (ids, person, visit, date, code, value, unit)",
        """select count(*), count(*) filter (where f.omop_id is null or o.measurement_id is null
               or f.person_id is distinct from o.person_id
               or f.visit_id is distinct from o.visit_occurrence_id
               or f.event_date <> o.measurement_date
               or f.concept_id is distinct from o.measurement_concept_id
               or f.value is distinct from o.value_as_number
               or f.unit_concept_id is distinct from o.unit_concept_id)
           from fhir_measurement f
           full join omop_measurement o on f.omop_id = o.measurement_id""",
    ),
    (
        "MedicationRequest <-> drug_exposure (ids, person, visit, dates, code vs concept)",
        """select count(*), count(*) filter (where f.omop_id is null
               or o.drug_exposure_id is null or f.person_id is distinct from o.person_id
               or f.visit_id is distinct from o.visit_occurrence_id
               or f.event_date <> o.drug_exposure_start_date
               or f.end_date <> o.drug_exposure_end_date
               or f.concept_id is distinct from o.drug_concept_id)
           from fhir_medication_request f
           full join omop_drug_exposure o on f.omop_id = o.drug_exposure_id""",
    ),
    (
        "Procedure <-> procedure_occurrence (ids, person, visit, date, code vs concept)",
        """select count(*), count(*) filter (where f.omop_id is null
               or o.procedure_occurrence_id is null or f.person_id is distinct from o.person_id
               or f.visit_id is distinct from o.visit_occurrence_id
               or f.event_date <> o.procedure_date
               or f.concept_id is distinct from o.procedure_concept_id)
           from fhir_procedure f
           full join omop_procedure_occurrence o on f.omop_id = o.procedure_occurrence_id""",
    ),
    (
        "Event practitioners <-> event provider_id (diagnoses, measurement, drug, procedure)",
        """select count(*), count(*) filter (where f.omop_id is null or o.omop_id is null
               or f.provider_id is null or f.provider_id is distinct from o.provider_id)
           from fhir_event_providers f
           full join omop_event_providers o on f.system = o.system and f.omop_id = o.omop_id""",
    ),
    (
        "FHIR references (subject, encounter) that do not resolve",
        """select count(*), count(*) filter (where person_id is null
               or (encounter_ref is not null and visit_id is null))
           from fhir_events""",
    ),
    (
        "FHIR events before birth or after death",
        """select count(*), count(*) filter (where e.event_date < p.birth_date
               or e.event_date > p.deceased)
           from fhir_events e join fhir_patient p using (person_id)""",
    ),
    (
        "OMOP events outside the person's observation period",
        """select count(*), count(*) filter (where op.person_id is null
               or e.event_date < op.observation_period_start_date
               or e.event_date > op.observation_period_end_date)
           from omop_events e left join omop_observation_period op using (person_id)""",
    ),
    (
        "OMOP person without exactly one observation period",
        """select count(*), count(*) filter (where periods <> 1)
           from (select p.person_id, count(op.person_id) as periods from omop_person p
                 left join omop_observation_period op using (person_id) group by all)""",
    ),
)


# The OMOP tables whose rows are FHIR events naming a practitioner.
_EVENT_TABLES = (
    "condition_occurrence",
    "observation",
    "measurement",
    "drug_exposure",
    "procedure_occurrence",
)


def _connect(folder: Path) -> duckdb.DuckDBPyConnection:
    manifest = read_manifest(folder)
    paths = {
        entry.get("resource_type") or entry.get("table"): folder / entry["path"]
        for entry in manifest["files"]
    }
    missing = [
        name
        for name in (
            "Patient",
            "Encounter",
            "Condition",
            "Observation",
            "MedicationRequest",
            "Procedure",
            "Organization",
            "Practitioner",
            "person",
            "observation_period",
            "visit_occurrence",
            "condition_occurrence",
            "observation",
            "measurement",
            "drug_exposure",
            "procedure_occurrence",
            "death",
            "care_site",
            "provider",
        )
        if name not in paths
    ]
    if missing:
        raise GeneratorError(
            f"{folder} lacks {', '.join(missing)}: validation needs both renderings; "
            "run 'just generate' (without --only) first"
        )
    db = duckdb.connect()
    for name, path in paths.items():
        view = "fhir_raw_" + name.lower() if path.suffix == ".ndjson" else "omop_" + name
        reader = "read_ndjson_objects" if path.suffix == ".ndjson" else "read_parquet"
        db.execute(f"create view {view} as select * from {reader}({_sql_text(str(path))})")
    db.execute(
        "create table terminology as select * from read_csv("
        f"{_sql_text(str(TERMINOLOGY_FILE))}, header = true, all_varchar = true)"
    )
    systems = {
        "person": omop_id_system("person"),
        "visit": omop_id_system("visit_occurrence"),
        "measurement": omop_id_system("measurement"),
    }
    db.execute(f"""
        create table fhir_patient as
        select
            json ->> '$.id' as id,
            cast(json ->> '$.identifier[0].value' as bigint) as person_id,
            cast(json ->> '$.birthDate' as date) as birth_date,
            cast(left(json ->> '$.deceasedDateTime', 10) as date) as deceased,
            json ->> '$.gender' as gender,
            json ->> '$.identifier[0].system' as system
        from fhir_raw_patient;

        create table fhir_encounter as
        select
            e.json ->> '$.id' as id,
            cast(e.json ->> '$.identifier[0].value' as bigint) as omop_id,
            p.person_id,
            cast(e.json ->> '$.period.start' as date) as start_date,
            cast(e.json ->> '$.period.end' as date) as end_date,
            cast(t.target_concept_id as integer) as concept_id,
            e.json ->> '$.participant[0].individual.reference' as practitioner_ref,
            cast(e.json ->> '$.participant[0].individual.identifier.value' as bigint)
                as provider_id,
            e.json ->> '$.serviceProvider.reference' as organization_ref,
            cast(e.json ->> '$.serviceProvider.identifier.value' as bigint) as care_site_id
        from fhir_raw_encounter e
        left join fhir_patient p on e.json ->> '$.subject.reference' = 'Patient/' || p.id
        left join terminology t
            on t.source_system = e.json ->> '$.class.system'
            and t.source_code = e.json ->> '$.class.code';

        create table fhir_organization as
        select
            json ->> '$.id' as id,
            cast(json ->> '$.identifier[0].value' as bigint) as omop_id,
            json ->> '$.name' as name
        from fhir_raw_organization;

        create table fhir_practitioner as
        select
            json ->> '$.id' as id,
            cast(json ->> '$.identifier[0].value' as bigint) as omop_id,
            (json ->> '$.name[0].given[0]') || ' ' || (json ->> '$.name[0].family') as name,
            case json ->> '$.gender' when 'male' then 8507 when 'female' then 8532 else 0 end
                as gender_concept_id,
            cast(json ->> '$.birthDate' as integer) as birth_year
        from fhir_raw_practitioner;

        create table fhir_events as
        with raw as (
            select 'Condition' as resource_type, json,
                json ->> '$.recordedDate' as event_text, null as end_text,
                json -> '$.code.coding[0]' as coding, json -> '$.asserter' as practitioner
            from fhir_raw_condition
            union all
            select 'MedicationRequest', json, json ->> '$.authoredOn',
                json ->> '$.dispenseRequest.validityPeriod.end',
                json -> '$.medicationCodeableConcept.coding[0]', json -> '$.requester'
            from fhir_raw_medicationrequest
            union all
            select 'Procedure', json, json ->> '$.performedDateTime', null,
                json -> '$.code.coding[0]', json -> '$.performer[0].actor'
            from fhir_raw_procedure
            union all
            select 'Observation', json, json ->> '$.effectiveDateTime', null,
                json -> '$.code.coding[0]', json -> '$.performer[0]'
            from fhir_raw_observation
            union all
            select 'Encounter', json, json ->> '$.period.start', json ->> '$.period.end', null,
                json -> '$.participant[0].individual'
            from fhir_raw_encounter
        )
        select
            r.resource_type,
            r.json,
            r.json ->> '$.identifier[0].system' as system,
            cast(r.json ->> '$.identifier[0].value' as bigint) as omop_id,
            p.person_id,
            r.json ->> '$.encounter.reference' as encounter_ref,
            -- The practitioner an event names: Condition.asserter, MedicationRequest.requester,
            -- Procedure.performer[0].actor, Observation.performer[0].
            r.practitioner ->> '$.reference' as practitioner_ref,
            pr.omop_id as provider_id,
            e.omop_id as visit_id,
            cast(r.event_text as date) as event_date,
            cast(r.end_text as date) as end_date,
            r.coding ->> '$.system' as code_system,
            r.coding ->> '$.code' as code,
            cast(t.target_concept_id as integer) as concept_id
        from raw r
        left join fhir_patient p on r.json ->> '$.subject.reference' = 'Patient/' || p.id
        left join fhir_encounter e on r.json ->> '$.encounter.reference' = 'Encounter/' || e.id
        left join fhir_practitioner pr
            on r.practitioner ->> '$.reference' = 'Practitioner/' || pr.id
        left join terminology t
            on t.source_system = r.coding ->> '$.system' and t.source_code = r.coding ->> '$.code';

        create view fhir_condition as select * from fhir_events
            where resource_type = 'Condition';
        create view fhir_medication_request as select * from fhir_events
            where resource_type = 'MedicationRequest';
        create view fhir_procedure as select * from fhir_events
            where resource_type = 'Procedure';

        -- One row per OMOP measurement: a blood pressure Observation carries one identifier
        -- per component, in component order.
        create table fhir_measurement as
        with parts as (
            select e.*, i.idx,
                cast(e.json ->> ('$.identifier[' || (i.idx - 1) || '].value') as bigint) as part_id,
                e.json -> ('$.component[' || (i.idx - 1) || ']') as component
            from fhir_events e, range(1, 3) as i(idx)
            where e.resource_type = 'Observation'
                and e.json ->> ('$.identifier[' || (i.idx - 1) || '].system')
                    = {_sql_text(systems["measurement"])}
        )
        select
            p.part_id as omop_id, p.person_id, p.visit_id, p.event_date,
            p.practitioner_ref, p.provider_id,
            cast(t.target_concept_id as integer) as concept_id,
            cast(coalesce(p.component ->> '$.valueQuantity.value',
                p.json ->> '$.valueQuantity.value') as double) as value,
            cast(t.unit_concept_id as integer) as unit_concept_id
        from parts p
        left join terminology t
            on t.source_system = coalesce(
                p.component ->> '$.code.coding[0].system', p.code_system)
            and t.source_code = coalesce(p.component ->> '$.code.coding[0].code', p.code)
            and (p.component is null) = (t.kind <> 'vital' or t.key not like '%_bp');

        create view fhir_event_providers as
            select system, omop_id, provider_id, practitioner_ref from fhir_events
                where resource_type in ('Condition', 'MedicationRequest', 'Procedure')
            union all
            select {_sql_text(systems["measurement"])}, omop_id, provider_id, practitioner_ref
                from fhir_measurement;

        create view omop_event_providers as
            {
        " union all ".join(
            f"select {_sql_text(omop_id_system(table))} as system, {table}_id as omop_id,"
            f" provider_id from omop_{table}"
            for table in _EVENT_TABLES
        )
    };

        create view omop_events as
            select person_id, visit_start_date as event_date from omop_visit_occurrence
            union all select person_id, visit_end_date from omop_visit_occurrence
            union all select person_id, condition_start_date from omop_condition_occurrence
            union all select person_id, observation_date from omop_observation
            union all select person_id, measurement_date from omop_measurement
            union all select person_id, drug_exposure_start_date from omop_drug_exposure
            union all select person_id, drug_exposure_end_date from omop_drug_exposure
            union all select person_id, procedure_date from omop_procedure_occurrence
            union all select person_id, death_date from omop_death;
    """)
    del systems["person"], systems["visit"]
    return db


def validate(folder: Path) -> list[CheckResult]:
    """Run every cross-model check on a generated dataset folder."""
    db = _connect(folder)
    results = []
    for name, sql in _CHECKS:
        query = sql.format(
            condition_system=_sql_text(omop_id_system("condition_occurrence")),
            observation_system=_sql_text(omop_id_system("observation")),
        )
        # DuckDB 2.0: relation.fetchone() raises; fetchall() is the supported way.
        compared, mismatches = db.execute(query).fetchall()[0]
        results.append(CheckResult(name, int(compared), int(mismatches)))
    return results
