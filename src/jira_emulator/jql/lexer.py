"""JQL tokenizer, following the lexer rules of Jira's own grammar (Jql.g).

- Whitespace (space, tab, CR, LF) separates tokens.
- Strings are double- or single-quoted, or unquoted runs of characters that are not whitespace
  and not one of `" ' = ! < > ( ) ~ , [ ] | &`, a control character or a reserved character
  `{ } * / % + ^ $ # @ ? ;`. A reserved character outside a quoted string is an error.
- Escapes, in quoted and unquoted strings alike: `\\t \\n \\r \\" \\' \\\\ \\<space> \\uXXXX`;
  any other escape is an error. Control characters (U+0000–U+0009, U+000B–U+000C,
  U+000E–U+001F, U+007F–U+009F, U+FDD0–U+FDEF, U+FFFE–U+FFFF) must be escaped even in quotes;
  raw CR and LF are allowed inside quotes.
- An unquoted run that spells a keyword (AND, OR, NOT, IN, IS, EMPTY/NULL, ORDER, BY, ASC, DESC,
  WAS, CHANGED, CF, history predicates) is that keyword; digits are a number; an unquoted run
  that spells one of Jira's reserved words (`RESERVED_WORDS`) is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from jira_emulator.jql.errors import at

RESERVED_CHARS = frozenset("{}*/%+^$#@?;")
_STOP = frozenset("\"'=!<>()~,[]|&") | RESERVED_CHARS
_WHITESPACE = frozenset(" \t\r\n")
_SINGLE = {"(": "lparen", ")": "rparen", ",": "comma", "[": "lbracket", "]": "rbracket"}
_DECODE = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "'": "'", "\\": "\\", " ": " "}
_VALID_ESCAPES = "The valid escape sequences are \\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX."
KEYWORDS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "in": "in",
    "is": "is",
    "empty": "empty",
    "null": "empty",
    "order": "order",
    "by": "by",
    "asc": "asc",
    "desc": "desc",
    "was": "was",
    "changed": "changed",
    "cf": "cf",
    "from": "predicate",
    "to": "predicate",
    "before": "predicate",
    "after": "predicate",
    "on": "predicate",
    "during": "predicate",
}
# Hard-coded in Jira's JqlStringSupportImpl; the keywords above are matched before this check.
RESERVED_WORDS = frozenset(
    """abort access add after alias all alter and any as asc audit avg before begin between
    boolean break by byte catch cf changed char character check checkpoint collate collation
    column commit connect continue count create current date decimal declare decrement default
    defaults define delete delimiter desc difference distinct divide do double drop else empty
    encoding end equals escape exclusive exec execute exists explain false fetch file field
    first float for from function go goto grant greater group having identified if immediate in
    increment index initial inner inout input insert int integer intersect intersection into is
    isempty isnull join last left less like limit lock long max min minus mode modify modulo
    more multiply next noaudit not notin nowait null number object of on option or order outer
    output power previous prior privileges public raise raw remainder rename resource return
    returns revoke right row rowid rownum rows select session set share size sqrt start strict
    string subtract sum synonym table then to trans transaction trigger true uid union unique
    update user validate values view was when whenever where while with""".split()  # noqa: SIM905 - the word list reads best as prose
)


@dataclass(frozen=True)
class Token:
    """One token. `text` is decoded (quotes and escapes removed); `kind` is a keyword name,
    an operator (`=`, `!=`, `<`, `>`, `<=`, `>=`, `~`, `!~`), `bang`, punctuation
    (`lparen`, `rparen`, `comma`, `lbracket`, `rbracket`), `string`, `number` or `eof`."""

    kind: str
    text: str
    line: int | None
    column: int | None
    quoted: bool = False


def is_control(char: str) -> bool:
    """Whether JQL treats `char` as a control character that must always be escaped."""
    code = ord(char)
    return (
        code <= 0x09
        or 0x0B <= code <= 0x0C
        or 0x0E <= code <= 0x1F
        or 0x7F <= code <= 0x9F
        or 0xFDD0 <= code <= 0xFDEF
        or 0xFFFE <= code <= 0xFFFF
    )


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []

    def where(self, index: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, index) + 1
        return line, index - (self.text.rfind("\n", 0, index) + 1) + 1

    def run(self) -> list[Token]:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in _WHITESPACE:
                self.pos += 1
            elif char in _SINGLE:
                self.emit(_SINGLE[char], char, self.pos, 1)
            elif char in "!<>=~&|":
                self.operator(char)
            elif char in "\"'":
                self.quoted(char)
            elif char in RESERVED_CHARS:
                self.reserved(char)
            elif is_control(char):
                raise self.illegal_char(char, self.pos)
            else:
                self.unquoted()
        self.tokens.append(Token("eof", "", None, None))
        return self.tokens

    def emit(self, kind: str, text: str, start: int, length: int, quoted: bool = False) -> None:
        line, column = self.where(start)
        self.tokens.append(Token(kind, text, line, column, quoted))
        self.pos = start + length

    def operator(self, char: str) -> None:
        two = self.text[self.pos : self.pos + 2]
        if two in ("!=", "!~", "<=", ">="):
            self.emit(two, two, self.pos, 2)
        elif two in ("&&", "||"):
            self.emit("and" if char == "&" else "or", two, self.pos, 2)
        elif char in "&|":
            self.emit("and" if char == "&" else "or", char, self.pos, 1)
        else:
            self.emit("bang" if char == "!" else char, char, self.pos, 1)

    def reserved(self, char: str) -> None:
        line, column = self.where(self.pos)
        raise at(
            f"The character '{char}' is a reserved JQL character. You must enclose it in a "
            f"string or use the escape '\\u{ord(char):04x}' instead.",
            line,
            column,
        )

    def illegal_char(self, char: str, index: int) -> Exception:
        line, column = self.where(index)
        return at(
            f"The character 'U+{ord(char):04X}' on line {line} at position {column} must be "
            f"escaped. Use the escape '\\u{ord(char):04x}' instead.",
            line,
            column,
        )

    def escape(self, index: int) -> tuple[str, int]:
        """Decode the escape sequence starting at the backslash at `index`."""
        line, column = self.where(index)
        if index + 1 >= len(self.text):
            raise at(f"The escape sequence has not been completed. {_VALID_ESCAPES}", line, column)
        code = self.text[index + 1]
        if code in _DECODE:
            return _DECODE[code], index + 2
        if code == "u":
            digits = self.text[index + 2 : index + 6]
            for offset, digit in enumerate(digits):
                if digit not in "0123456789abcdefABCDEF":
                    bad = self.text[index : index + 3 + offset]
                    raise at(
                        f"'{bad}' is an illegal JQL escape sequence. {_VALID_ESCAPES}", line, column
                    )
            if len(digits) == 4:
                return chr(int(digits, 16)), index + 6
            bad = self.text[index : index + 2 + len(digits)]
        else:
            bad = self.text[index : index + 2]
        raise at(f"'{bad}' is an illegal JQL escape sequence. {_VALID_ESCAPES}", line, column)

    def quoted(self, quote: str) -> None:
        start, index, out = self.pos, self.pos + 1, []
        while index < len(self.text) and self.text[index] != quote:
            char = self.text[index]
            if char == "\\":
                decoded, index = self.escape(index)
                out.append(decoded)
                continue
            if is_control(char):
                raise self.illegal_char(char, index)
            out.append(char)
            index += 1
        if index >= len(self.text):
            line, column = self.where(start)
            shown = "".join(out).replace("\r", " ").replace("\n", " ")
            what = f"The quoted string '{shown}'" if shown else "The quoted string"
            raise at(f"{what} has not been completed.", line, column)
        self.emit("string", "".join(out), start, index + 1 - start, quoted=True)

    def unquoted(self) -> None:
        start, index, out, escaped = self.pos, self.pos, [], False
        while index < len(self.text):
            char = self.text[index]
            if char in _WHITESPACE or char in _STOP or is_control(char):
                break
            if char == "\\":
                decoded, index = self.escape(index)
                out.append(decoded)
                escaped = True
                continue
            out.append(char)
            index += 1
        text = "".join(out)
        self.emit(self.classify(text, escaped, start), text, start, index - start)

    def classify(self, text: str, escaped: bool, start: int) -> str:
        folded = text.lower()
        if not escaped and folded in KEYWORDS:
            return KEYWORDS[folded]
        if text.isascii() and (text.isdigit() or (text[:1] == "-" and text[1:].isdigit())):
            return "number"
        if folded in RESERVED_WORDS:
            line, column = self.where(start)
            raise at(
                f"'{text}' is a reserved JQL word. You must surround it in quotation marks to "
                "use it in a query.",
                line,
                column,
            )
        return "string"


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending with an `eof` token; raises JqlError as Jira would."""
    return _Lexer(text).run()
