"""Payload templates: Parameters, ResultSelector, ItemSelector.

A field whose name ends in ``.$`` takes its value from a path (``$`` input, ``$$`` context object) or
an intrinsic function; the suffix is dropped from the output name. Templates are compiled once at
load time into a tree of small callables.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .errors import DefinitionError
from .intrinsics import IntrinsicSyntaxError, is_intrinsic, parse_intrinsic
from .paths import PathSyntaxError, compile_path

Evaluator = Callable[[Any, Any, random.Random], Any]


class Template:
    """A compiled payload template; `uses_context` says whether `$$` is read anywhere."""

    __slots__ = ("_evaluate", "static", "uses_context")

    def __init__(self, evaluate: Evaluator, *, uses_context: bool, static: bool) -> None:
        self._evaluate = evaluate
        self.uses_context = uses_context
        self.static = static

    def evaluate(self, data: Any, context: Any, rng: random.Random) -> Any:
        return self._evaluate(data, context, rng)


def compile_template(template: Any, *, state: str, field: str) -> Template:
    evaluate, uses_context, static = _compile(template, state, field)
    return Template(evaluate, uses_context=uses_context, static=static)


def _compile(node: Any, state: str, field: str) -> tuple[Evaluator, bool, bool]:
    if isinstance(node, dict):
        parts: list[tuple[str, Evaluator]] = []
        uses_context = False
        static = True
        for key, value in node.items():
            if key.endswith(".$"):
                out_key = key[:-2]
                evaluate, ctx = _compile_dynamic(value, state, f"{field}.{key}")
                static = False
            else:
                out_key = key
                evaluate, ctx, sub_static = _compile(value, state, f"{field}.{key}")
                static = static and sub_static
            uses_context = uses_context or ctx
            parts.append((out_key, evaluate))
        if static:
            constant = node
            return (lambda data, context, rng: constant), False, True
        frozen = tuple(parts)

        def build_object(data: Any, context: Any, rng: random.Random) -> Any:
            return {key: evaluate(data, context, rng) for key, evaluate in frozen}

        return build_object, uses_context, False
    if isinstance(node, list):
        compiled = [_compile(item, state, f"{field}[{i}]") for i, item in enumerate(node)]
        if all(static for _, _, static in compiled):
            constant_list = node
            return (lambda data, context, rng: constant_list), False, True
        items = tuple(evaluate for evaluate, _, _ in compiled)

        def build_list(data: Any, context: Any, rng: random.Random) -> Any:
            return [evaluate(data, context, rng) for evaluate in items]

        return build_list, any(ctx for _, ctx, _ in compiled), False
    constant_value = node
    return (lambda data, context, rng: constant_value), False, True


def _compile_dynamic(expression: Any, state: str, field: str) -> tuple[Evaluator, bool]:
    """The value of a ``.$`` field: a path or an intrinsic function call."""
    if not isinstance(expression, str):
        raise DefinitionError("the value of a '.$' field must be a string path or intrinsic", state=state, field=field)
    if is_intrinsic(expression):
        try:
            intrinsic = parse_intrinsic(expression)
        except IntrinsicSyntaxError as exc:
            raise DefinitionError(str(exc), state=state, field=field) from None
        return intrinsic.evaluate, intrinsic.uses_context
    try:
        path = compile_path(expression)
    except PathSyntaxError as exc:
        raise DefinitionError(str(exc), state=state, field=field) from None
    field_name = field.rsplit(".", 2)[-2] + ".$" if "." in field else field
    if path.is_context:
        return (lambda data, context, rng: path.get(context, field=field_name)), True
    return (lambda data, context, rng: path.get(data, field=field_name)), False
