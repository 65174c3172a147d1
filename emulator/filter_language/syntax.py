"""The filter expression grammar: tokens, the syntax tree, and a recursive-descent parser.
spec: personalize-behavior.md §9.1"""

import re
from dataclasses import dataclass
from typing import NoReturn


class FilterError(ValueError):
    """An invalid filter expression or filter value; the message is fit for InvalidInputException."""


@dataclass(frozen=True)
class Value:
    """A literal (`text` as written, quotes removed) or a placeholder (`text` is its name, without "$")."""
    text: str
    kind: str                                   # "string" | "number" | "placeholder"


@dataclass(frozen=True)
class CurrentItem:
    """`CurrentItem.F`: a field of the item named in the request (related-items recommendations)."""
    field: str


@dataclass(frozen=True)
class Condition:
    dataset: str                                # a dataset type: "ITEMS", "INTERACTIONS", ... or "CURRENT_USER"
    field: str
    op: str                                     # "IN", "NOT IN", "=", "!=", "<", "<=", ">", ">="
    operand: tuple[Value, ...] | Value | CurrentItem   # a tuple only for IN / NOT IN value lists
    position: int                               # 1-based character position of the field, for messages

    @property
    def label(self) -> str:
        return f"{self.dataset.title()}.{self.field}" if self.dataset != "CURRENT_USER" else f"CurrentUser.{self.field}"

    @property
    def values(self) -> tuple[Value, ...]:
        """The literal and placeholder values of the operand (none for a CurrentItem reference)."""
        if isinstance(self.operand, tuple):
            return self.operand
        return (self.operand,) if isinstance(self.operand, Value) else ()


@dataclass(frozen=True)
class Expression:
    action: str                                 # "INCLUDE" | "EXCLUDE"
    target: str                                 # "ItemID" | "ActionID" | "UserID"
    # OR of AND-groups: AND binds tighter than OR, as in SQL, and the grammar has no parentheses.
    groups: tuple[tuple[Condition, ...], ...]
    if_conditions: tuple[Condition, ...]        # all on CURRENT_USER, joined by AND

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return tuple(condition for group in self.groups for condition in group)


TARGETS = {"itemid": "ItemID", "actionid": "ActionID", "userid": "UserID"}
# Singular and upper-case spellings appear in AWS's own examples (spec: personalize-behavior.md §9.4).
DATASETS = {"items": "ITEMS", "item": "ITEMS", "users": "USERS", "user": "USERS",
            "actions": "ACTIONS", "action": "ACTIONS", "interactions": "INTERACTIONS",
            "interaction": "INTERACTIONS", "action_interactions": "ACTION_INTERACTIONS",
            "action_interaction": "ACTION_INTERACTIONS", "actioninteractions": "ACTION_INTERACTIONS"}
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
MAX_LENGTH = 2500                               # the model's maximum for filterExpression

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKENS = re.compile(rf"""
    (?P<string>"[^"]*")
  | (?P<placeholder>\${_NAME})
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<word>{_NAME}(?:\.{_NAME})?)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<punct>[(),|])
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str                                   # a group name of _TOKENS, or "end"
    text: str
    position: int                               # 1-based

    def is_word(self, *keywords: str) -> bool:
        return self.kind == "word" and self.text.upper() in keywords

    def __str__(self) -> str:
        return "the end of the expression" if self.kind == "end" else f'"{self.text}" at position {self.position}'


def tokenize(text: str) -> list[Token]:
    tokens, at = [], 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return tokens + [Token("end", "", at + 1)]
        match = _TOKENS.match(text, at)
        if match is None:
            problem = "an unterminated string literal" if text[at] == '"' else f'an unexpected character "{text[at]}"'
            raise FilterError(f"Invalid filter expression: {problem} at position {at + 1}.")
        tokens.append(Token(match.lastgroup, match.group(), at + 1))
        at = match.end()


class Parser:
    """filter := expression ("|" expression)*; one method per rule of the grammar."""

    def __init__(self, text: str) -> None:
        self.tokens, self.at = tokenize(text), 0

    def parse(self) -> tuple[Expression, ...]:
        expressions = [self.expression()]
        while self.accept("|"):
            expressions.append(self.expression())
        self.expect_end()
        return tuple(expressions)

    def expression(self) -> Expression:
        start = self.peek()
        if not start.is_word("INCLUDE", "EXCLUDE"):
            self.fail("INCLUDE or EXCLUDE")
        self.at += 1
        target = self.next()
        if target.kind != "word" or target.text.lower() not in TARGETS:
            self.fail("ItemID, ActionID or UserID", target)
        self.expect_word("WHERE")
        groups = [[self.condition()]]
        while self.peek().is_word("AND", "OR"):
            joiner = self.next().text.upper()
            if joiner == "AND":
                groups[-1].append(self.condition())
            else:
                groups.append([self.condition()])
        if_conditions = []
        if self.peek().is_word("IF"):
            self.at += 1
            if_conditions.append(self.condition(current_user=True))
            while self.peek().is_word("AND", "OR"):
                if self.next().text.upper() == "OR":
                    raise FilterError(f"Invalid filter expression: the IF clause can join conditions with AND "
                                      f"only, not OR at position {self.tokens[self.at - 1].position}.")
                if_conditions.append(self.condition(current_user=True))
        if self.peek().is_word("IF"):
            raise FilterError(f"Invalid filter expression: an expression can have only one IF clause, at its "
                              f"end; found a second IF at position {self.peek().position}.")
        return Expression(start.text.upper(), TARGETS[target.text.lower()], tuple(map(tuple, groups)),
                          tuple(if_conditions))

    def condition(self, current_user: bool = False) -> Condition:
        token = self.next()
        prefix, _, name = token.text.partition(".")
        if token.kind != "word" or not name:
            self.fail("CurrentUser.FIELD" if current_user else "a field such as Items.GENRE", token)
        prefix = prefix.lower()
        if prefix == "currentuser" and not current_user:
            raise FilterError(f"Invalid filter expression: {token.text} at position {token.position} is outside "
                              "an IF clause; CurrentUser can only be used in the IF clause at the end of an "
                              "expression.")
        if current_user and prefix != "currentuser":
            raise FilterError(f"Invalid filter expression: {token.text} at position {token.position} follows IF; "
                              "the IF clause can only hold conditions on CurrentUser fields.")
        if not current_user and prefix not in DATASETS:
            raise FilterError(f'Invalid filter expression: unknown dataset "{token.text}" at position '
                              f"{token.position}; use Items, Users, Actions, Interactions or Action_Interactions.")
        dataset = "CURRENT_USER" if current_user else DATASETS[prefix]
        op = self.operator()
        operand = self.operand(op, allow_current_item=not current_user)
        return Condition(dataset, name, op, operand, token.position)

    def operator(self) -> str:
        token = self.next()
        if token.is_word("IN"):
            return "IN"
        if token.is_word("NOT") and self.peek().is_word("IN"):
            self.at += 1
            return "NOT IN"
        if token.kind == "op":
            return token.text
        self.fail("IN, NOT IN or a comparison operator", token)

    def operand(self, op: str, allow_current_item: bool) -> tuple[Value, ...] | Value | CurrentItem:
        token = self.peek()
        if token.kind == "word" and token.text.lower().startswith("currentitem."):
            if not allow_current_item:
                raise FilterError(f"Invalid filter expression: {token.text} at position {token.position} cannot "
                                  "be used in an IF clause.")
            self.at += 1
            return CurrentItem(token.text.partition(".")[2])
        if op in ("IN", "NOT IN"):
            self.expect("(")
            values = [self.value()]
            while self.accept(","):
                values.append(self.value())
            self.expect(")")
            return tuple(values)
        if self.accept("("):                    # AWS's own examples write "> ($VALUE)"
            value = self.value()
            self.expect(")")
            return value
        return self.value()

    def value(self) -> Value:
        token = self.next()
        if token.kind == "string":
            return Value(token.text[1:-1], "string")
        if token.kind == "number":
            return Value(token.text, "number")
        if token.kind == "placeholder":
            return Value(token.text[1:], "placeholder")
        self.fail('a value: a "quoted string", a number or a $PLACEHOLDER', token)

    def peek(self) -> Token:
        return self.tokens[self.at]

    def next(self) -> Token:
        token = self.tokens[self.at]
        self.at += token.kind != "end"
        return token

    def accept(self, punct: str) -> bool:
        if self.peek().kind == "punct" and self.peek().text == punct:
            self.at += 1
            return True
        return False

    def expect(self, punct: str) -> None:
        if not self.accept(punct):
            self.fail(f'"{punct}"')

    def expect_word(self, keyword: str) -> None:
        if not self.peek().is_word(keyword):
            self.fail(keyword)
        self.at += 1

    def expect_end(self) -> None:
        if self.peek().kind != "end":
            self.fail('"|" or the end of the expression')

    def fail(self, wanted: str, token: Token | None = None) -> NoReturn:
        raise FilterError(f"Invalid filter expression: expected {wanted}, found {token or self.peek()}.")
