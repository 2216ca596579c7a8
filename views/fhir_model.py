"""The FHIR R4 element model: what type an element has, whether it repeats, its choice types.

Read from fhir_r4_model.json (written by `python -m views.build_fhir_model` from fhirpathpy and
fhirclient). A *type path* names where children are looked up: a type (`HumanName`) or, for a
backbone element, its path (`Patient.contact`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("fhir_r4_model.json")

# FHIR primitive types (lower camel case) and FHIRPath's System types, as the compiler reads
# them: how a JSON value of each is turned into a SQL value.
STRING_TYPES = frozenset(
    {
        "string",
        "code",
        "id",
        "uri",
        "url",
        "canonical",
        "oid",
        "uuid",
        "markdown",
        "xhtml",
        "base64Binary",
        "System.String",
    }
)
INTEGER_TYPES = frozenset({"integer", "positiveInt", "unsignedInt", "integer64", "System.Integer"})
DECIMAL_TYPES = frozenset({"decimal", "System.Decimal"})
BOOLEAN_TYPES = frozenset({"boolean", "System.Boolean"})
DATE_TYPES = frozenset(
    {"date", "dateTime", "instant", "time", "System.Date", "System.DateTime", "System.Time"}
)
PRIMITIVE_TYPES = STRING_TYPES | INTEGER_TYPES | DECIMAL_TYPES | BOOLEAN_TYPES | DATE_TYPES


@dataclass(frozen=True)
class Element:
    """An element of a type: its FHIR type, where its children are, whether it repeats, and
    for a choice element (`value[x]`) its candidate types."""

    type: str | None
    children: str | None
    repeats: bool
    choices: tuple[str, ...] = ()


class FhirModel:
    """Lookups in the FHIR R4 model."""

    def __init__(self, data: dict[str, object]) -> None:
        self.elements: dict[str, list[object]] = data["elements"]  # type: ignore[assignment]
        self.choices: dict[str, list[str]] = data["choices"]  # type: ignore[assignment]
        self.elsewhere: dict[str, str] = data["defined_elsewhere"]  # type: ignore[assignment]
        self.parents: dict[str, str] = data["parents"]  # type: ignore[assignment]
        self.repeating_choices = set(data["choices_repeating"])  # type: ignore[call-overload]

    def is_resource(self, name: str) -> bool:
        """Whether `name` is a FHIR R4 resource type (`Patient`; not `HumanName`, `Resource`)."""
        if name in ("Resource", "DomainResource"):
            return False
        parent = self.parents.get(name)
        while parent is not None:
            if parent == "Resource":
                return True
            parent = self.parents.get(parent)
        return False

    def is_type(self, name: str) -> bool:
        """Whether `name` is a FHIR type a column may declare (`string`, `Quantity`, ...)."""
        return name in PRIMITIVE_TYPES or name in self.parents or name == "integer64"

    def is_subtype(self, type_name: str | None, ancestor: str) -> bool:
        """Whether a value of `type_name` is also of `ancestor` (`Age` is a `Quantity`, a `code`
        is a `string`)."""
        current = type_name
        while current is not None:
            if current == ancestor or current.removeprefix("System.").lower() == ancestor.lower():
                return True
            current = self.parents.get(current)
        return False

    def element(self, type_path: str | None, name: str) -> Element | None:
        """The element `name` of values at `type_path`, or None when the model does not know it."""
        current = type_path
        while current is not None:
            path = f"{current}.{name}"
            if path in self.elements:
                element_type, repeats = self.elements[path]
                children = (
                    path if element_type in ("BackboneElement", "Element") else str(element_type)
                )
                return Element(str(element_type), children, bool(repeats))
            if path in self.elsewhere:
                target = self.elsewhere[path]
                repeats = bool(self.elements.get(target, [None, True])[1])
                return Element("BackboneElement", target, repeats)
            if path in self.choices:
                return Element(
                    None, None, path in self.repeating_choices, tuple(self.choices[path])
                )
            current = "BackboneElement" if "." in current else self.parents.get(current)
        return None


@cache
def model() -> FhirModel:
    """The FHIR R4 model, read once."""
    return FhirModel(json.loads(MODEL_FILE.read_text(encoding="utf-8")))
