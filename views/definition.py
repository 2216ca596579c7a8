"""A ViewDefinition (SQL on FHIR v2) read from JSON and checked, before any SQL exists.

Every rule broken is one error naming the view, the JSON path of the offending element and the
rule (`view patient_names: select[0].column[1].name: 'id' is already a column (Column Already
Defined)`). Unknown elements are refused rather than ignored: a misspelt `forEach` would
otherwise silently produce one row per resource.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from views import fhir_model, fhirpath
from views.exceptions import FhirPathSyntaxError, ViewDefinitionError

# A column name must work unquoted in any SQL engine (the spec's database-friendly format).
_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_VIEW_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CONSTANT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

# Elements of a FHIR resource any ViewDefinition may carry besides its own.
_RESOURCE_ELEMENTS = {
    "resourceType",
    "id",
    "meta",
    "implicitRules",
    "language",
    "text",
    "contained",
    "extension",
    "modifierExtension",
}
_VIEW_ELEMENTS = _RESOURCE_ELEMENTS | {
    "url",
    "identifier",
    "version",
    "name",
    "title",
    "status",
    "experimental",
    "date",
    "publisher",
    "contact",
    "description",
    "useContext",
    "copyright",
    "resource",
    "fhirVersion",
    "constant",
    "select",
    "where",
    "purpose",
    "jurisdiction",
    "profile",
}
_ELEMENT = {"id", "extension", "modifierExtension"}
_SELECT_ELEMENTS = _ELEMENT | {
    "column",
    "select",
    "forEach",
    "forEachOrNull",
    "repeat",
    "unionAll",
    "description",
}
_COLUMN_ELEMENTS = _ELEMENT | {"path", "name", "description", "collection", "type", "tag", "tags"}
_WHERE_ELEMENTS = _ELEMENT | {"path", "description"}
_TAG_ELEMENTS = _ELEMENT | {"name", "value"}

# The value[x] types a constant may have (ViewDefinition.constant.value[x]).
CONSTANT_TYPES = (
    "base64Binary",
    "boolean",
    "canonical",
    "code",
    "date",
    "dateTime",
    "decimal",
    "id",
    "instant",
    "integer",
    "integer64",
    "oid",
    "string",
    "positiveInt",
    "time",
    "unsignedInt",
    "uri",
    "url",
    "uuid",
)


# The JSON value each non-string constant type takes (integer64 may be written as a string).
_CONSTANT_VALUE_TYPES: dict[str, type | tuple[type, ...]] = {
    "boolean": bool,
    "integer": int,
    "positiveInt": int,
    "unsignedInt": int,
    "integer64": (int, str),
    "decimal": (int, float),
}


@dataclass(frozen=True)
class Column:
    """One output column: its name, FHIRPath, declared FHIR type and `ansi/type` tag."""

    name: str
    path: str
    expression: fhirpath.Node
    location: str
    type: str | None = None
    collection: bool = False
    ansi_type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Select:
    """A selection structure: columns, nested selects, a unionAll and one iteration at most."""

    location: str
    columns: tuple[Column, ...] = ()
    selects: tuple[Select, ...] = ()
    union_all: tuple[Select, ...] = ()
    for_each: fhirpath.Node | None = None
    for_each_or_null: fhirpath.Node | None = None
    repeat: tuple[fhirpath.Node, ...] = ()

    @property
    def iterates(self) -> bool:
        """Whether this select has its own iteration (and so its own %rowIndex)."""
        return self.for_each is not None or self.for_each_or_null is not None or bool(self.repeat)


@dataclass(frozen=True)
class Constant:
    """A named constant `%name` with its FHIR type and value."""

    name: str
    type: str
    value: Any


@dataclass(frozen=True)
class ViewDefinition:
    """A checked ViewDefinition, ready to compile."""

    name: str
    resource: str
    select: Select
    columns: tuple[Column, ...]
    where: tuple[tuple[str, fhirpath.Node], ...] = ()
    constants: dict[str, Constant] = field(default_factory=dict)
    description: str | None = None


class _Reader:
    """Reads one ViewDefinition, naming it in every error."""

    def __init__(self, view_name: str) -> None:
        self.view_name = view_name

    def fail(self, where: str, message: str) -> ViewDefinitionError:
        location = f"{where}: " if where else ""
        return ViewDefinitionError(f"view {self.view_name}: {location}{message}")

    def object(self, value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a JSON object, not {_json_kind(value)}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                where,
                f"unknown element {unknown[0]!r} (allowed: "
                f"{', '.join(sorted(allowed - _RESOURCE_ELEMENTS))})",
            )
        return value

    def array(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, f"must be a JSON array, not {_json_kind(value)}")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"must be a non-empty string, not {_json_kind(value)}")
        return value

    def path(self, value: Any, where: str) -> fhirpath.Node:
        text = self.string(value, where)
        try:
            return fhirpath.parse(text)
        except FhirPathSyntaxError as error:
            raise self.fail(where, f"invalid FHIRPath {text!r}: {error}") from None

    def constant(self, value: Any, where: str) -> Constant:
        item = self.object(
            value,
            where,
            _ELEMENT | {"name"} | {"value" + kind[0].upper() + kind[1:] for kind in CONSTANT_TYPES},
        )
        name = self.string(item.get("name"), f"{where}.name")
        if not _CONSTANT_NAME.fullmatch(name):
            raise self.fail(
                f"{where}.name",
                f"{name!r} is not a constant name (letters, digits and _, starting with a letter)",
            )
        values = [key for key in item if key.startswith("value")]
        if len(values) != 1:
            raise self.fail(
                where,
                f"constant {name!r} needs exactly one value[x] "
                f"(e.g. valueString), found {len(values)}",
            )
        kind = values[0][5].lower() + values[0][6:]
        constant_value = item[values[0]]
        expected = _CONSTANT_VALUE_TYPES.get(kind, str)
        if isinstance(constant_value, bool) != (kind == "boolean") or not isinstance(
            constant_value, expected
        ):
            raise self.fail(f"{where}.{values[0]}", f"{constant_value!r} is not a {kind}")
        return Constant(name, kind, constant_value)

    def column(self, value: Any, where: str) -> Column:
        item = self.object(value, where, _COLUMN_ELEMENTS)
        path_text = self.string(item.get("path"), f"{where}.path")
        expression = self.path(path_text, f"{where}.path")
        name = item.get("name")
        if name is None and re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", path_text):
            name = path_text  # `{"path": "id"}`: the spec's own examples name it by its path
        name = self.string(name, f"{where}.name")
        if not _COLUMN_NAME.fullmatch(name):
            raise self.fail(
                f"{where}.name",
                f"{name!r} is not a column name (letters, digits and _, starting with a letter)",
            )
        collection = item.get("collection", False)
        if not isinstance(collection, bool):
            raise self.fail(
                f"{where}.collection", f"must be true or false, not {_json_kind(collection)}"
            )
        column_type = item.get("type")
        if column_type is not None:
            column_type = self.string(column_type, f"{where}.type")
            if not fhir_model.model().is_type(column_type):
                raise self.fail(f"{where}.type", f"{column_type!r} is not a FHIR type")
        ansi_type = None
        for key in ("tag", "tags"):
            for index, tag in enumerate(self.array(item.get(key, []), f"{where}.{key}")):
                tag_item = self.object(tag, f"{where}.{key}[{index}]", _TAG_ELEMENTS)
                tag_name = self.string(tag_item.get("name"), f"{where}.{key}[{index}].name")
                tag_value = self.string(tag_item.get("value"), f"{where}.{key}[{index}].value")
                if tag_name == "ansi/type":
                    ansi_type = tag_value
        description = item.get("description")
        return Column(
            name,
            path_text,
            expression,
            where,
            column_type,
            collection,
            ansi_type,
            description if isinstance(description, str) else None,
        )

    def select(self, value: Any, where: str) -> Select:
        item = self.object(value, where, _SELECT_ELEMENTS)
        iterations = [key for key in ("forEach", "forEachOrNull", "repeat") if key in item]
        if len(iterations) > 1:
            raise self.fail(
                where,
                f"has both {iterations[0]} and {iterations[1]}; a select iterates one way at most",
            )
        repeat: tuple[fhirpath.Node, ...] = tuple(
            self.path(path, f"{where}.repeat[{index}]")
            for index, path in enumerate(self.array(item.get("repeat", []), f"{where}.repeat"))
        )
        if "repeat" in item and not repeat:
            raise self.fail(f"{where}.repeat", "must list at least one path")
        columns = tuple(
            self.column(column, f"{where}.column[{index}]")
            for index, column in enumerate(self.array(item.get("column", []), f"{where}.column"))
        )
        selects = tuple(
            self.select(sub, f"{where}.select[{index}]")
            for index, sub in enumerate(self.array(item.get("select", []), f"{where}.select"))
        )
        union_all = tuple(
            self.select(sub, f"{where}.unionAll[{index}]")
            for index, sub in enumerate(self.array(item.get("unionAll", []), f"{where}.unionAll"))
        )
        for_each = self.path(item["forEach"], f"{where}.forEach") if "forEach" in item else None
        for_each_or_null = (
            self.path(item["forEachOrNull"], f"{where}.forEachOrNull")
            if "forEachOrNull" in item
            else None
        )
        if not (columns or selects or union_all):
            raise self.fail(where, "has no column, select or unionAll: it would give no column")
        return Select(
            location=where,
            columns=columns,
            selects=selects,
            union_all=union_all,
            for_each=for_each,
            for_each_or_null=for_each_or_null,
            repeat=repeat,
        )

    def columns_of(self, select: Select, before: list[Column]) -> list[Column]:
        """The spec's ValidateColumns: names unique, unionAll branches alike, in output order."""
        result = list(before)

        def add(column: Column) -> None:
            clash = next((c for c in result if c.name == column.name), None)
            if clash is not None:
                raise self.fail(
                    f"{column.location}.name",
                    f"{column.name!r} is already a column "
                    f"({clash.location}): Column Already Defined",
                )
            result.append(column)

        for column in select.columns:
            add(column)
        for sub in select.selects:
            for column in self.columns_of(sub, result)[len(result) :]:
                add(column)
        if select.union_all:
            branches = [
                self.columns_of(branch, result)[len(result) :] for branch in select.union_all
            ]
            first = [column.name for column in branches[0]]
            for branch, columns in zip(select.union_all, branches, strict=True):
                names = [column.name for column in columns]
                if names != first:
                    raise self.fail(
                        branch.location,
                        f"unionAll branch columns {names} differ from "
                        f"the first branch's {first}: Union Branches "
                        "Inconsistent",
                    )
            for column in branches[0]:
                add(column)
        return result


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def read(value: Any, label: str = "(unnamed)") -> ViewDefinition:
    """Check a ViewDefinition given as parsed JSON.

    Raises:
        ViewDefinitionError: a rule is broken; the message names the view, the path and the rule.
    """
    name = value.get("name") if isinstance(value, dict) else None
    reader = _Reader(name if isinstance(name, str) and name else label)
    view = reader.object(value, "", _VIEW_ELEMENTS)
    if view.get("resourceType", "ViewDefinition") != "ViewDefinition":
        raise reader.fail("resourceType", f"{view['resourceType']!r} is not ViewDefinition")
    if name is not None:
        name = reader.string(name, "name")
        if not _VIEW_NAME.fullmatch(name):
            raise reader.fail(
                "name",
                f"{name!r} is not a view name (letters, digits and _, "
                "starting with a letter): it names the table",
            )
    resource = reader.string(view.get("resource"), "resource")
    if not fhir_model.model().is_resource(resource):
        raise reader.fail("resource", f"{resource!r} is not a FHIR R4 resource type")
    constants: dict[str, Constant] = {}
    for index, item in enumerate(reader.array(view.get("constant", []), "constant")):
        constant = reader.constant(item, f"constant[{index}]")
        if constant.name in constants:
            raise reader.fail(
                f"constant[{index}].name", f"constant {constant.name!r} is defined twice"
            )
        constants[constant.name] = constant
    selects = reader.array(view.get("select"), "select")
    if not selects:
        raise reader.fail("select", "is empty: a view needs at least one select")
    # The view's top level is one select holding the listed ones, as the spec's algorithm reads.
    top = Select(
        location="select",
        selects=tuple(
            reader.select(item, f"select[{index}]") for index, item in enumerate(selects)
        ),
    )
    wheres = tuple(
        (
            f"where[{index}].path",
            reader.path(
                reader.object(item, f"where[{index}]", _WHERE_ELEMENTS).get("path"),
                f"where[{index}].path",
            ),
        )
        for index, item in enumerate(reader.array(view.get("where", []), "where"))
    )
    columns = tuple(reader.columns_of(top, []))
    description = view.get("description")
    return ViewDefinition(
        name=reader.view_name,
        resource=resource,
        select=top,
        columns=columns,
        where=wheres,
        constants=constants,
        description=description if isinstance(description, str) else None,
    )


def load(path: Path) -> ViewDefinition:
    """Read and check the ViewDefinition in a JSON file (named after the file if it has no name).

    Raises:
        ViewDefinitionError: the file is not JSON or breaks a rule.
    """
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ViewDefinitionError(
            f"{path}: cannot read the ViewDefinition: {error.strerror}"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ViewDefinitionError(
            f"{path}: not JSON ({error}); a ViewDefinition is one JSON object"
        ) from None
    return read(value, path.stem)
