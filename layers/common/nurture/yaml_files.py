"""Reading the YAML files Nurture keeps as data (journeys, segments, the scoring model): one
parser, one way to say what is wrong with a file (pure)."""

from __future__ import annotations

from typing import Any


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load``, parsed by libyaml when PyYAML has it (its wheels do; about 7x faster on the
    catalogue, part of a cold start). The constructor is the same SafeConstructor, so the document is
    the same; a text libyaml refuses is parsed again by the pure-Python parser, whose answer (its error
    message quotes the line, with a caret) is the one given."""
    import yaml  # on first use: a function that reads no file never pays for it

    if yaml.__with_libyaml__:
        try:
            return yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def yaml_mapping(text: str, *, source: str, what: str, error: type[ValueError]) -> dict[str, Any]:
    """The file's document, which must be a mapping. Raises ``error`` naming ``source``: not YAML
    (the parser's message, quoting the line), or not a mapping (``what`` says what it should hold)."""
    import yaml

    try:
        document = parse_yaml(text)
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise error(f"{source}: {what}")
    return document
