"""ViewDefinition -> one SQL query per engine, built as a sqlglot expression tree.

How FHIRPath becomes SQL. A FHIRPath value is one of three forms, chosen so the common paths
cost no more than hand-written JSON extraction:
- `single`: one JSON value or SQL null (empty): the resource, an element the FHIR model says
  does not repeat (`gender`, `code.text`: one `json_extract` with the whole path), an item of a
  forEach, `first()`;
- `coll`: an array of JSON values, for anything that may hold more (`name.given`);
- `scalar`: a typed SQL value (a literal, a comparison, `exists()`, `%rowIndex`).
Each value also carries its FHIR type (from the R4 model) and whether it may hold many items,
which is how a column without `collection: true` over a repeating path is refused at compile
time, and a `where` that is not boolean too.

How a select tree becomes rows (the spec's Process algorithm). Every forEach, forEachOrNull and
repeat becomes `CROSS JOIN UNNEST(<collection>) WITH ORDINALITY`, chained in the order of the
tree, so a select's unnest is joined before its children's and siblings multiply: the chain of
joins *is* the spec's Cartesian product of a select's parts. A unionAll is distributed over the
product (`S x (U1 + U2) = S x U1 + S x U2`), so the query is a UNION ALL of such chains, one per
choice of unionAll branches. forEachOrNull unnests `[null]` when its collection is empty; every
iteration below such a null unnests `[null]` too and every column under it is null (its
`%rowIndex` 0), and only the first branch of a unionAll under it runs: exactly the one row of
nulls the spec asks for. `repeat` unnests the pre-order list of all descendants, unrolled to
REPEAT_DEPTH levels; a deeper tree stops the query with an error rather than losing rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sqlglot import exp

from views import fhir_model, fhirpath
from views.definition import Column, Select, ViewDefinition
from views.engines import Engine, call, case, engine, number, paren, string
from views.exceptions import ViewDefinitionError

# How deep `repeat` follows its paths. Each level is one more nested lambda, and DuckDB's
# binder takes about twice as long per level (0.2 s at 8, 0.7 s at 10, 100 s at 16, measured):
# 8 levels of Questionnaire items is more than real forms nest; a deeper tree stops the query
# with an error naming this constant instead of losing rows.
REPEAT_DEPTH = 8

# The portable SQL type of each FHIR type, after the spec's default mapping (ISO/IEC 9075).
_SQL_TYPES = {
    **{t: "varchar" for t in fhir_model.STRING_TYPES | fhir_model.DATE_TYPES},
    **{t: "integer" for t in fhir_model.INTEGER_TYPES},
    "integer64": "bigint",
    **{t: "varchar" for t in fhir_model.DECIMAL_TYPES},
    **{t: "boolean" for t in fhir_model.BOOLEAN_TYPES},
    "instant": "timestamptz",
    "base64Binary": "binary",
}
_SYSTEM_TYPES = {
    "System.String": "string",
    "System.Boolean": "boolean",
    "System.Integer": "integer",
    "System.Decimal": "decimal",
    "System.Date": "date",
    "System.DateTime": "dateTime",
    "System.Time": "time",
}


@dataclass(frozen=True)
class Value:
    """A compiled FHIRPath value (see the module docstring for the forms)."""

    form: str  # single, coll or scalar
    sql: exp.Expr
    type: str | None = None
    children: str | None = None
    many: bool | None = None
    # For a choice element (`value` of Observation): the value it was read from, its name and
    # candidate types, so `ofType(Quantity)` reads `valueQuantity` alone.
    choice: tuple[Value, str, tuple[str, ...]] | None = None
    # A shortcut to the same value as one JSON path of one document: (document, `$.a[0].b`).
    # For a `single`, its text is that path's text when the path finds a value; for a `coll`,
    # it is where the first item is. `sql` stays the definition (it also reads an object where
    # FHIR has an array, and skips JSON nulls); the path is what is read first, so the common
    # case costs one JSON lookup, as hand-written extraction does.
    fast: tuple[exp.Expr, str] | None = None


@dataclass(frozen=True)
class Scope:
    """Where an expression is evaluated: its focus, the resource, the current %rowIndex."""

    focus: Value
    resource: Value
    row_index: exp.Expr
    location: str
    # Whether `$this` and friends refer to a where()/select() item rather than the row's focus.
    this: Value | None = None


@dataclass(frozen=True)
class OutputColumn:
    """A column of the compiled view, as the runner writes it."""

    name: str
    fhir_type: str | None
    sql_type: str  # portable: varchar, boolean, integer, bigint, timestamptz, binary, json
    collection: bool
    ansi_type: str | None = None


@dataclass
class _Branch:
    """One chain of unnests and the columns and conditions it gives (one unionAll choice)."""

    joins: list[exp.Expr] = field(default_factory=list)
    columns: dict[str, exp.Expr] = field(default_factory=dict)
    conditions: list[exp.Expr] = field(default_factory=list)


@dataclass(frozen=True)
class CompiledView:
    """The SQL of a view for one engine, over a relation of resources (`resource_json` text)."""

    view: ViewDefinition
    engine: str
    query: exp.Expr
    columns: tuple[OutputColumn, ...]
    warnings: tuple[str, ...]

    def sql(self, pretty: bool = True) -> str:
        return self.query.sql(dialect=engine(self.engine).dialect, pretty=pretty)


def _type_kind(type_name: str | None) -> str | None:
    """How values of a FHIR type compare: integer, decimal, boolean, date, string or None."""
    if type_name is None:
        return None
    if type_name in fhir_model.INTEGER_TYPES:
        return "integer"
    if type_name in fhir_model.DECIMAL_TYPES:
        return "decimal"
    if type_name in fhir_model.BOOLEAN_TYPES:
        return "boolean"
    if type_name in fhir_model.DATE_TYPES:
        return "date"
    if type_name in fhir_model.STRING_TYPES:
        return "string"
    return None


def _capitalized(name: str) -> str:
    return name[0].upper() + name[1:]


class Compiler:
    """Compiles one ViewDefinition for one engine."""

    def __init__(
        self, view: ViewDefinition, engine_name: str, source: exp.Expr, storage: bool = False
    ) -> None:
        self.view = view
        self.storage = storage
        self.engine: Engine = engine(engine_name)
        self.source = source
        self.model = fhir_model.model()
        self.warnings: list[str] = []
        self.specs: dict[str, OutputColumn] = {}

    # Errors -------------------------------------------------------------------------------

    def fail(self, scope: Scope | str, message: str) -> ViewDefinitionError:
        location = scope.location if isinstance(scope, Scope) else scope
        return ViewDefinitionError(f"view {self.view.name}: {location}: {message}")

    def warn(self, scope: Scope, message: str) -> None:
        text = f"view {self.view.name}: {scope.location}: {message}"
        if text not in self.warnings:
            self.warnings.append(text)

    # Forms --------------------------------------------------------------------------------

    def scalar(self, sql: exp.Expr, type_name: str | None) -> Value:
        return Value("scalar", sql, type_name, type_name, many=False)

    def empty(self) -> Value:
        return Value("coll", self.engine.array(), many=False)

    def collection(self, value: Value) -> exp.Expr:
        """The value as an array of JSON values."""
        engine = self.engine
        if value.form == "coll":
            return value.sql
        if value.form == "single":
            return engine.as_collection(value.sql)
        return engine.let(
            value.sql,
            lambda s: case(
                (exp.Is(this=s, expression=exp.Null()), engine.array()),
                default=engine.array(engine.to_json(s)),
            ),
        )

    def single(self, value: Value) -> exp.Expr:
        """The value's first item as JSON (null when empty)."""
        if value.form == "single":
            return value.sql
        if value.form == "coll":
            return self.engine.item(value.sql, number(1))
        return self.engine.to_json(value.sql)

    def text(self, value: Value) -> exp.Expr:
        """The first item as varchar: a string's text, a number or boolean as written."""
        if value.form == "scalar":
            if _type_kind(value.type) in ("string", "date"):
                return value.sql
            return self.engine.cast(value.sql, "VARCHAR")
        text = self.engine.scalar_text(self.single(value))
        if value.form == "single" and value.fast is not None:
            root, path = value.fast
            shortcut = self.engine.scalar_text(call("json_extract", root, string(path)))
            return exp.Coalesce(this=shortcut, expressions=[text])
        return text

    def typed(self, value: Value, kind: str) -> exp.Expr:
        """The first item as a SQL value of `kind` (integer, decimal, boolean, string, date)."""
        if kind in ("string", "date"):
            return self.text(value)
        sql_type = {"integer": "BIGINT", "decimal": "DOUBLE", "boolean": "BOOLEAN"}[kind]
        if value.form == "scalar":
            if _type_kind(value.type) == kind or (
                kind == "decimal" and _type_kind(value.type) == "integer"
            ):
                return value.sql if kind != "decimal" else self.engine.cast(value.sql, "DOUBLE")
            return self.engine.cast(self.text(value), sql_type, safe=True)
        return self.engine.cast(self.text(value), sql_type, safe=True)

    def truth(self, value: Value, scope: Scope) -> exp.Expr:
        """FHIRPath's singleton evaluation of a value where a boolean is wanted: its boolean,
        true for any other single item, null when empty."""
        if value.form == "scalar" and _type_kind(value.type) == "boolean":
            return value.sql
        if _type_kind(value.type) == "boolean":
            return self.typed(value, "boolean")
        item = self.single(value)
        return self.engine.let(
            item,
            lambda j: case(
                (exp.Is(this=j, expression=exp.Null()), exp.Null()),
                default=exp.Coalesce(
                    this=self.engine.cast(self.engine.scalar_text(j), "BOOLEAN", safe=True),
                    expressions=[exp.true()],
                ),
            ),
        )

    # Expressions --------------------------------------------------------------------------

    def compile(self, node: fhirpath.Node, scope: Scope) -> Value:
        if isinstance(node, fhirpath.Literal):
            return self.literal(node, scope)
        if isinstance(node, fhirpath.Member):
            focus = scope.this or scope.focus
            if (node.name == self.view.resource and focus is scope.resource) or (
                node.name == focus.children and node.name[0].isupper()
            ):
                return focus
            return self.navigate(focus, node.name, scope)
        if isinstance(node, fhirpath.Navigate):
            return self.navigate(self.compile(node.target, scope), node.name, scope)
        if isinstance(node, fhirpath.Variable):
            return self.variable(node, scope)
        if isinstance(node, fhirpath.Index):
            return self.index(node, scope)
        if isinstance(node, fhirpath.Unary):
            operand = self.compile(node.operand, scope)
            kind = _type_kind(operand.type) or "decimal"
            if kind not in ("integer", "decimal"):
                raise self.fail(scope, f"unary {node.op} needs a number")
            sql = self.typed(operand, kind)
            return self.scalar(
                exp.Neg(this=paren(sql)) if node.op == "-" else sql,
                "integer" if kind == "integer" else "decimal",
            )
        if isinstance(node, fhirpath.Binary):
            return self.binary(node, scope)
        if isinstance(node, fhirpath.Call):
            return self.function(node, scope)
        raise self.fail(scope, f"unsupported expression {node!r}")

    def literal(self, node: fhirpath.Literal, scope: Scope) -> Value:
        if node.kind == "empty":
            return self.empty()
        if node.kind == "string" or node.kind in ("date", "dateTime", "time"):
            return self.scalar(
                string(str(node.value)), node.kind if node.kind != "string" else "string"
            )
        if node.kind == "boolean":
            return self.scalar(exp.true() if node.value else exp.false(), "boolean")
        if node.kind == "integer":
            return self.scalar(number(int(str(node.value))), "integer")
        if node.kind == "decimal":
            return self.scalar(self.engine.cast(number(str(node.value)), "DOUBLE"), "decimal")
        raise self.fail(scope, f"{node.kind} literals are not supported in views")

    def variable(self, node: fhirpath.Variable, scope: Scope) -> Value:
        if node.kind == "$":
            if node.name == "this":
                return scope.this or scope.focus
            raise self.fail(scope, f"${node.name} is not supported in views")
        if node.name == "rowIndex":
            return self.scalar(scope.row_index, "integer")
        if node.name in ("resource", "rootResource", "context"):
            return scope.resource
        constant = self.view.constants.get(node.name)
        if constant is None:
            known = ", ".join(f"%{name}" for name in self.view.constants) or "none"
            raise self.fail(
                scope, f"%{node.name} is not a constant of this view (constants: {known})"
            )
        if constant.type == "boolean":
            return self.scalar(exp.true() if constant.value else exp.false(), "boolean")
        if constant.type in fhir_model.INTEGER_TYPES:
            return self.scalar(number(int(constant.value)), "integer")
        if constant.type == "decimal":
            return self.scalar(self.engine.cast(number(repr(constant.value)), "DOUBLE"), "decimal")
        return self.scalar(string(str(constant.value)), constant.type)

    def navigate(self, base: Value, name: str, scope: Scope) -> Value:
        """The `name` children of every item of `base`."""
        if base.form == "scalar":
            self.warn(scope, f"'{name}' of a computed value is always empty")
            return self.empty()
        element = self.model.element(base.children, name) if base.children else None
        if element is None and base.children and base.children not in ("Resource",):
            self.warn(
                scope,
                f"{base.children} has no element '{name}' in FHIR R4: it reads "
                "as empty wherever the data has no such key",
            )
        if element is not None and element.choices:
            return self.choice(base, name, element.choices, scope)
        repeats = True if element is None else element.repeats
        many: bool | None = None if element is None else (element.repeats or bool(base.many))
        element_type = element.type if element else None
        children = element.children if element else None
        if base.form == "single" and not repeats:
            return Value(
                "single",
                self.engine.child(base.sql, name),
                element_type,
                children,
                many=False if base.many is False else base.many,
                fast=_extended(base.fast, f".{name}"),
            )
        if base.form == "single":
            return Value(
                "coll",
                self.engine.as_collection(self.engine.child(base.sql, name)),
                element_type,
                children,
                many=many,
                fast=_extended(base.fast or _path_of(base.sql), f".{name}[0]"),
            )
        item = self.engine.fresh()
        nested = self.engine.as_collection(self.engine.child(exp.column(item), name))
        return Value(
            "coll",
            self.engine.flatten(self.engine.transform(base.sql, item, nested)),
            element_type,
            children,
            many=True if base.many or repeats else many,
        )

    def choice(self, base: Value, name: str, types: Sequence[str], scope: Scope) -> Value:
        """A choice element read as itself (`value`): whichever `value[x]` key is present."""
        keys = [name + _capitalized(t) for t in types]
        if base.form == "single":
            sql = exp.Coalesce(
                this=self.engine.child(base.sql, keys[0]),
                expressions=[self.engine.child(base.sql, k) for k in keys[1:]],
            )
            return Value(
                "single", sql, None, None, many=base.many, choice=(base, name, tuple(types))
            )
        item = self.engine.fresh()
        first = self.engine.child(exp.column(item), keys[0])
        sql = exp.Coalesce(
            this=first, expressions=[self.engine.child(exp.column(item), k) for k in keys[1:]]
        )
        return Value(
            "coll",
            self.engine.flatten(
                self.engine.transform(base.sql, item, self.engine.as_collection(sql))
            ),
            None,
            None,
            many=base.many,
            choice=(base, name, tuple(types)),
        )

    def of_type(self, value: Value, type_name: str, scope: Scope) -> Value:
        """`value.ofType(T)`: a choice element's `T` alternative, or the items that are T."""
        if value.choice is not None:
            base, name, types = value.choice
            match = next((t for t in types if t.lower() == type_name.lower()), None)
            if match is None:
                self.warn(scope, f"{name}[x] has no {type_name} choice: ofType gives nothing")
                return self.empty()
            key = name + _capitalized(match)
            children = match
            if base.form == "single":
                return Value(
                    "single", self.engine.child(base.sql, key), match, children, many=base.many
                )
            item = self.engine.fresh()
            nested = self.engine.as_collection(self.engine.child(exp.column(item), key))
            return Value(
                "coll",
                self.engine.flatten(self.engine.transform(base.sql, item, nested)),
                match,
                children,
                many=base.many,
            )
        if value.type is not None:
            if self.model.is_subtype(value.type, type_name):
                return replace(value, type=type_name if _type_kind(type_name) else value.type)
            return self.empty()
        return self.by_json_kind(value, type_name, scope)

    def by_json_kind(self, value: Value, type_name: str, scope: Scope) -> Value:
        """ofType on a value of unknown type: keep the items whose JSON kind fits."""
        kind = _type_kind(type_name)
        engine = self.engine
        item = engine.fresh()
        text = engine.json_text(exp.column(item))
        first = call("substr", text, number(1), number(1))
        if kind in ("string", "date"):
            condition: exp.Expr = exp.EQ(this=first, expression=string('"'))
        elif kind == "boolean":
            condition = exp.In(this=text, expressions=[string("true"), string("false")])
        elif kind in ("integer", "decimal"):
            condition = exp.Not(
                this=exp.Is(this=engine.cast(text, "DOUBLE", safe=True), expression=exp.Null())
            )
        else:
            condition = exp.EQ(this=first, expression=string("{"))
        return Value(
            "coll",
            engine.filter(self.collection(value), item, condition),
            type_name,
            type_name,
            many=value.many,
        )

    def index(self, node: fhirpath.Index, scope: Scope) -> Value:
        target = self.compile(node.target, scope)
        position = self.compile(node.index, scope)
        index_sql = self.typed(position, "integer")
        array = self.collection(target)
        sql = self.engine.let(
            index_sql,
            lambda i: case(
                (exp.LT(this=i, expression=number(0)), exp.Null()),
                default=self.engine.item(array, exp.Add(this=i, expression=number(1))),
            ),
        )
        return Value("single", sql, target.type, target.children, many=False)

    # Operators ----------------------------------------------------------------------------

    def binary(self, node: fhirpath.Binary, scope: Scope) -> Value:
        op = node.op
        if op in ("is", "as"):
            left = self.compile(node.left, scope)
            type_name = node.right.name if isinstance(node.right, fhirpath.Member) else ""
            narrowed = self.of_type(left, type_name, scope)
            if op == "as":
                return narrowed
            return self.scalar(
                exp.GT(this=self.engine.length(self.collection(narrowed)), expression=number(0)),
                "boolean",
            )
        left = self.compile(node.left, scope)
        right = self.compile(node.right, scope)
        if op in ("and", "or", "xor", "implies"):
            a, b = self.truth(left, scope), self.truth(right, scope)
            if op == "and":
                return self.scalar(exp.and_(a, b), "boolean")
            if op == "or":
                return self.scalar(exp.or_(a, b), "boolean")
            if op == "xor":
                return self.scalar(exp.NEQ(this=a, expression=b), "boolean")
            return self.scalar(exp.or_(exp.Not(this=paren(a)), b), "boolean")
        if op in ("=", "!="):
            equal = self.equality(left, right)
            return self.scalar(equal if op == "=" else exp.Not(this=paren(equal)), "boolean")
        if op in ("~", "!~"):
            equivalent = self.equivalence(left, right)
            return self.scalar(
                equivalent if op == "~" else exp.Not(this=paren(equivalent)), "boolean"
            )
        if op in ("<", ">", "<=", ">="):
            return self.scalar(self.ordering(op, left, right), "boolean")
        if op in ("+", "-", "*", "/", "div", "mod"):
            return self.arithmetic(op, left, right, scope)
        if op == "&":
            return self.scalar(
                exp.DPipe(
                    this=exp.Coalesce(this=self.text(left), expressions=[string("")]),
                    expression=exp.Coalesce(this=self.text(right), expressions=[string("")]),
                ),
                "string",
            )
        if op == "|":
            union = self.engine.distinct(
                self.engine.concat(self.collection(left), self.collection(right))
            )
            same = left.type if left.type == right.type else None
            return Value("coll", union, same, same, many=True)
        if op in ("in", "contains"):
            element, container = (left, right) if op == "in" else (right, left)
            item = self.engine.fresh()
            texts = self.engine.transform(
                self.collection(container), item, self.engine.scalar_text(exp.column(item))
            )
            return self.scalar(
                self.engine.let(
                    self.text(element),
                    lambda t: case(
                        (exp.Is(this=t, expression=exp.Null()), exp.Null()),
                        default=exp.Coalesce(
                            this=self.engine.contains(texts, t), expressions=[exp.false()]
                        ),
                    ),
                ),
                "boolean",
            )
        raise self.fail(scope, f"operator {op} is not supported in views")

    def comparison_kind(self, left: Value, right: Value) -> str:
        kinds = {_type_kind(left.type), _type_kind(right.type)}
        if kinds & {"decimal"} or kinds == {"integer", None}:
            return "decimal"
        if "integer" in kinds:
            return "integer" if kinds <= {"integer"} else "decimal"
        if "boolean" in kinds:
            return "boolean"
        if "date" in kinds:
            return "date"
        return "string"

    def equality(self, left: Value, right: Value) -> exp.Expr:
        """FHIRPath `=`: empty if either side is empty; otherwise item by item, in order."""
        kind = self.comparison_kind(left, right)
        if left.many is False and right.many is False:
            a, b = self.typed(left, kind), self.typed(right, kind)
            if kind == "date":
                return self.engine.let(
                    a,
                    lambda x: self.engine.let(
                        b,
                        lambda y: case(
                            (
                                exp.NEQ(this=call("length", x), expression=call("length", y)),
                                exp.Null(),
                            ),
                            default=exp.EQ(this=x, expression=y),
                        ),
                    ),
                )
            return exp.EQ(this=a, expression=b)
        engine = self.engine

        def texts(array: exp.Expr) -> exp.Expr:
            item = engine.fresh()
            return engine.transform(array, item, engine.scalar_text(exp.column(item)))

        def compare(a: exp.Expr, b: exp.Expr) -> exp.Expr:
            branches = [
                (
                    exp.or_(
                        exp.EQ(this=engine.length(a), expression=number(0)),
                        exp.EQ(this=engine.length(b), expression=number(0)),
                    ),
                    exp.Null(),
                ),
                (exp.NEQ(this=engine.length(a), expression=engine.length(b)), exp.false()),
            ]
            if kind in ("integer", "decimal", "boolean"):
                # One item each compares by value (1 = 1.0); longer collections by their text.
                sql_type = "BOOLEAN" if kind == "boolean" else "DOUBLE"
                first_a = engine.cast(
                    engine.scalar_text(engine.item(a, number(1))), sql_type, safe=True
                )
                first_b = engine.cast(
                    engine.scalar_text(engine.item(b, number(1))), sql_type, safe=True
                )
                branches.append(
                    (
                        exp.EQ(this=engine.length(a), expression=number(1)),
                        exp.EQ(this=first_a, expression=first_b),
                    )
                )
            return case(*branches, default=exp.EQ(this=texts(a), expression=texts(b)))

        return engine.let(
            self.collection(left),
            lambda a: engine.let(self.collection(right), lambda b: compare(a, b)),
        )

    def equivalence(self, left: Value, right: Value) -> exp.Expr:
        """FHIRPath `~`: like `=` but case- and whitespace-insensitive, and empty ~ empty."""
        a = self.text(left)
        b = self.text(right)

        def normal(s: exp.Expr) -> exp.Expr:
            return call("lower", call("trim", s))

        return self.engine.let(
            a,
            lambda x: self.engine.let(
                b,
                lambda y: case(
                    (
                        exp.and_(
                            exp.Is(this=x, expression=exp.Null()),
                            exp.Is(this=y, expression=exp.Null()),
                        ),
                        exp.true(),
                    ),
                    (
                        exp.or_(
                            exp.Is(this=x, expression=exp.Null()),
                            exp.Is(this=y, expression=exp.Null()),
                        ),
                        exp.false(),
                    ),
                    default=exp.EQ(this=normal(x), expression=normal(y)),
                ),
            ),
        )

    def ordering(self, op: str, left: Value, right: Value) -> exp.Expr:
        kind = self.comparison_kind(left, right)
        node = {"<": exp.LT, ">": exp.GT, "<=": exp.LTE, ">=": exp.GTE}[op]
        a, b = self.typed(left, kind), self.typed(right, kind)
        if kind == "date":
            # Dates of different precision do not compare in FHIRPath: the result is empty.
            return self.engine.let(
                a,
                lambda x: self.engine.let(
                    b,
                    lambda y: case(
                        (exp.NEQ(this=call("length", x), expression=call("length", y)), exp.Null()),
                        default=node(this=x, expression=y),
                    ),
                ),
            )
        return node(this=a, expression=b)

    def arithmetic(self, op: str, left: Value, right: Value, scope: Scope) -> Value:
        kinds = {_type_kind(left.type), _type_kind(right.type)}
        if op == "+" and kinds & {"string"} and not kinds & {"integer", "decimal"}:
            return self.scalar(
                exp.DPipe(this=self.text(left), expression=self.text(right)), "string"
            )
        integer = kinds == {"integer"} and op not in ("/",)
        kind = "integer" if integer else "decimal"
        a, b = self.typed(left, kind), self.typed(right, kind)
        if op == "/":
            return self.scalar(exp.Div(this=a, expression=call("nullif", b, number(0))), "decimal")
        if op == "div":
            quotient = exp.Div(this=a, expression=call("nullif", b, number(0)))
            return self.scalar(self.engine.cast(call("trunc", quotient), "BIGINT"), "integer")
        if op == "mod":
            return self.scalar(exp.Mod(this=a, expression=call("nullif", b, number(0))), kind)
        node = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[op]
        return self.scalar(node(this=a, expression=b), kind)

    # Functions ----------------------------------------------------------------------------

    def function(self, node: fhirpath.Call, scope: Scope) -> Value:
        name = node.name
        if name in ("getResourceKey",):
            # The id bronze lifted out of the resource when it was loaded: no JSON to read.
            return self.scalar(exp.column("resource_id", table="r"), "string")
        focus = (
            self.compile(node.target, scope)
            if node.target is not None
            else (scope.this or scope.focus)
        )
        handler = _FUNCTIONS.get(name)
        if handler is None:
            raise self.fail(
                scope,
                f"function {name}() is not supported in views (supported: "
                f"{', '.join(sorted(_FUNCTIONS))})",
            )
        arity = _ARITY.get(name, (0, 0))
        if not arity[0] <= len(node.args) <= arity[1]:
            raise self.fail(
                scope, f"{name}() takes {arity[0]} to {arity[1]} arguments, got {len(node.args)}"
            )
        return handler(self, focus, node.args, scope)

    def each(self, focus: Value, scope: Scope) -> tuple[str, Scope]:
        """A lambda variable over the items of `focus`, and the scope where `$this` is it."""
        variable = self.engine.fresh()
        item = Value("single", exp.column(variable), focus.type, focus.children, many=False)
        return variable, replace(scope, this=item)

    def where(self, focus: Value, criteria: fhirpath.Node, scope: Scope) -> Value:
        variable, inner = self.each(focus, scope)
        condition = self.truth(self.compile(criteria, inner), inner)
        return Value(
            "coll",
            self.engine.filter(
                self.collection(focus),
                variable,
                exp.Coalesce(this=condition, expressions=[exp.false()]),
            ),
            focus.type,
            focus.children,
            many=focus.many,
            choice=None,
        )

    def count(self, value: Value) -> exp.Expr:
        if value.form == "scalar":
            return case(
                (exp.Is(this=value.sql, expression=exp.Null()), number(0)), default=number(1)
            )
        if value.form == "single":
            return self.engine.length(self.collection(value))
        return self.engine.length(value.sql)

    def reference_key(self, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        """getReferenceKey([type]): the id a Reference points to, as getResourceKey gives it.

        Relative (`Patient/1`), absolute (`https://x/fhir/Patient/1/_history/2`) and
        `urn:uuid:` references resolve (ingest keeps Synthea's `urn:uuid:` ids as resource ids);
        a contained (`#x`) or conditional (`Patient?identifier=...`) one names no row: empty.
        With a type, a reference whose type (from its URL, else `Reference.type`) differs
        gives empty; a `urn:uuid:` reference with no `type` cannot be told apart, so it is kept.
        """
        wanted = None
        if args:
            if not isinstance(args[0], fhirpath.Member):
                raise self.fail(scope, "getReferenceKey() takes a resource type name")
            wanted = args[0].name
            if not self.model.is_resource(wanted):
                raise self.fail(
                    scope, f"getReferenceKey({wanted}): {wanted!r} is not a FHIR R4 resource type"
                )
        engine = self.engine
        url_pattern = r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-\.]{1,64})(/_history/[^/]+)?$"

        def key_of(node: exp.Expr) -> exp.Expr:
            reference = engine.scalar_text(engine.child(node, "reference"))
            declared = engine.scalar_text(engine.child(node, "type"))
            return engine.let(reference, lambda ref: key(ref, declared))

        def key(ref: exp.Expr, declared: exp.Expr) -> exp.Expr:
            uuid_key = call("substr", ref, number(10))
            url_key = engine.regexp_extract(ref, url_pattern, 2)
            url_type = engine.regexp_extract(ref, url_pattern, 1)
            if wanted is None:
                matched_url: exp.Expr = url_key
                matched_uuid: exp.Expr = uuid_key
            else:
                matched_url = case((exp.EQ(this=url_type, expression=string(wanted)), url_key))
                matched_uuid = case(
                    (
                        exp.or_(
                            exp.Is(this=declared, expression=exp.Null()),
                            exp.EQ(this=declared, expression=string(wanted)),
                        ),
                        uuid_key,
                    )
                )
            return case(
                (exp.Is(this=ref, expression=exp.Null()), exp.Null()),
                (exp.Like(this=ref, expression=string("urn:uuid:%")), matched_uuid),
                (
                    exp.or_(
                        exp.Like(this=ref, expression=string("#%")),
                        exp.Like(this=ref, expression=string("%?%")),
                    ),
                    exp.Null(),
                ),
                default=call("nullif", matched_url, string("")),
            )

        if focus.form == "single":  # one Reference (`subject`): no array on the way
            return self.scalar(key_of(focus.sql), "string")
        variable = engine.fresh()
        keys = engine.transform(
            self.collection(focus), variable, engine.to_json(key_of(exp.column(variable)))
        )
        present = engine.fresh()
        return Value(
            "coll",
            engine.filter(keys, present, engine.is_present(exp.column(present))),
            "string",
            "string",
            many=focus.many,
        )

    def boundary(self, focus: Value, high: bool, scope: Scope) -> Value:
        """lowBoundary()/highBoundary() of a decimal, date, dateTime, time or Period."""
        if focus.type == "Period":
            start_or_end = self.navigate(focus, "end" if high else "start", scope)
            return self.boundary(start_or_end, high, scope)
        kind = _type_kind(focus.type)
        if focus.type in fhir_model.DECIMAL_TYPES:
            return self.scalar(self.decimal_boundary(self.text(focus), high), "decimal")
        if focus.type in ("date", "System.Date"):
            return self.scalar(self.date_boundary(self.text(focus), high), "date")
        if focus.type in ("dateTime", "instant", "System.DateTime"):
            return self.scalar(self.datetime_boundary(self.text(focus), high), "dateTime")
        if focus.type in ("time", "System.Time"):
            return self.scalar(self.time_boundary(self.text(focus), high), "time")
        if kind == "integer":
            return self.scalar(self.typed(focus, "integer"), "integer")
        raise self.fail(
            scope,
            f"{'high' if high else 'low'}Boundary() needs a decimal, date, "
            f"dateTime, time or Period, not {focus.type or 'a value of unknown type'}",
        )

    def decimal_boundary(self, text: exp.Expr, high: bool) -> exp.Expr:
        # Half a unit of the last written digit: 1.0 -> [0.95, 1.05], 12 -> [11.5, 12.5].
        engine = self.engine

        def bound(t: exp.Expr) -> exp.Expr:
            dot = call("strpos", t, string("."))
            decimals = case(
                (exp.EQ(this=dot, expression=number(0)), number(0)),
                default=exp.Sub(this=call("length", t), expression=dot),
            )
            half = exp.Div(
                this=engine.cast(number(5), "DOUBLE"),
                expression=call(
                    "power",
                    engine.cast(number(10), "DOUBLE"),
                    exp.Add(this=decimals, expression=number(1)),
                ),
            )
            value = engine.cast(t, "DOUBLE", safe=True)
            return (exp.Add if high else exp.Sub)(this=value, expression=half)

        return engine.let(text, bound)

    def date_boundary(self, text: exp.Expr, high: bool) -> exp.Expr:
        engine = self.engine

        def bound(t: exp.Expr) -> exp.Expr:
            year = exp.EQ(this=call("length", t), expression=number(4))
            month = exp.EQ(this=call("length", t), expression=number(7))
            last_day = engine.cast(
                engine.last_day_of_month(
                    engine.cast(exp.DPipe(this=t, expression=string("-01")), "DATE", safe=True)
                ),
                "VARCHAR",
            )
            return case(
                (year, exp.DPipe(this=t, expression=string("-12-31" if high else "-01-01"))),
                (month, last_day if high else exp.DPipe(this=t, expression=string("-01"))),
                default=t,
            )

        return engine.let(text, bound)

    def datetime_boundary(self, text: exp.Expr, high: bool) -> exp.Expr:
        """A dateTime to its millisecond bound; with no zone, the earliest (+14:00) or latest
        (-12:00) zone on Earth, as FHIRPath's boundary functions say."""
        engine = self.engine

        def bound(t: exp.Expr) -> exp.Expr:
            date_part = call("substr", t, number(1), number(10))
            has_time = exp.GT(this=call("length", t), expression=number(10))
            time_and_zone = call("substr", t, number(12))
            zone = engine.regexp_extract(time_and_zone, r"(Z|[+-]\d{2}:\d{2})$", 1)
            clock = engine.regexp_extract(time_and_zone, r"^([0-9:.]+)", 1)
            clock_bound = self.time_boundary(clock, high)
            date_bound = self.date_boundary(date_part, high)
            default_zone = string("-12:00" if high else "+14:00")
            with_time = exp.DPipe(
                this=exp.DPipe(this=date_part, expression=string("T")), expression=clock_bound
            )
            no_time = exp.DPipe(
                this=date_bound, expression=string("T23:59:59.999" if high else "T00:00:00.000")
            )
            return exp.DPipe(
                this=case((has_time, with_time), default=no_time),
                expression=case(
                    (exp.and_(has_time, exp.NEQ(this=zone, expression=string(""))), zone),
                    default=default_zone,
                ),
            )

        return engine.let(text, bound)

    def time_boundary(self, text: exp.Expr, high: bool) -> exp.Expr:
        engine = self.engine

        def bound(t: exp.Expr) -> exp.Expr:
            length = call("length", t)
            return case(
                (
                    exp.EQ(this=length, expression=number(2)),
                    exp.DPipe(this=t, expression=string(":59:59.999" if high else ":00:00.000")),
                ),
                (
                    exp.EQ(this=length, expression=number(5)),
                    exp.DPipe(this=t, expression=string(":59.999" if high else ":00.000")),
                ),
                (
                    exp.EQ(this=length, expression=number(8)),
                    exp.DPipe(this=t, expression=string(".999" if high else ".000")),
                ),
                default=call("rpad", t, number(12), string("9" if high else "0")),
            )

        return engine.let(text, bound)

    # Selects to rows ----------------------------------------------------------------------

    def foci(self, select: Select, scope: Scope) -> tuple[exp.Expr, Value]:
        """The collection a select iterates over, and the shape of one of its items."""
        if select.repeat:
            return self.descendants(select, scope)
        node = select.for_each or select.for_each_or_null
        assert node is not None
        kind = "forEach" if select.for_each is not None else "forEachOrNull"
        inner = replace(scope, location=f"{select.location}.{kind}")
        value = self.compile(node, inner)
        return self.collection(value), Value(
            "single", exp.Null(), value.type, value.children, many=False
        )

    def descendants(self, select: Select, scope: Scope) -> tuple[exp.Expr, Value]:
        """`repeat`: every node reached by following the paths, in pre-order, root excluded."""
        engine = self.engine
        shape: Value | None = None

        def children(node: Value) -> exp.Expr:
            nonlocal shape
            parts = []
            for index, path in enumerate(select.repeat):
                inner = replace(
                    scope, focus=node, this=None, location=f"{select.location}.repeat[{index}]"
                )
                value = self.compile(path, inner)
                shape = shape or value
                parts.append(self.collection(value))
            return engine.concat(*parts) if len(parts) > 1 else parts[0]

        def walk(node: Value, depth: int) -> exp.Expr:
            kids = children(node)
            variable = engine.fresh()
            assert shape is not None
            child = Value("single", exp.column(variable), shape.type, shape.children, many=False)
            if depth == REPEAT_DEPTH:
                deeper = engine.length(children(child))
                tail: exp.Expr = case(
                    (
                        exp.GT(this=deeper, expression=number(0)),
                        engine.cast(
                            engine.fail(
                                f"view {self.view.name}: {select.location}.repeat: the tree is "
                                f"deeper than {REPEAT_DEPTH} levels; raise "
                                "views.compiler.REPEAT_DEPTH"
                            ),
                            engine.json_array_type,
                        ),
                    ),
                    default=engine.array(),
                )
            else:
                tail = walk(child, depth + 1)
            return engine.flatten(
                engine.transform(
                    kids, variable, engine.concat(engine.array(exp.column(variable)), tail)
                )
            )

        tree = walk(scope.focus, 1)
        assert shape is not None
        return tree, Value("single", exp.Null(), shape.type, shape.children, many=False)

    def branches(self, select: Select, scope: Scope, nulls: tuple[exp.Expr, ...]) -> list[_Branch]:
        """The unionAll alternatives of a select: each a chain of joins with its columns.

        `nulls` are the conditions under which an enclosing forEachOrNull found nothing: then
        this select must give exactly one row, of nulls.
        """
        engine = self.engine
        head = _Branch()
        if select.iterates:
            collection, shape = self.foci(select, scope)
            or_null = select.for_each_or_null is not None
            if or_null or nulls:
                one_null = engine.array(engine.cast(exp.Null(), "JSON"))

                def null_when_empty(c: exp.Expr) -> exp.Expr:
                    empty = [exp.EQ(this=engine.length(c), expression=number(0))] if or_null else []
                    return case((exp.or_(*empty, *nulls), one_null), default=c)

                collection = engine.let(collection, null_when_empty)
            alias = engine.fresh("f")
            head.joins.append(
                exp.Join(
                    this=exp.Unnest(
                        expressions=[collection],
                        alias=exp.TableAlias(
                            this=exp.to_identifier(alias), columns=[exp.to_identifier("node")]
                        ),
                        offset=exp.to_identifier("ordinal"),
                    ),
                    kind="CROSS",
                )
            )
            node = exp.column("node", table=alias)
            scope = replace(
                scope,
                focus=replace(shape, sql=node),
                this=None,
                row_index=exp.Sub(this=exp.column("ordinal", table=alias), expression=number(1)),
            )
            if select.for_each_or_null is not None:
                nulls = (*nulls, exp.Is(this=node, expression=exp.Null()))
        for column in select.columns:
            head.columns[column.name] = self.column(column, scope, nulls)
        alternatives = [head]
        for sub in select.selects:
            alternatives = [
                _merge(a, b) for a in alternatives for b in self.branches(sub, scope, nulls)
            ]
        if select.union_all:
            union: list[_Branch] = []
            for index, branch in enumerate(select.union_all):
                for alternative in self.branches(branch, scope, nulls):
                    if index > 0 and nulls:
                        # Under a forEachOrNull that found nothing, one row: the first branch's.
                        alternative.conditions.append(exp.Not(this=paren(exp.or_(*nulls))))
                    union.append(alternative)
            alternatives = [_merge(a, b) for a in alternatives for b in union]
        return alternatives

    def column(self, column: Column, scope: Scope, nulls: tuple[exp.Expr, ...]) -> exp.Expr:
        """A column's SQL value: typed, null under a forEachOrNull that found nothing."""
        inner = replace(scope, location=f"{column.location}.path")
        value = self.compile(column.expression, inner)
        spec = self.column_type(column, value)
        self.specs.setdefault(column.name, spec)
        sql = self.output(column, value, spec, inner)
        if nulls:
            is_row_index = isinstance(column.expression, fhirpath.Variable) and (
                column.expression.name == "rowIndex"
            )
            sql = case((exp.or_(*nulls), number(0) if is_row_index else exp.Null()), default=sql)
        return sql

    def column_type(self, column: Column, value: Value) -> OutputColumn:
        """The column's FHIR type (declared, else inferred) and portable SQL type. A value of
        unknown type is kept as JSON rather than guessed at; a complex type is JSON too."""
        fhir_type = column.type or _SYSTEM_TYPES.get(value.type or "", value.type)
        sql_type = "json" if fhir_type is None else _SQL_TYPES.get(fhir_type, "json")
        return OutputColumn(column.name, fhir_type, sql_type, column.collection, column.ansi_type)

    def output(self, column: Column, value: Value, spec: OutputColumn, scope: Scope) -> exp.Expr:
        engine = self.engine
        if column.collection:
            variable = engine.fresh()
            item = Value("single", exp.column(variable), value.type, value.children, many=False)
            converted = self.convert(item, spec, scope)
            # An empty collection is an empty array, as the official suite expects.
            return engine.transform(self.collection(value), variable, converted)
        if value.many:
            # The suite (and the spec's algorithm) fail only when many values actually come.
            self.warn(
                scope,
                f"column {column.name!r}: {column.path!r} may give many values (a "
                "repeating element on the way) and is not a collection: the query "
                "stops if a resource has more than one",
            )
        if value.form == "coll":
            message = (
                f"view {self.view.name}: column {column.name!r} ({column.path}) gave "
                'more than one value and is not a collection; set "collection": true'
            )
            checked = engine.let(
                value.sql,
                lambda a: case(
                    (
                        exp.GT(this=engine.length(a), expression=number(1)),
                        engine.cast(engine.fail(message), "JSON"),
                    ),
                    default=engine.item(a, number(1)),
                ),
            )
            value = Value("single", checked, value.type, value.children, many=False)
        return self.convert(value, spec, scope)

    def convert(self, value: Value, spec: OutputColumn, scope: Scope) -> exp.Expr:
        """A single value as its column's SQL type (an `ansi/type` tag has the last word)."""
        engine = self.engine
        if spec.ansi_type is not None:
            try:
                target = exp.DataType.build(spec.ansi_type)
            except Exception:
                raise self.fail(scope, f"ansi/type {spec.ansi_type!r} is not a SQL type") from None
            if target.is_type(*exp.DataType.TEMPORAL_TYPES) and "ZONE" in spec.ansi_type.upper():
                return engine.to_timestamptz(self.text(value))
            source = (
                engine.json_text(self.single(value))
                if spec.sql_type == "json"
                else self.text(value)
            )
            return exp.TryCast(this=source, to=target)
        kind = spec.sql_type
        if kind == "json":
            json_value = engine.to_json(value.sql) if value.form == "scalar" else self.single(value)
            # Iceberg has no JSON type: a stored table keeps the JSON text.
            return engine.json_text(json_value) if self.storage else json_value
        if kind == "boolean":
            return self.typed(value, "boolean")
        if kind in ("integer", "bigint"):
            return engine.cast(self.typed(value, "integer"), kind.upper(), safe=True)
        if kind == "timestamptz":
            text = self.text(value)
            return engine.to_utc_timestamp(text) if self.storage else engine.to_timestamptz(text)
        if kind == "binary":
            return call("try", engine.from_base64(self.text(value)))
        return self.text(value)

    def query(self) -> tuple[exp.Expr, tuple[OutputColumn, ...]]:
        engine = self.engine
        resource = Value(
            "single",
            exp.column("resource", table="r"),
            self.view.resource,
            self.view.resource,
            many=False,
        )
        scope = Scope(resource, resource, number(0), "select")
        conditions = []
        for location, node in self.view.where:
            where_scope = replace(scope, location=location)
            value = self.compile(node, where_scope)
            known = _type_kind(value.type)
            if value.type is not None and known != "boolean":
                raise self.fail(
                    where_scope,
                    f"a where path must give a boolean, and this one gives {value.type}",
                )
            conditions.append(
                exp.Coalesce(this=self.truth(value, where_scope), expressions=[exp.false()])
            )
        branches = self.branches(self.view.select, scope, ())
        columns = tuple(self.column_specs())
        source = (
            exp.select(
                exp.alias_(engine.parse_json(exp.column("resource_json")), "resource"),
                exp.column("resource_id"),
            )
            .from_(self.source)
            .where(exp.EQ(this=exp.column("resource_type"), expression=string(self.view.resource)))
        )
        queries = []
        for branch in branches:
            select = exp.select(
                *[
                    exp.alias_(branch.columns[column.name], column.name, quoted=True)
                    for column in columns
                ]
            ).from_(exp.alias_(exp.Subquery(this=source), "r", table=True))
            for join in branch.joins:
                select = select.join(join)
            all_conditions = conditions + branch.conditions
            if all_conditions:
                select = select.where(exp.and_(*all_conditions))
            queries.append(select)
        query: exp.Expr = queries[0]
        for other in queries[1:]:
            query = exp.union(query, other, distinct=False)
        return query, columns

    def column_specs(self) -> list[OutputColumn]:
        """The output columns in the spec's order (ValidateColumns), typed from their paths."""
        return [self.specs[column.name] for column in self.view.columns]


def _path_of(node: exp.Expr) -> tuple[exp.Expr, str] | None:
    """A JSON value as (document, path) when it is a column or one path of a column."""
    if isinstance(node, exp.Column):
        return node, "$"
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_extract":
        base, path = node.expressions
        if isinstance(base, exp.Column) and isinstance(path, exp.Literal):
            return base, path.name
    return None


def _extended(fast: tuple[exp.Expr, str] | None, step: str) -> tuple[exp.Expr, str] | None:
    return None if fast is None else (fast[0], fast[1] + step)


def _merge(a: _Branch, b: _Branch) -> _Branch:
    return _Branch(a.joins + b.joins, {**a.columns, **b.columns}, a.conditions + b.conditions)


def _function_table() -> tuple[dict[str, Callable[..., Value]], dict[str, tuple[int, int]]]:
    functions: dict[str, Callable[..., Value]] = {}
    arity: dict[str, tuple[int, int]] = {}

    def register(
        name: str, low: int = 0, high: int = 0
    ) -> Callable[[Callable[..., Value]], Callable[..., Value]]:
        def decorate(handler: Callable[..., Value]) -> Callable[..., Value]:
            functions[name] = handler
            arity[name] = (low, high)
            return handler

        return decorate

    @register("where", 1, 1)
    def _where(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        return c.where(focus, args[0], scope)

    @register("exists", 0, 1)
    def _exists(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        value = c.where(focus, args[0], scope) if args else focus
        return c.scalar(exp.GT(this=c.count(value), expression=number(0)), "boolean")

    @register("empty")
    def _empty(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        return c.scalar(exp.EQ(this=c.count(focus), expression=number(0)), "boolean")

    @register("count")
    def _count(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        return c.scalar(c.count(focus), "integer")

    @register("first")
    def _first(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        if focus.form != "coll":
            return replace(focus, many=False)
        return Value(
            "single",
            c.engine.item(focus.sql, number(1)),
            focus.type,
            focus.children,
            many=False,
            fast=focus.fast,
        )

    @register("last")
    def _last(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        if focus.form != "coll":
            return replace(focus, many=False)
        return Value(
            "single", c.engine.item(focus.sql, number(-1)), focus.type, focus.children, many=False
        )

    @register("single")
    def _single(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        if focus.form != "coll":
            return replace(focus, many=False)
        message = f"view {c.view.name}: {scope.location}: single() found more than one value"
        checked = c.engine.let(
            focus.sql,
            lambda a: case(
                (exp.GT(this=c.engine.length(a), expression=number(1)), c.engine.fail(message)),
                default=c.engine.item(a, number(1)),
            ),
        )
        return Value("single", checked, focus.type, focus.children, many=False)

    @register("not")
    def _not(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        return c.scalar(exp.Not(this=paren(c.truth(focus, scope))), "boolean")

    @register("hasValue")
    def _has_value(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        return c.scalar(exp.Not(this=exp.Is(this=c.text(focus), expression=exp.Null())), "boolean")

    @register("ofType", 1, 1)
    def _of_type(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        if not isinstance(args[0], fhirpath.Member):
            raise c.fail(scope, "ofType() takes a type name")
        return c.of_type(focus, args[0].name.removeprefix("FHIR."), scope)

    register("as", 1, 1)(_of_type)

    @register("is", 1, 1)
    def _is(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        narrowed = _of_type(c, focus, args, scope)
        return c.scalar(exp.GT(this=c.count(narrowed), expression=number(0)), "boolean")

    @register("extension", 1, 1)
    def _extension(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        url = c.compile(args[0], scope)
        extensions = c.navigate(focus, "extension", scope)
        variable = c.engine.fresh()
        condition = exp.EQ(
            this=c.engine.scalar_text(c.engine.child(exp.column(variable), "url")),
            expression=c.text(url),
        )
        return Value(
            "coll",
            c.engine.filter(c.collection(extensions), variable, condition),
            "Extension",
            "Extension",
            many=True,
        )

    @register("join", 0, 1)
    def _join(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        # join() of nothing is '': the SQL on FHIR suite says so (fhirpath.json, "string join"),
        # although fhirpath.js gives empty. A view wanting null guards it with iif(x.exists(), ..).
        separator = c.text(c.compile(args[0], scope)) if args else string("")
        variable = c.engine.fresh()
        texts = c.engine.transform(
            c.collection(focus), variable, c.engine.scalar_text(exp.column(variable))
        )
        return c.scalar(c.engine.join(texts, separator), "string")

    @register("getReferenceKey", 0, 1)
    def _reference_key(
        c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope
    ) -> Value:
        return c.reference_key(focus, args, scope)

    @register("lowBoundary", 0, 1)
    def _low(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        return c.boundary(focus, False, scope)

    @register("highBoundary", 0, 1)
    def _high(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        return c.boundary(focus, True, scope)

    @register("select", 1, 1)
    def _select(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        variable, inner = c.each(focus, scope)
        projected = c.compile(args[0], inner)
        return Value(
            "coll",
            c.engine.flatten(
                c.engine.transform(c.collection(focus), variable, c.collection(projected))
            ),
            projected.type,
            projected.children,
            many=True if focus.many or projected.many else focus.many,
        )

    @register("all", 1, 1)
    def _all(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        variable, inner = c.each(focus, scope)
        condition = c.truth(c.compile(args[0], inner), inner)
        failing = c.engine.filter(
            c.collection(focus),
            variable,
            exp.Not(this=exp.Coalesce(this=condition, expressions=[exp.false()])),
        )
        return c.scalar(exp.EQ(this=c.engine.length(failing), expression=number(0)), "boolean")

    @register("iif", 2, 3)
    def _iif(c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope) -> Value:
        condition = c.truth(c.compile(args[0], scope), scope)
        then = c.compile(args[1], scope)
        otherwise = c.compile(args[2], scope) if len(args) > 2 else c.empty()
        same_type = then.type if then.type == otherwise.type else None
        return Value(
            "coll",
            case(
                (exp.Coalesce(this=condition, expressions=[exp.false()]), c.collection(then)),
                default=c.collection(otherwise),
            ),
            same_type,
            same_type,
            many=None if then.many or otherwise.many else False,
        )

    def string_function(
        name: str, low: int, high: int, build: Callable[..., exp.Expr], result: str = "string"
    ) -> None:
        def handler(
            c: Compiler, focus: Value, args: Sequence[fhirpath.Node], scope: Scope
        ) -> Value:
            values = [c.compile(arg, scope) for arg in args]
            return c.scalar(build(c, c.text(focus), *values), result)

        register(name, low, high)(handler)

    string_function(
        "startsWith",
        1,
        1,
        lambda c, s, p: exp.EQ(
            this=call("substr", s, number(1), call("length", c.text(p))), expression=c.text(p)
        ),
        "boolean",
    )
    string_function(
        "endsWith",
        1,
        1,
        lambda c, s, p: exp.EQ(
            this=call(
                "substr",
                s,
                exp.Add(
                    this=exp.Sub(this=call("length", s), expression=call("length", c.text(p))),
                    expression=number(1),
                ),
            ),
            expression=c.text(p),
        ),
        "boolean",
    )
    string_function(
        "contains",
        1,
        1,
        lambda c, s, p: exp.GT(this=call("strpos", s, c.text(p)), expression=number(0)),
        "boolean",
    )
    string_function("matches", 1, 1, lambda c, s, p: c.engine.matches(s, c.text(p)), "boolean")
    string_function("upper", 0, 0, lambda c, s: call("upper", s))
    string_function("lower", 0, 0, lambda c, s: call("lower", s))
    string_function("trim", 0, 0, lambda c, s: call("trim", s))
    string_function("length", 0, 0, lambda c, s: call("length", s), "integer")
    string_function("toString", 0, 0, lambda c, s: s)
    string_function("replace", 2, 2, lambda c, s, a, b: call("replace", s, c.text(a), c.text(b)))
    string_function(
        "indexOf",
        1,
        1,
        lambda c, s, p: exp.Sub(this=call("strpos", s, c.text(p)), expression=number(1)),
        "integer",
    )
    string_function(
        "substring",
        1,
        2,
        lambda c, s, start, *rest: call(
            "substr",
            s,
            exp.Add(this=c.typed(start, "integer"), expression=number(1)),
            *[c.typed(r, "integer") for r in rest],
        ),
    )
    string_function(
        "toInteger", 0, 0, lambda c, s: c.engine.cast(s, "BIGINT", safe=True), "integer"
    )
    string_function(
        "toDecimal", 0, 0, lambda c, s: c.engine.cast(s, "DOUBLE", safe=True), "decimal"
    )
    return functions, arity


_FUNCTIONS, _ARITY = _function_table()


def compile_view(
    view: ViewDefinition, engine_name: str, source: exp.Expr | None = None, storage: bool = False
) -> CompiledView:
    """The SQL of `view` for an engine, reading resources from `source` (a table with the bronze
    columns `resource_type`, `resource_id` and `resource_json`; `resources` when not given).

    `storage` gives the types a lakehouse table stores on both engines: JSON as its text
    (Iceberg has no JSON type) and an instant as its UTC timestamp (the project's convention).

    Raises:
        ViewDefinitionError: the view cannot be compiled (the message names the view and path).
    """
    compiler = Compiler(
        view, engine_name, source if source is not None else exp.to_table("resources"), storage
    )
    query, columns = compiler.query()
    if storage:
        stored = {"json": "varchar", "timestamptz": "timestamp"}
        columns = tuple(
            replace(column, sql_type=stored.get(column.sql_type, column.sql_type))
            for column in columns
        )
    return CompiledView(view, engine_name, query, columns, tuple(compiler.warnings))
