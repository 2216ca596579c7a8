"""Write views/fhir_r4_model.json, the FHIR R4 element model the compiler types paths with.

    uv run python -m views.build_fhir_model [--check]

Two packages each hold half of what is needed, both generated from the FHIR R4 (4.0.1)
StructureDefinitions: fhirpathpy (MIT) has every element's type, the choice elements' types and
the elements defined elsewhere (`Questionnaire.item.item` is `Questionnaire.item`); fhirclient
(Apache-2.0) has whether each element repeats (`max = *`). The compiler needs both: the type to
resolve `ofType` and to refuse a non-boolean `where`, the repetition to know that `name.family`
may give many values. The merged file is checked in, so the compiler needs neither package at
run time; `--check` (run by the tests) fails when the file is not what the packages give.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from common.cli import OneLineParser

MODEL_FILE = Path(__file__).with_name("fhir_r4_model.json")


def _fhirpathpy_model(name: str) -> Any:
    return json.loads(
        resources.files("fhirpathpy.models").joinpath("r4", name).read_text(encoding="utf-8")
    )


def _fhirclient_classes() -> dict[str, type]:
    """fhirclient's model classes by the FHIR type they implement (`Reference` -> FHIRReference)."""
    import fhirclient.models

    classes: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(fhirclient.models.__path__):
        if module_info.name.endswith("_tests"):
            continue
        module = importlib.import_module(f"fhirclient.models.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and hasattr(value, "elementProperties"):
                type_name = getattr(value, "resource_type", None)
                if isinstance(type_name, str) and value.__module__ == module.__name__:
                    classes.setdefault(type_name, value)
    return classes


def _backbone_paths(path2type: dict[str, str]) -> set[str]:
    """Paths of backbone elements (`Patient.contact`): fhirpathpy lists only their children."""
    return {path.rsplit(".", 1)[0] for path in path2type if path.count(".") > 1} | {
        path
        for path, element_type in path2type.items()
        if element_type in ("BackboneElement", "Element")
    }


def _repeating_paths(path2type: dict[str, str], backbones: set[str]) -> set[str]:
    """Every element path whose element repeats, walking backbone elements by their path."""
    classes = _fhirclient_classes()
    repeating: set[str] = set()

    def walk(path: str, cls: type) -> None:
        try:
            properties = cls().elementProperties()
        except TypeError:  # an abstract class (MetadataResource): no elements of its own
            return
        for name, _json_name, kind, is_list, of_many, _required in properties:
            element_path = f"{path}.{of_many or name}"
            if is_list:
                repeating.add(element_path)
            if element_path in backbones and isinstance(kind, type):
                walk(element_path, kind)

    top_level = {path.split(".", 1)[0] for path in path2type}
    for type_name, cls in classes.items():
        if type_name in top_level:
            walk(type_name, cls)
    return repeating


def build() -> dict[str, Any]:
    """The merged model: `elements` maps `Type.path` to [type, repeats]."""
    path2type: dict[str, str] = _fhirpathpy_model("path2Type.json")
    choices: dict[str, list[str]] = _fhirpathpy_model("choiceTypePaths.json")
    backbones = _backbone_paths(path2type)
    repeating = _repeating_paths(path2type, backbones)
    types = {path: "BackboneElement" for path in backbones if "." in path} | path2type
    elements = {
        path: [element_type, path in repeating] for path, element_type in sorted(types.items())
    }
    return {
        "source": "FHIR R4 4.0.1, merged from fhirpathpy (types) and fhirclient (repetition) "
        "by python -m views.build_fhir_model",
        "elements": elements,
        # A choice element repeats in no R4 resource; its candidate types, in definition order.
        "choices": {
            path: [_lower_first(t) if _is_primitive(t) else t for t in types]
            for path, types in sorted(choices.items())
        },
        "choices_repeating": sorted(path for path in choices if path in repeating),
        "defined_elsewhere": dict(sorted(_fhirpathpy_model("pathsDefinedElsewhere.json").items())),
        "parents": dict(sorted(_fhirpathpy_model("type2Parent.json").items())),
    }


_PRIMITIVES = {
    "Base64Binary",
    "Boolean",
    "Canonical",
    "Code",
    "Date",
    "DateTime",
    "Decimal",
    "Id",
    "Instant",
    "Integer",
    "Integer64",
    "Markdown",
    "Oid",
    "PositiveInt",
    "String",
    "Time",
    "UnsignedInt",
    "Uri",
    "Url",
    "Uuid",
    "Xhtml",
}


def _is_primitive(type_name: str) -> bool:
    return type_name in _PRIMITIVES


def _lower_first(type_name: str) -> str:
    return type_name[0].lower() + type_name[1:]


def _rendered(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=0, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m views.build_fhir_model", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="fail if the checked-in model differs from the packages' model",
    )
    args = parser.parse_args(argv)
    text = _rendered(build())
    if args.check:
        if MODEL_FILE.read_text(encoding="utf-8") != text:
            print(
                f"error: {MODEL_FILE.name} is not what fhirpathpy and fhirclient give; "
                "run `uv run python -m views.build_fhir_model`",
                file=sys.stderr,
            )
            return 1
        print(f"{MODEL_FILE.name} is up to date")
        return 0
    MODEL_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {MODEL_FILE} ({len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
