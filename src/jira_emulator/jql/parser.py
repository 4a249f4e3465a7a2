"""Recursive-descent JQL parser mirroring the rules and error reporting of Jira's Jql.g.

query    := orClause? orderBy? EOF
orClause := andClause (OR andClause)*
andClause:= notClause (AND notClause)*
notClause:= (NOT | '!') notClause | '(' orClause ')' | field operator operand
field    := string ('[' argument ']' propertyArg*)* | number | CF '[' posnumber ']'
operand  := EMPTY | string | number | string '(' args? ')' | '(' operand (',' operand)* ')'
orderBy  := ORDER BY field (ASC | DESC)? (',' field (ASC | DESC)?)*
"""

from __future__ import annotations

from collections.abc import Callable

from jira_emulator.jql.ast import (
    And,
    Clause,
    Empty,
    FieldRef,
    Function,
    ListOperand,
    Literal,
    Not,
    Operand,
    Or,
    Sort,
    Terminal,
)
from jira_emulator.jql.errors import OPERATORS_HINT, JqlError, at
from jira_emulator.jql.lexer import Token, tokenize

_COMPARISONS = frozenset(("=", "!=", "<", ">", "<=", ">=", "~", "!~"))
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_VALUE_KINDS = frozenset(("string", "number"))

FieldNamer = Callable[[str, bool], str]


class _Parser:
    def __init__(self, text: str, canonical: FieldNamer) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.canonical = canonical

    # -- token helpers ---------------------------------------------------------------------
    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def lookahead(self, offset: int) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def fail(self, message: str, token: Token) -> JqlError:
        return at(message, token.line, token.column)

    def expected(self, wanted: str, token: Token | None = None) -> JqlError:
        token = token or self.peek
        if token.kind == "eof":
            return self.fail(f"Expecting {wanted} before the end of the query.", token)
        return self.fail(f"Expecting {wanted} but got '{token.text}'.", token)

    def expect(self, kind: str, shown: str) -> Token:
        if self.peek.kind != kind:
            raise self.expected(f"'{shown}'")
        return self.take()

    # -- clauses ---------------------------------------------------------------------------
    def query(self) -> tuple[Clause | None, list[Sort] | None]:
        where = None if self.peek.kind in ("eof", "order") else self.or_clause()
        sorts = self.order_by() if self.peek.kind == "order" else None
        token = self.peek
        if token.kind != "eof":
            if sorts is not None:
                raise self.expected("','")
            if where is None:
                raise self.bad_field(token)
            raise self.expected("either 'OR' or 'AND'")
        return where, sorts

    def or_clause(self) -> Clause:
        clauses = [self.and_clause()]
        while self.peek.kind == "or":
            self.take()
            clauses.append(self.and_clause())
        return clauses[0] if len(clauses) == 1 else Or(tuple(clauses))

    def and_clause(self) -> Clause:
        clauses = [self.not_clause()]
        while self.peek.kind == "and":
            self.take()
            clauses.append(self.not_clause())
        return clauses[0] if len(clauses) == 1 else And(tuple(clauses))

    def not_clause(self) -> Clause:
        if self.peek.kind in ("not", "bang"):
            self.take()
            return Not(self.not_clause())
        if self.peek.kind == "lparen":
            self.take()
            inner = self.or_clause()
            if self.peek.kind == "eof":
                raise self.expected("')'")
            if self.peek.kind != "rparen":
                raise self.expected("either 'OR' or 'AND'")
            self.take()
            return inner
        field = self.field()
        operator = self.operator()
        return Terminal(field, operator, self.operand())

    # -- fields ----------------------------------------------------------------------------
    def bad_field(self, token: Token) -> JqlError:
        if token.kind == "eof":
            return self.fail("Expecting a field name at the end of the query.", token)
        if token.kind == "lbracket":
            return self.fail("Expecting a field name but got '['. Did you mean 'cf['?", token)
        return self.fail(
            f"Expecting a field name but got '{token.text}'. You must surround "
            f"'{token.text}' in quotation marks to use it as a field name.",
            token,
        )

    def field(self) -> FieldRef:
        token = self.peek
        if token.kind == "cf":
            return self.custom_field()
        if token.kind not in _VALUE_KINDS:
            raise self.bad_field(token)
        self.take()
        if token.kind == "string" and not token.text.strip():
            raise self.fail("A field name cannot be empty.", token)
        if token.kind == "number":
            self.check_long(token)
        if self.peek.kind != "lbracket":
            return FieldRef(token.text, self.canonical(token.text, token.quoted))
        return self.property_field(token)

    def custom_field(self) -> FieldRef:
        self.take()
        self.expect("lbracket", "[")
        number = self.peek
        if number.kind != "number" or number.text.startswith("-"):
            raise self.expected("a custom field id (a positive number)")
        self.check_long(self.take())
        self.expect("rbracket", "]")
        written = f"cf[{number.text}]"
        return FieldRef(written, f"customfield_{int(number.text)}")

    def property_field(self, name: Token) -> FieldRef:
        self.take()  # '['
        key = self.peek
        if key.kind not in _VALUE_KINDS:
            raise self.expected("a property key")
        self.take()
        self.expect("rbracket", "]")
        path = self.peek
        valid = path.text.startswith(".") and not path.text.startswith("..")
        if path.kind != "string" or len(path.text) < 2 or not valid:
            raise self.expected("a property path such as '.path'")
        self.take()
        written = f"{name.text}[{key.text}]{path.text}"
        canonical = f"{name.text.lower()}[{key.text.lower()}]{path.text}"
        return FieldRef(written, canonical)

    def check_long(self, token: Token) -> None:
        if not _LONG_MIN <= int(token.text) <= _LONG_MAX:
            raise self.fail(
                f"'{token.text}' is not a valid number. Numbers must be between "
                "-9,223,372,036,854,775,808 and 9,223,372,036,854,775,807.",
                token,
            )

    # -- operators -------------------------------------------------------------------------
    def operator(self) -> str:
        token = self.peek
        if token.kind in _COMPARISONS:
            self.take()
            return token.kind
        if token.kind == "in":
            self.take()
            return "in"
        if token.kind == "not":
            self.take()
            self.expect("in", "IN")
            return "not in"
        if token.kind == "is":
            return self.is_operator()
        if token.kind in ("was", "changed"):
            raise self.fail(
                f"The Jira emulator does not support the history operator '{token.text}'.", token
            )
        if token.kind == "eof":
            raise self.fail(
                f"Expecting operator before the end of the query. {OPERATORS_HINT}", token
            )
        raise self.fail(f"Expecting operator but got '{token.text}'. {OPERATORS_HINT}", token)

    def is_operator(self) -> str:
        self.take()
        if self.peek.kind == "not":
            self.take()
            return "is not"
        if self.peek.kind in ("empty", "string", "number", "lparen", "eof"):
            return "is"
        raise self.expected("'NOT'")

    # -- operands --------------------------------------------------------------------------
    def operand(self) -> Operand:
        token = self.peek
        if token.kind == "empty":
            self.take()
            return Empty()
        if token.kind in _VALUE_KINDS:
            self.take()
            if self.peek.kind == "lparen":
                return self.function(token)
            if token.kind == "number":
                self.check_long(token)
            return Literal(token.text, number=token.kind == "number")
        if token.kind == "lparen":
            return self.list_operand()
        if token.kind == "eof":
            raise self.fail(
                "Expecting either a value, list or function before the end of the query.", token
            )
        raise self.fail(
            f"Expecting either a value, list or function but got '{token.text}'. You must "
            f"surround '{token.text}' in quotation marks to use it as a value.",
            token,
        )

    def list_operand(self) -> ListOperand:
        self.take()
        items = [self.operand()]
        while self.peek.kind == "comma":
            self.take()
            items.append(self.operand())
        self.expect("rparen", ")")
        return ListOperand(tuple(items))

    def function(self, name: Token) -> Function:
        if name.kind == "string" and not name.text.strip():
            raise self.fail("A function name cannot be empty.", name)
        self.take()  # '('
        args: list[str] = []
        if self.peek.kind == "rparen":
            self.take()
            return Function(name.text, ())
        if self.peek.kind in ("eof", "comma"):
            raise self.expected("')'")
        args.append(self.argument())
        while self.peek.kind == "comma":
            self.take()
            if self.peek.kind == "rparen":
                raise self.fail("Function argument must be specified.", self.peek)
            args.append(self.argument())
        if self.peek.kind == "eof":
            raise self.expected("')'")
        if self.peek.kind != "rparen":
            raise self.expected("')' or ','")
        self.take()
        return Function(name.text, tuple(args))

    def argument(self) -> str:
        token = self.peek
        if token.kind in _VALUE_KINDS:
            return self.take().text
        if token.kind == "eof":
            raise self.fail("Expecting a function argument at the end of the query.", token)
        raise self.fail(
            f"Expecting a function argument but got '{token.text}'. You must surround "
            f"'{token.text}' in quotation marks to use it as an argument.",
            token,
        )

    # -- order by --------------------------------------------------------------------------
    def order_by(self) -> list[Sort]:
        self.take()
        self.expect("by", "by")
        sorts = [self.sort()]
        while self.peek.kind == "comma":
            self.take()
            sorts.append(self.sort())
        return sorts

    def sort(self) -> Sort:
        field = self.field()
        if self.peek.kind in ("asc", "desc"):
            return Sort(field, self.take().kind == "desc")
        if self.peek.kind not in ("eof", "comma"):
            raise self.expected("either 'ASC' or 'DESC'")
        return Sort(field, False)


def parse(text: str, canonical: FieldNamer) -> tuple[Clause | None, list[Sort]]:
    """Parse `text`; `canonical(name, quoted)` maps a written field name to its canonical name."""
    where, sorts = _Parser(text, canonical).query()
    return where, sorts or []
