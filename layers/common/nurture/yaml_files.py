"""Reading the YAML files Nurture keeps as data (journeys, segments, the scoring model): one
parser, one way to say what is wrong with a file (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


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


def describe_error(error: Mapping[str, Any], document: Mapping[str, Any], lists: tuple[str, ...]) -> str:
    """One pydantic error as ``behaviour.3 (viewed_product).event: …``: the path, with the id of the
    entry it is in when the entry is in one of ``lists`` (top-level lists of mappings with an ``id``)."""
    loc = [str(part) for part in error["loc"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not loc:
        return message
    if len(loc) >= 2 and loc[0] in lists and loc[1].isdigit():
        entries = document.get(loc[0])
        entry = entries[int(loc[1])] if isinstance(entries, list) and int(loc[1]) < len(entries) else None
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            loc[1] = f"{loc[1]} ({entry['id']})"
    return f"{'.'.join(loc)}: {message}"
