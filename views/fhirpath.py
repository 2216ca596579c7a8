"""FHIRPath text -> syntax tree: the grammar of FHIRPath N1 (http://hl7.org/fhirpath/), by hand.

Why not fhirpathpy's ANTLR parser: its tree is the grammar's parse tree (a dozen node kinds per
term), its errors are ANTLR's multi-line listings, and it needs the ANTLR runtime. This parser
is a precedence climber over the grammar's own table, gives one-line errors with the column
(`unexpected '@' at column 1`), and returns the small typed tree the compiler lowers.

Precedence, tightest first (FHIRPath §"Operator precedence"): `.` and `[]`, unary `+ -`,
`* / div mod`, `+ - &`, `is as`, `|`, `< > <= >=`, `= ~ != !~`, `in contains`, `and`,
`xor or`, `implies`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from views.exceptions import FhirPathSyntaxError


@dataclass(frozen=True)
class Node:
    """A node of a FHIRPath syntax tree."""


@dataclass(frozen=True)
class Literal(Node):
    """`'text'`, `12`, `1.5`, `true`, `@2020-01-01`, `@T12:00`, `{}` (kind `empty`)."""

    kind: str  # string, integer, decimal, boolean, date, dateTime, time, empty, quantity
    value: object = None
    unit: str | None = None


@dataclass(frozen=True)
class Member(Node):
    """A name: a child element of the focus (`name`), or a type name where one is expected."""

    name: str


@dataclass(frozen=True)
class Variable(Node):
    """`$this`, `$index`, `$total` (kind `$`) or an external constant `%name` (kind `%`)."""

    kind: str
    name: str


@dataclass(frozen=True)
class Call(Node):
    """A function invoked on `target` (None: on the current focus): `name.where(use = 'x')`."""

    target: Node | None
    name: str
    args: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Navigate(Node):
    """`target.name`: the `name` children of every item of `target`."""

    target: Node
    name: str


@dataclass(frozen=True)
class Index(Node):
    """`target[index]`."""

    target: Node
    index: Node


@dataclass(frozen=True)
class Unary(Node):
    """`-x` or `+x`."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    """`left op right` for every infix operator, `is`/`as` included (right is a `Member`)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Token:
    kind: str  # name, string, number, date, time, delimited, var, this, op, eof
    text: str
    column: int
    value: object = None


_PUNCTUATION = (
    "<=",
    ">=",
    "!=",
    "!~",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ".",
    ",",
    "+",
    "-",
    "*",
    "/",
    "&",
    "|",
    "<",
    ">",
    "=",
    "~",
)
_WORD_OPERATORS = {"div", "mod", "is", "as", "in", "contains", "and", "or", "xor", "implies"}
# FHIRPath date/time literal bodies after `@`: a date, optionally `T` and a time with zone; or
# `T` and a time alone.
_DATETIME = re.compile(
    r"@(?P<date>\d{4}(-\d{2}(-\d{2})?)?)"
    r"(?P<t>T((?P<time>\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?"
)
_TIME = re.compile(r"@T(?P<time>\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)")
_NUMBER = re.compile(r"\d+(\.\d+)?L?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ESCAPES = {
    "'": "'",
    '"': '"',
    "`": "`",
    "/": "/",
    "\\": "\\",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_CALENDAR_UNITS = {
    "year",
    "years",
    "month",
    "months",
    "week",
    "weeks",
    "day",
    "days",
    "hour",
    "hours",
    "minute",
    "minutes",
    "second",
    "seconds",
    "millisecond",
    "milliseconds",
}


def _quoted(text: str, start: int, quote: str) -> tuple[str, int]:
    """The unescaped body of a quoted string starting at `start`, and the index after it."""
    out: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == quote:
            return "".join(out), index + 1
        if char == "\\":
            if index + 1 >= len(text):
                break
            escape = text[index + 1]
            if escape == "u":
                digits = text[index + 2 : index + 6]
                if not re.fullmatch(r"[0-9A-Fa-f]{4}", digits):
                    raise FhirPathSyntaxError(f"bad \\u escape at column {index + 1}")
                out.append(chr(int(digits, 16)))
                index += 6
                continue
            if escape not in _ESCAPES:
                raise FhirPathSyntaxError(f"unknown escape \\{escape} at column {index + 1}")
            out.append(_ESCAPES[escape])
            index += 2
            continue
        out.append(char)
        index += 1
    raise FhirPathSyntaxError(f"unterminated {quote} quote opened at column {start + 1}")


def tokenize(text: str) -> list[Token]:
    """The tokens of a FHIRPath expression, ending with an `eof` token."""
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        column = index + 1
        if char.isspace():
            index += 1
        elif text.startswith("//", index):
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        elif text.startswith("/*", index):
            end = text.find("*/", index + 2)
            if end < 0:
                raise FhirPathSyntaxError(f"unterminated comment at column {column}")
            index = end + 2
        elif char == "'":
            body, index = _quoted(text, index, "'")
            tokens.append(Token("string", text[column - 1 : index], column, body))
        elif char == "`":
            body, index = _quoted(text, index, "`")
            tokens.append(Token("delimited", body, column, body))
        elif char == "@":
            match = _TIME.match(text, index) or _DATETIME.match(text, index)
            if not match or match.end() == index + 1:
                raise FhirPathSyntaxError(f"unexpected '@' at column {column}")
            literal = match.group(0)
            kind = (
                "time" if literal.startswith("@T") else ("dateTime" if "T" in literal else "date")
            )
            tokens.append(Token(kind, literal, column, literal[1:]))
            index = match.end()
        elif char.isdigit():
            match = _NUMBER.match(text, index)
            assert match is not None
            tokens.append(Token("number", match.group(0), column, match.group(0)))
            index = match.end()
        elif char in "%$":
            if char == "%" and index + 1 < len(text) and text[index + 1] in "`'":
                body, index = _quoted(text, index + 1, text[index + 1])
                tokens.append(Token("var", body, column, "%"))
                continue
            match = _NAME.match(text, index + 1)
            if not match:
                raise FhirPathSyntaxError(f"'{char}' without a name at column {column}")
            tokens.append(Token("var", match.group(0), column, char))
            index = match.end()
        elif _NAME.match(text, index):
            match = _NAME.match(text, index)
            assert match is not None
            tokens.append(Token("name", match.group(0), column))
            index = match.end()
        else:
            for punct in _PUNCTUATION:
                if text.startswith(punct, index):
                    tokens.append(Token("op", punct, column))
                    index += len(punct)
                    break
            else:
                raise FhirPathSyntaxError(f"unexpected {char!r} at column {column}")
    tokens.append(Token("eof", "", len(text) + 1))
    return tokens


# Binary operators by precedence level, loosest first.
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("implies",),
    ("or", "xor"),
    ("and",),
    ("in", "contains"),
    ("=", "~", "!=", "!~"),
    ("<", ">", "<=", ">="),
    ("|",),
    ("is", "as"),
    ("+", "-", "&"),
    ("*", "/", "div", "mod"),
)


@dataclass
class _Parser:
    tokens: list[Token]
    position: int = 0
    text: str = field(default="")

    def peek(self) -> Token:
        return self.tokens[self.position]

    def next(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def is_operator(self, token: Token, names: tuple[str, ...]) -> bool:
        if token.kind == "op":
            return token.text in names
        return token.kind == "name" and token.text in names and token.text in _WORD_OPERATORS

    def expect(self, text: str) -> Token:
        token = self.next()
        if token.kind != "op" or token.text != text:
            raise FhirPathSyntaxError(
                f"expected '{text}' at column {token.column}, found {_shown(token)}"
            )
        return token

    def expression(self, level: int = 0) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.expression(level + 1)
        while self.is_operator(self.peek(), _LEVELS[level]):
            op = self.next().text
            if op in ("is", "as"):
                left = Binary(op, left, self.type_specifier())
            else:
                left = Binary(op, left, self.expression(level + 1))
        return left

    def type_specifier(self) -> Member:
        token = self.next()
        if token.kind not in ("name", "delimited"):
            raise FhirPathSyntaxError(
                f"expected a type name at column {token.column}, found {_shown(token)}"
            )
        name = token.text
        while self.peek().kind == "op" and self.peek().text == ".":
            self.next()
            name += "." + self.identifier()
        return Member(name)

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text in ("+", "-"):
            self.next()
            return Unary(token.text, self.unary())
        return self.postfix(self.term())

    def identifier(self) -> str:
        token = self.next()
        if token.kind == "delimited" or token.kind == "name":
            return token.text
        raise FhirPathSyntaxError(
            f"expected a name at column {token.column}, found {_shown(token)}"
        )

    def arguments(self) -> tuple[Node, ...]:
        self.expect("(")
        args: list[Node] = []
        if self.peek().kind == "op" and self.peek().text == ")":
            self.next()
            return ()
        while True:
            args.append(self.expression())
            token = self.next()
            if token.kind == "op" and token.text == ")":
                return tuple(args)
            if not (token.kind == "op" and token.text == ","):
                raise FhirPathSyntaxError(
                    f"expected ',' or ')' at column {token.column}, found {_shown(token)}"
                )

    def invocation(self, target: Node | None) -> Node:
        """A name after `.` (or at the start): a member, or a function when `(` follows."""
        token = self.peek()
        name = self.identifier()
        if self.peek().kind == "op" and self.peek().text == "(" and token.kind == "name":
            return Call(target, name, self.arguments())
        return Member(name) if target is None else Navigate(target, name)

    def term(self) -> Node:
        token = self.peek()
        if token.kind == "string":
            self.next()
            return Literal("string", token.value)
        if token.kind == "number":
            self.next()
            return self.number(token)
        if token.kind in ("date", "dateTime", "time"):
            self.next()
            return Literal(token.kind, token.value)
        if token.kind == "var":
            self.next()
            return Variable(str(token.value), token.text)
        if token.kind == "name" and token.text in ("true", "false"):
            self.next()
            return Literal("boolean", token.text == "true")
        if token.kind in ("name", "delimited"):
            if token.kind == "name" and token.text in _WORD_OPERATORS - {"as", "is", "contains"}:
                raise FhirPathSyntaxError(f"unexpected '{token.text}' at column {token.column}")
            return self.invocation(None)
        if token.kind == "op" and token.text == "(":
            self.next()
            inner = self.expression()
            self.expect(")")
            return inner
        if token.kind == "op" and token.text == "{":
            self.next()
            self.expect("}")
            return Literal("empty")
        raise FhirPathSyntaxError(f"unexpected {_shown(token)} at column {token.column}")

    def number(self, token: Token) -> Node:
        text = token.text
        if text.endswith("L"):
            return Literal("integer", int(text[:-1]))
        after = self.peek()
        unit = None
        if after.kind == "string":
            unit = str(after.value)
        elif after.kind == "name" and after.text in _CALENDAR_UNITS:
            unit = after.text
        if unit is not None:
            self.next()
            return Literal("quantity", Decimal(text), unit)
        if "." in text:
            return Literal("decimal", Decimal(text))
        return Literal("integer", int(text))

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token.kind == "op" and token.text == ".":
                self.next()
                node = self.invocation(node)
            elif token.kind == "op" and token.text == "[":
                self.next()
                index = self.expression()
                self.expect("]")
                node = Index(node, index)
            else:
                return node


def _shown(token: Token) -> str:
    return "the end" if token.kind == "eof" else f"'{token.text}'"


def parse(text: str) -> Node:
    """The syntax tree of a FHIRPath expression.

    Raises:
        FhirPathSyntaxError: the text is not FHIRPath; the message names the column.
    """
    if not isinstance(text, str) or not text.strip():
        raise FhirPathSyntaxError("the expression is empty")
    parser = _Parser(tokenize(text), text=text)
    node = parser.expression()
    token = parser.peek()
    if token.kind != "eof":
        raise FhirPathSyntaxError(f"unexpected {_shown(token)} at column {token.column}")
    return node
