"""DynamoDB attribute values in wire format ({"S": "x"}, {"N": "1.5"}, {"M": {...}}, ...).

Values are kept in the typed wire format throughout: ingesting validates and normalises a caller's
value into a fresh copy (numbers to DynamoDB's canonical text, blobs to bytes), `copy_value` copies
a stored one for a caller. Both cost time proportional to the value, never to a table.
"""

from __future__ import annotations

import re
from decimal import Clamped, Context, Decimal, Inexact, InvalidOperation, Overflow, Rounded, Underflow
from functools import lru_cache
from typing import Any

from nurture_local.aws.routing import ServiceError

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

SCALAR_TYPES = frozenset({"S", "N", "B"})
SET_TYPES = {"SS": "S", "NS": "N", "BS": "B"}
ALL_TYPES = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "BOOL", "NULL"})
MAX_ITEM_BYTES = 400 * 1024

# DynamoDB's number limits: 38 significant digits, magnitudes from 1E-130 to 9.99…E+125. Any
# rounding is an error (the service never silently loses a digit).
NUMBER_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class DynamoDBServiceError(ServiceError):
    """An error the service itself would answer with: ``code`` as in the wire error, ``extra`` holds
    the modelled error fields (``Item``, ``CancellationReasons``). Routed clients raise it as the
    modelled ClientError."""

    def __init__(self, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, status=_STATUS.get(code, 400), extra=extra)


_STATUS = {"InternalServerError": 500, "ServiceUnavailable": 503}


class UnsupportedByEngine(NotImplementedError):
    """A request the engine does not implement: raised rather than answered approximately."""


def validation(message: str) -> DynamoDBServiceError:
    return DynamoDBServiceError("ValidationException", message)


@lru_cache(maxsize=65536)
def number(text: str) -> Decimal:
    """The exact decimal of a wire number; ValidationException when DynamoDB would refuse it."""
    if not isinstance(text, str) or _NUMBER_TEXT.fullmatch(text) is None:
        raise validation("A value provided cannot be converted into a number")
    value = Decimal(text)
    if value.is_zero():
        return Decimal(0)
    return check_number(value)


def check_number(value: Decimal) -> Decimal:
    reduced = value.normalize(Context(prec=len(value.as_tuple().digits) + 1))
    if len(reduced.as_tuple().digits) > 38:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    exponent = reduced.adjusted()
    if exponent > 125:
        raise validation("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if exponent < -130:
        raise validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    return reduced


@lru_cache(maxsize=65536)
def normalise_number(text: str) -> str:
    """DynamoDB's canonical text: no exponent, no leading or trailing zeros ("42.00" → "42")."""
    return number_text(number(text))


def number_text(value: Decimal) -> str:
    if value.is_zero():
        return "0"
    return format(value.normalize(Context(prec=40)), "f")


def arithmetic(left: Decimal, right: Decimal, subtract: bool) -> str:
    try:
        result = NUMBER_CONTEXT.subtract(left, right) if subtract else NUMBER_CONTEXT.add(left, right)
    except (Inexact, Rounded):
        raise validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        ) from None
    except (Overflow, Underflow, Clamped, InvalidOperation) as exc:
        raise validation(f"Number out of range: {type(exc).__name__}") from None
    return number_text(check_number(result))


def _blob(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, str):  # botocore accepts text for blobs and sends its UTF-8
        return value.encode()
    raise validation("Invalid type for a binary attribute value")


def ingest_value(value: Any) -> AttributeValue:
    """Validate a caller's attribute value and return a normalised copy that the caller cannot reach."""
    if not isinstance(value, dict) or len(value) != 1:
        if isinstance(value, dict) and len(value) > 1:
            raise validation(
                "Supplied AttributeValue has more than one datatypes set, "
                "must contain exactly one of the supported datatypes"
            )
        raise validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
    ((kind, inner),) = value.items()
    if kind == "S":
        if not isinstance(inner, str):
            raise validation("Invalid type for a string attribute value")
        return {"S": inner}
    if kind == "N":
        if not isinstance(inner, str):
            raise validation("A value provided cannot be converted into a number")
        return {"N": normalise_number(inner)}
    if kind == "M":
        if not isinstance(inner, dict):
            raise validation("Invalid type for a map attribute value")
        return {"M": {str(name): ingest_value(member) for name, member in inner.items()}}
    if kind == "L":
        if not isinstance(inner, list | tuple):
            raise validation("Invalid type for a list attribute value")
        return {"L": [ingest_value(member) for member in inner]}
    if kind == "BOOL":
        if not isinstance(inner, bool):
            raise validation("Invalid type for a boolean attribute value")
        return {"BOOL": inner}
    if kind == "NULL":
        if inner is not True:
            raise validation(
                "One or more parameter values were invalid: Null attribute value types must have the value of true"
            )
        return {"NULL": True}
    if kind == "B":
        return {"B": _blob(inner)}
    if kind in SET_TYPES:
        return {kind: _ingest_set(kind, inner)}
    raise validation(f"Supplied AttributeValue has an unknown datatype: {kind}")


def _ingest_set(kind: str, members: Any) -> list[Any]:
    if not isinstance(members, list | tuple | set | frozenset):
        raise validation(f"Invalid type for a {kind} attribute value")
    if not members:
        name = {"SS": "string", "NS": "number", "BS": "binary"}[kind]
        raise validation(f"One or more parameter values were invalid: An {name} set  may not be empty")
    if kind == "SS":
        if not all(isinstance(member, str) for member in members):
            raise validation("Invalid type for a string set member")
        result: list[Any] = list(members)
        identities: list[Any] = result
    elif kind == "NS":
        if not all(isinstance(member, str) for member in members):
            raise validation("A value provided cannot be converted into a number")
        result = [normalise_number(member) for member in members]
        identities = result
    else:
        result = [_blob(member) for member in members]
        identities = result
    if len(set(identities)) != len(identities):
        raise validation(f"Input collection {list(members)!r} contains duplicates.")
    return result


def ingest_item(item: Any) -> Item:
    if not isinstance(item, dict):
        raise validation("An item must be a map of attribute names to values")
    return {str(name): ingest_value(value) for name, value in item.items()}


def copy_value(value: AttributeValue) -> AttributeValue:
    """A copy of a stored value: strings, numbers (as text) and bytes are immutable and shared."""
    ((kind, inner),) = value.items()
    if kind == "M":
        return {"M": {name: copy_value(member) for name, member in inner.items()}}
    if kind == "L":
        return {"L": [copy_value(member) for member in inner]}
    if kind in SET_TYPES:
        return {kind: list(inner)}
    return {kind: inner}


def copy_item(item: Item) -> Item:
    return {name: copy_value(value) for name, value in item.items()}


def value_type(value: AttributeValue) -> str:
    return next(iter(value))


def scalar_key(value: AttributeValue) -> Any:
    """The Python value that orders like DynamoDB does for S (UTF-8 bytes = code points), N and B."""
    ((kind, inner),) = value.items()
    if kind == "N":
        return number(inner)
    return inner


def canonical(value: AttributeValue) -> Any:
    """A hashable form in which two values are equal exactly when DynamoDB considers them equal."""
    ((kind, inner),) = value.items()
    if kind == "N":
        return ("N", number(inner))
    if kind == "M":
        return ("M", frozenset((name, canonical(member)) for name, member in inner.items()))
    if kind == "L":
        return ("L", tuple(canonical(member) for member in inner))
    if kind == "NS":
        return ("NS", frozenset(number(member) for member in inner))
    if kind in ("SS", "BS"):
        return (kind, frozenset(inner))
    return (kind, inner)


def value_size(value: AttributeValue) -> int:
    """Bytes the value counts for in DynamoDB's item size (documented rules, rounded up)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "B":
        return len(inner)
    if kind == "N":
        return _number_size(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(member) for name, member in inner.items())
    if kind == "L":
        return 3 + sum(1 + value_size(member) for member in inner)
    if kind == "SS":
        return sum(len(member.encode()) for member in inner)
    if kind == "NS":
        return sum(_number_size(member) for member in inner)
    return sum(len(member) for member in inner)


def _number_size(text: str) -> int:
    digits = len(text.replace("-", "").replace(".", "").strip("0")) or 1
    return (digits + 1) // 2 + 1


def item_size(item: Item) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())
