"""The SQL each engine needs for FHIRPath over JSON, as sqlglot expression trees.

The compiler (views/compiler.py) speaks in a handful of operations on JSON values and arrays of
them: take a child, see a value as a collection, map, filter, flatten, pick an item, read a
scalar. Each engine says how it spells them; nothing else in the package knows an engine.
Every user-given value (a string constant, an extension URL, a path key) enters as a sqlglot
literal node, never as SQL text, so quoting and injection cannot go wrong.

DuckDB spells JSON arrays `JSON[]` and reads a JSON value's kind with `json_type`. Athena is
Trino: `array(json)`, `json_format` for text, `element_at` (an index past the end is null, as
FHIRPath wants; a zero index is an error, so the compiler never asks for one).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import ClassVar

from sqlglot import exp


def call(name: str, *args: exp.Expr) -> exp.Expr:
    """A function call by its engine's name."""
    return exp.Anonymous(this=name, expressions=list(args))


def string(value: str) -> exp.Expr:
    return exp.Literal.string(value)


def number(value: int | float | str) -> exp.Expr:
    literal = exp.Literal.number(value)
    return (
        exp.Neg(this=exp.Literal.number(str(value)[1:])) if str(value).startswith("-") else literal
    )


def case(*branches: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Expr:
    node = exp.Case(ifs=[exp.If(this=when, true=then) for when, then in branches])
    if default is not None:
        node.set("default", default)
    return node


def paren(node: exp.Expr) -> exp.Expr:
    return exp.Paren(this=node)


def _json_path(node: exp.Expr) -> tuple[exp.Expr, exp.Expr]:
    """`json_extract(base, path)` as (base, path), so a reader reads the path in one call; any
    other JSON value as (itself, '$')."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_extract":
        base, path = node.expressions
        if isinstance(path, exp.Literal):
            return base, path
    return node, string("$")


def _is_simple(node: exp.Expr) -> bool:
    """A column, a literal, or a JSON path of a column: cheap to repeat in the SQL."""
    if isinstance(node, exp.Column | exp.Literal | exp.Null | exp.Boolean):
        return True
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_extract":
        base, path = node.expressions
        return isinstance(base, exp.Column) and isinstance(path, exp.Literal)
    return False


class Engine:
    """The spelling of FHIRPath's operations in one SQL engine."""

    #: The engine's type of an array of JSON values.
    json_array_type: ClassVar[str] = ""

    def __init__(self, name: str, dialect: str, type_names: dict[str, str]) -> None:
        self.name = name
        self.dialect = dialect
        self.type_names = type_names
        self._names = count(1)

    def fresh(self, prefix: str = "x") -> str:
        """A name no other lambda variable or alias of this compilation has."""
        return f"{prefix}{next(self._names)}"

    def type(self, text: str) -> exp.DataType:
        return exp.DataType.build(text, dialect=self.dialect)

    def cast(self, node: exp.Expr, to: str, safe: bool = False) -> exp.Expr:
        kind = exp.TryCast if safe else exp.Cast
        return kind(this=node, to=self.type(to))

    def lam(self, variable: str, body: exp.Expr) -> exp.Expr:
        return exp.Lambda(this=body, expressions=[exp.to_identifier(variable)])

    # JSON values ---------------------------------------------------------------------------

    def parse_json(self, text: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def child(self, node: exp.Expr, key: str) -> exp.Expr:
        """The JSON value under `key` of a JSON object (SQL null when absent)."""
        if isinstance(node, exp.Anonymous) and node.name.lower() == "json_extract":
            base, path = node.expressions
            return call("json_extract", base, string(f"{path.name}.{key}"))
        return call("json_extract", node, string(f"$.{key}"))

    def json_text(self, node: exp.Expr) -> exp.Expr:
        """The JSON text of a JSON value."""
        raise NotImplementedError

    def scalar_text(self, node: exp.Expr) -> exp.Expr:
        """A JSON string's text, a number or boolean as written; null for objects and arrays."""
        raise NotImplementedError

    def to_json(self, scalar: exp.Expr) -> exp.Expr:
        """A SQL scalar as a JSON value (a varchar becomes a JSON string)."""
        raise NotImplementedError

    def array_to_json(self, array: exp.Expr) -> exp.Expr:
        """A SQL array as one JSON array value."""
        raise NotImplementedError

    # Arrays of JSON ------------------------------------------------------------------------

    def array(self, *items: exp.Expr) -> exp.Expr:
        if not items:
            return self.cast(exp.Array(expressions=[]), self.json_array_type)
        return exp.Array(expressions=list(items))

    def as_collection(self, node: exp.Expr) -> exp.Expr:
        """A JSON value as a FHIRPath collection: an array's items (JSON nulls dropped: FHIR
        writes them only to align `_given`-style extensions), a single value as one item, null
        as none."""

        def items(value: exp.Expr) -> exp.Expr:
            item = self.fresh()
            listed = exp.Coalesce(
                this=self.cast(value, self.json_array_type, safe=True),
                expressions=[exp.Array(expressions=[value])],
            )
            return self.filter(listed, item, self.is_present(exp.column(item)))

        return self.let(node, items)

    def is_present(self, item: exp.Expr) -> exp.Expr:
        """Whether a JSON value is a value: neither SQL null nor JSON null."""
        raise NotImplementedError

    def let(self, value: exp.Expr, body: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
        """`body(value)`, with `value` computed once: a lambda binds it when it is more than a
        column or a JSON path of one (a body that uses it twice would otherwise compute it twice,
        and nested bodies would double it again at every level)."""
        if _is_simple(value):
            return body(value)
        variable = self.fresh("v")
        return self.item(
            self.transform(exp.Array(expressions=[value]), variable, body(exp.column(variable))),
            number(1),
        )

    def transform(self, array: exp.Expr, variable: str, body: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def filter(self, array: exp.Expr, variable: str, condition: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def flatten(self, arrays: exp.Expr) -> exp.Expr:
        return call("flatten", arrays)

    def concat(self, *arrays: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def length(self, array: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def item(self, array: exp.Expr, position: exp.Expr) -> exp.Expr:
        """The item at a 1-based position (negative: from the end); null when there is none."""
        raise NotImplementedError

    def join(self, strings: exp.Expr, separator: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def contains(self, array: exp.Expr, value: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def distinct(self, array: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def fail(self, message: str) -> exp.Expr:
        """An expression that stops the query with `message` when it is evaluated."""
        raise NotImplementedError

    # Scalars -------------------------------------------------------------------------------

    def last_day_of_month(self, date: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def to_timestamptz(self, text: exp.Expr) -> exp.Expr:
        raise NotImplementedError

    def to_utc_timestamp(self, text: exp.Expr) -> exp.Expr:
        """An ISO 8601 instant as the UTC timestamp without zone it names (the lakehouse's
        stored form, as the dbt macro instant_to_utc gives it); null when it is not one."""
        raise NotImplementedError

    def from_base64(self, text: exp.Expr) -> exp.Expr:
        return call("from_base64", text)

    def regexp_extract(self, text: exp.Expr, pattern: str, group: int) -> exp.Expr:
        return call("regexp_extract", text, string(pattern), number(group))

    def matches(self, text: exp.Expr, pattern: exp.Expr) -> exp.Expr:
        return call("regexp_like", text, pattern)

    def sql_type(self, fhir_sql_type: str) -> str:
        """An engine type for one of the compiler's portable names (varchar, boolean, ...)."""
        return self.type_names[fhir_sql_type]


class DuckDBEngine(Engine):
    """DuckDB, the lakehouse's embedded engine."""

    json_array_type = "JSON[]"

    def __init__(self) -> None:
        super().__init__(
            "duckdb",
            "duckdb",
            {
                "varchar": "VARCHAR",
                "boolean": "BOOLEAN",
                "integer": "INTEGER",
                "bigint": "BIGINT",
                "double": "DOUBLE",
                "timestamptz": "TIMESTAMPTZ",
                "binary": "BLOB",
                "json": "JSON",
            },
        )

    def parse_json(self, text: exp.Expr) -> exp.Expr:
        # DuckDB's JSON functions read JSON text as it is; a cast to JSON would parse every
        # resource once more, only to check it (bronze holds only parsed JSON).
        return text

    def json_text(self, node: exp.Expr) -> exp.Expr:
        return self.cast(node, "VARCHAR")

    def scalar_text(self, node: exp.Expr) -> exp.Expr:
        # json_value is null for an object or array (as Trino's json_extract_scalar); ->> '$'
        # then unquotes a string.
        base, path = _json_path(node)
        return call("json_extract_string", call("json_value", base, path), string("$"))

    def is_present(self, item: exp.Expr) -> exp.Expr:
        # json_type of SQL null is null, which a filter drops too.
        return exp.NEQ(this=call("json_type", item), expression=string("NULL"))

    def to_json(self, scalar: exp.Expr) -> exp.Expr:
        return call("to_json", scalar)

    def array_to_json(self, array: exp.Expr) -> exp.Expr:
        return call("to_json", array)

    def transform(self, array: exp.Expr, variable: str, body: exp.Expr) -> exp.Expr:
        return call("list_transform", array, self.lam(variable, body))

    def filter(self, array: exp.Expr, variable: str, condition: exp.Expr) -> exp.Expr:
        return call("list_filter", array, self.lam(variable, condition))

    def concat(self, *arrays: exp.Expr) -> exp.Expr:
        result = arrays[0]
        for array in arrays[1:]:
            result = call("list_concat", result, array)
        return result

    def length(self, array: exp.Expr) -> exp.Expr:
        return call("len", array)

    def item(self, array: exp.Expr, position: exp.Expr) -> exp.Expr:
        return call("list_extract", array, position)

    def join(self, strings: exp.Expr, separator: exp.Expr) -> exp.Expr:
        return call("array_to_string", strings, separator)

    def contains(self, array: exp.Expr, value: exp.Expr) -> exp.Expr:
        return call("list_contains", array, value)

    def distinct(self, array: exp.Expr) -> exp.Expr:
        # list_distinct does not keep order; FHIRPath's union keeps first occurrences in order.
        item = self.fresh()
        position = self.fresh("i")
        return call(
            "list_filter",
            array,
            exp.Lambda(
                this=exp.EQ(
                    this=call("list_position", array, exp.column(item)),
                    expression=exp.column(position),
                ),
                expressions=[exp.to_identifier(item), exp.to_identifier(position)],
            ),
        )

    def fail(self, message: str) -> exp.Expr:
        return call("error", string(message))

    def last_day_of_month(self, date: exp.Expr) -> exp.Expr:
        return call("last_day", date)

    def matches(self, text: exp.Expr, pattern: exp.Expr) -> exp.Expr:
        return call("regexp_matches", text, pattern)

    def to_timestamptz(self, text: exp.Expr) -> exp.Expr:
        return self.cast(text, "TIMESTAMPTZ", safe=True)

    def to_utc_timestamp(self, text: exp.Expr) -> exp.Expr:
        return self.cast(call("timezone", string("UTC"), self.to_timestamptz(text)), "TIMESTAMP")


class AthenaEngine(Engine):
    """Athena engine v3, which is Trino: the SQL runs on Trino as it is."""

    json_array_type = "ARRAY(JSON)"

    def __init__(self) -> None:
        super().__init__(
            "athena",
            "trino",
            {
                "varchar": "VARCHAR",
                "boolean": "BOOLEAN",
                "integer": "INTEGER",
                "bigint": "BIGINT",
                "double": "DOUBLE",
                "timestamptz": "TIMESTAMP(3) WITH TIME ZONE",
                "binary": "VARBINARY",
                "json": "JSON",
            },
        )

    def parse_json(self, text: exp.Expr) -> exp.Expr:
        return call("json_parse", text)

    def json_text(self, node: exp.Expr) -> exp.Expr:
        return call("json_format", node)

    def scalar_text(self, node: exp.Expr) -> exp.Expr:
        return call("json_extract_scalar", *_json_path(node))

    def is_present(self, item: exp.Expr) -> exp.Expr:
        # A JSON null is the one scalar without scalar text; testing so serializes nothing.
        return exp.and_(
            exp.Not(this=exp.Is(this=item, expression=exp.Null())),
            exp.Not(
                this=paren(
                    exp.and_(
                        call("is_json_scalar", item),
                        exp.Is(
                            this=call("json_extract_scalar", item, string("$")),
                            expression=exp.Null(),
                        ),
                    )
                )
            ),
        )

    def to_json(self, scalar: exp.Expr) -> exp.Expr:
        # CAST(varchar AS JSON) would parse the text; an array's cast encodes it, and its item
        # is the JSON value of the scalar (a string stays a string).
        return call(
            "json_extract", self.cast(exp.Array(expressions=[scalar]), "JSON"), string("$[0]")
        )

    def array_to_json(self, array: exp.Expr) -> exp.Expr:
        return self.cast(array, "JSON")

    def transform(self, array: exp.Expr, variable: str, body: exp.Expr) -> exp.Expr:
        return call("transform", array, self.lam(variable, body))

    def filter(self, array: exp.Expr, variable: str, condition: exp.Expr) -> exp.Expr:
        return call("filter", array, self.lam(variable, condition))

    def concat(self, *arrays: exp.Expr) -> exp.Expr:
        return call("concat", *arrays)

    def length(self, array: exp.Expr) -> exp.Expr:
        return call("cardinality", array)

    def item(self, array: exp.Expr, position: exp.Expr) -> exp.Expr:
        return call("element_at", array, position)

    def join(self, strings: exp.Expr, separator: exp.Expr) -> exp.Expr:
        return call("array_join", strings, separator)

    def contains(self, array: exp.Expr, value: exp.Expr) -> exp.Expr:
        return call("contains", array, value)

    def distinct(self, array: exp.Expr) -> exp.Expr:
        return call("array_distinct", array)

    def fail(self, message: str) -> exp.Expr:
        return call("fail", string(message))

    def last_day_of_month(self, date: exp.Expr) -> exp.Expr:
        return call("last_day_of_month", date)

    def to_timestamptz(self, text: exp.Expr) -> exp.Expr:
        return call("try", call("from_iso8601_timestamp", text))

    def to_utc_timestamp(self, text: exp.Expr) -> exp.Expr:
        return self.cast(
            exp.AtTimeZone(this=self.to_timestamptz(text), zone=string("UTC")), "TIMESTAMP(6)"
        )


ENGINES = ("duckdb", "athena")


def engine(name: str) -> Engine:
    """A fresh engine (its own lambda-variable names) by name: `duckdb` or `athena`."""
    if name == "duckdb":
        return DuckDBEngine()
    if name == "athena":
        return AthenaEngine()
    raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
