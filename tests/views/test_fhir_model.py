"""The checked-in FHIR R4 element model is what fhirpathpy and fhirclient give, and reads right."""

from __future__ import annotations

import sys

from tests.conftest import run
from views.fhir_model import model


def test_the_checked_in_model_is_up_to_date() -> None:
    result = run([sys.executable, "-m", "views.build_fhir_model", "--check"])
    assert result.returncode == 0, result.stderr


def test_elements_types_repetition_and_choices() -> None:
    fhir = model()
    assert fhir.element("Patient", "name").repeats
    assert not fhir.element("HumanName", "family").repeats
    assert fhir.element("Patient.contact", "telecom").type == "ContactPoint"
    assert fhir.element("Questionnaire.item", "item").children == "Questionnaire.item"
    assert "Quantity" in fhir.element("Observation", "value").choices
    assert fhir.element("Patient", "id") is not None  # inherited from Resource
    assert fhir.element("Patient", "nmae") is None
    assert fhir.is_resource("Immunization") and not fhir.is_resource("HumanName")
    assert fhir.is_subtype("Age", "Quantity") and not fhir.is_subtype("Quantity", "Age")
