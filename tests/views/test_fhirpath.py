"""The FHIRPath parser: precedence, literals, and one-line errors with a column."""

from __future__ import annotations

import pytest

from views.exceptions import FhirPathSyntaxError
from views.fhirpath import Binary, Call, Index, Literal, Member, Navigate, Unary, Variable, parse


def test_multiplication_binds_tighter_than_addition_and_comparison() -> None:
    tree = parse("1 + 2 * 3 > 4")
    assert tree == Binary(
        ">",
        Binary(
            "+", Literal("integer", 1), Binary("*", Literal("integer", 2), Literal("integer", 3))
        ),
        Literal("integer", 4),
    )


def test_and_binds_tighter_than_or_and_implies_is_loosest() -> None:
    tree = parse("a or b and c implies d")
    assert tree == Binary(
        "implies", Binary("or", Member("a"), Binary("and", Member("b"), Member("c"))), Member("d")
    )


def test_equality_is_looser_than_union_and_comparison() -> None:
    assert parse("a | b = c") == Binary("=", Binary("|", Member("a"), Member("b")), Member("c"))
    assert parse("a < b = true") == Binary(
        "=", Binary("<", Member("a"), Member("b")), Literal("boolean", True)
    )


def test_invocation_chains_index_and_functions() -> None:
    tree = parse("name.where(use = %u)[0].given.first()")
    assert tree == Call(
        Navigate(
            Index(
                Call(Member("name"), "where", (Binary("=", Member("use"), Variable("%", "u")),)),
                Literal("integer", 0),
            ),
            "given",
        ),
        "first",
    )


def test_type_operators_take_a_type_name() -> None:
    assert parse("value is Quantity") == Binary("is", Member("value"), Member("Quantity"))
    assert parse("value as FHIR.Quantity") == Binary("as", Member("value"), Member("FHIR.Quantity"))


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("'it''s'", None),
        ("'a\\'b'", Literal("string", "a'b")),
        ("'\\u00e9'", Literal("string", "é")),
        ("1.50", Literal("decimal", __import__("decimal").Decimal("1.50"))),
        ("7L", Literal("integer", 7)),
        ("@2020-01", Literal("date", "2020-01")),
        ("@2020-01-02T10:00:00.5+02:00", Literal("dateTime", "2020-01-02T10:00:00.5+02:00")),
        ("@T12:30", Literal("time", "T12:30")),
        ("{}", Literal("empty")),
        ("true", Literal("boolean", True)),
    ],
)
def test_literals(text: str, literal: Literal | None) -> None:
    if literal is None:
        with pytest.raises(FhirPathSyntaxError):
            parse(text)
    else:
        assert parse(text) == literal


def test_unary_minus_and_delimited_names() -> None:
    assert parse("-x.y") == Unary("-", Navigate(Member("x"), "y"))
    assert parse("`div`.text") == Navigate(Member("div"), "text")
    assert parse("%`my constant`") == Variable("%", "my constant")
    assert parse("$this") == Variable("$", "this")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@@", "unexpected '@' at column 1"),
        ("name.", "expected a name at column 6"),
        ("name.where(use = 'x'", "expected ',' or ')'"),
        ("a b", "unexpected 'b' at column 3"),
        ("'open", "unterminated ' quote opened at column 1"),
        ("a # b", "unexpected '#' at column 3"),
        ("", "the expression is empty"),
    ],
)
def test_errors_name_the_column(text: str, message: str) -> None:
    with pytest.raises(FhirPathSyntaxError, match="^" + __import__("re").escape(message)):
        parse(text)
