"""Every DomainError raised in libreach carries a translatable message, put into words only
when read (core/errors.py): an f-string, a plain string or a message formatted before
raising would reach a Chinese reader in English, or in the language active at raise time."""

import ast
from pathlib import Path

import pytest

import libreach
from libreach.core import errors

ROOT = Path(libreach.__file__).parent


def _error_names() -> set[str]:
    names, todo = set(), [errors.DomainError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


ERRORS = _error_names()


def _why_untranslatable(message: ast.expr) -> str | None:
    if isinstance(message, ast.JoinedStr):
        return "an f-string"
    if isinstance(message, ast.Constant) and isinstance(message.value, str):
        return "a plain string"
    if isinstance(message, ast.BinOp) and isinstance(message.op, ast.Mod | ast.Add):
        return "formatted before raising (pass the parameters as keywords)"
    if (
        isinstance(message, ast.Call)
        and isinstance(message.func, ast.Attribute)
        and message.func.attr == "format"
    ):
        return "formatted with .format() before raising"
    return None


def untranslated(source: str, filename: str = "<source>") -> list[str]:
    """Where `source` builds a DomainError whose message is not a lazy message."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in ERRORS:
            continue
        messages = node.args[:1] + [k.value for k in node.keywords if k.arg == "detail"]
        for message in messages:
            why = _why_untranslatable(message)
            if why:
                found.append(f"{filename}:{node.lineno}: {name}(...) message is {why}")
    return found


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" not in parts and "migrations" not in parts:
            yield path


def test_every_domain_error_message_is_translatable():
    found = []
    for path in _modules():
        found += untranslated(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, "\n".join(found)


def test_the_scan_sees_every_kind_of_error():
    assert {"DomainError", "NotFound", "Conflict", "RuleViolation", "TooManyRequests"} <= ERRORS
    assert len(list(_modules())) > 50


@pytest.mark.parametrize(
    "line",
    [
        'raise NotFound(f"No loan {loan_id}.", code="loan_not_found")',
        'raise Conflict("This loan has ended.", code="loan_closed")',
        'raise errors.RuleViolation(_("At most %(n)d books.") % {"n": 5})',
        'raise PermissionDenied(detail="Only staff {}.".format(code))',
        'raise BadRequest("The page " + str(page) + " is out of range.")',
    ],
)
def test_the_scan_catches(line):
    assert untranslated(line)


@pytest.mark.parametrize(
    "line",
    [
        'raise NotFound(_("No loan %(id)s."), code="loan_not_found", id=loan_id)',
        "raise NotAuthenticated()",
        'raise Conflict(ngettext_lazy("%(n)d book", "%(n)d books", "n"), n=len(waiting))',
        "raise RuleViolation(_MAY_NOT[action])",
        'raise ValueError(f"not a domain error: {x}")',
    ],
)
def test_the_scan_lets_pass(line):
    assert not untranslated(line)
