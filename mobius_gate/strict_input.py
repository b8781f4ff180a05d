"""Reading YAML and JSON a user hands us, strictly: every problem is one :class:`InputError` with a line.

Shared by the checklist loader and the snapshot loader. Beyond what PyYAML and
:mod:`json` check, this refuses what would otherwise be read silently wrong or
crash with a traceback:

* bytes that are not UTF-8 (binary junk, UTF-16/32 with or without a BOM);
* NUL and other control characters (PyYAML's ``ReaderError`` carries no line);
* a key given twice in one mapping (PyYAML and :mod:`json` keep the last one);
* nesting deeper than :data:`MAX_DEPTH` (the parsers recurse: 5 000 levels is a
  ``RecursionError``).
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

import yaml

#: Deepest nesting accepted; real checklists and Cloud Run exports stay under 20.
MAX_DEPTH = 64

_BRACKETS = re.compile(r"[\[\]{}]")
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class InputError(Exception):
    """Unusable input; ``line`` is 1-based when known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line

    def where(self, path: object) -> str:
        """``path:line: problem`` (``path: problem`` without a line)."""
        return f"{path}{f':{self.line}' if self.line else ''}: {self.problem}"


def decode_utf8(data: bytes) -> str:
    """The text of a UTF-8 file; anything else (binary, UTF-16, NUL bytes) is an :class:`InputError`."""
    if data.startswith(_WIDE_BOMS):
        raise InputError("UTF-16/UTF-32 text (byte order mark): save the file as UTF-8", 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError("NUL byte: binary data or UTF-16 text, expected UTF-8 text", data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not UTF-8 text (byte 0x{data[exc.start]:02x}): binary data?", line) from None


class _Strict:
    """Refuses a key repeated in one mapping, and names the line of an impossible date."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (first at line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        """``0x_`` or an integer of 5000 digits is a marked error naming its line, not a bare ``ValueError``.

        The value itself is not repeated: it may be a credential that only looks like a number.
        """
        try:
            return super().construct_yaml_int(node)  # type: ignore[misc]
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, "an integer that cannot be read (no digits, or more than Python converts)", node.start_mark
            ) from None

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """``2026-02-30`` is a marked error naming its line, not a bare ``ValueError`` from :mod:`datetime`."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark
            ) from None


class StrictLoader(_Strict, yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's pure-Python safe loader, strict: its error marks are the ones users are shown."""


class FastStrictLoader(_Strict, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same over libyaml's parser (about 8x faster), for input that is well formed."""


for _loader in (StrictLoader, FastStrictLoader):
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _Strict.construct_yaml_timestamp)
    _loader.add_constructor("tag:yaml.org,2002:int", _Strict.construct_yaml_int)

_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
#: Characters around which libyaml is laxer than PyYAML: such text is read by PyYAML alone.
_LIBYAML_LAXER = re.compile("[\t?\ufeff]")


def yaml_documents(text: str) -> list[tuple[yaml.Node, Any]]:
    """(node, data) for every document in ``text``; any problem → :class:`InputError`.

    Read with libyaml first; input it refuses is read again by the pure-Python parser,
    whose messages and lines (an unclosed ``[`` at its own line, not at the end of the
    file) are the ones reported. Text with what libyaml accepts and PyYAML refuses (tabs
    as spacing, ``?`` in a flow collection, a byte order mark past the start) goes to
    PyYAML directly, so the fast path never accepts more than before.
    """
    _check_flow_depth(text)
    if _LIBYAML and not _LIBYAML_LAXER.search(text):
        try:
            return _documents(text, FastStrictLoader)
        except Exception:  # whatever libyaml refuses, PyYAML decides and words the error
            pass
    return _documents(text, StrictLoader)


def _documents(text: str, loader_class: type[yaml.SafeLoader]) -> list[tuple[yaml.Node, Any]]:
    loader = None
    try:
        loader = loader_class(text)  # the pure-Python reader checks for control characters right away
        documents = []
        while loader.check_node():
            node = loader.get_node()
            documents.append((node, loader.construct_document(node)))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(f"invalid YAML: {exc.problem or exc}", mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise InputError(f"control character #x{exc.character:02x} is not allowed in YAML", line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise InputError(f"invalid YAML: nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, UnicodeError) as exc:  # e.g. "\U00110000": no such character
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    finally:
        if loader is not None:
            loader.dispose()
    for node, data in documents:
        check_depth(data, node.start_mark.line + 1)
    return documents


def _check_flow_depth(text: str) -> None:
    """Refuse deep ``[[[...`` / ``{{{...`` before PyYAML, whose scanner is quadratic in that depth.

    Brackets inside quoted strings count too: only 65 unclosed ones in strings could mislead it.
    """
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_DEPTH:
            raise InputError(
                f"invalid YAML: nested more than {MAX_DEPTH} levels deep", text.count("\n", 0, match.start()) + 1
            )


def json_document(text: str) -> Any:
    """The JSON value in ``text``; syntax errors, repeated keys and deep nesting → :class:`InputError`."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    except ValueError as exc:  # from _unique_keys
        raise InputError(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"invalid JSON: nested more than {MAX_DEPTH} levels deep") from None
    check_depth(data, 1)
    return data


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"duplicate key {key!r} in an object")
        data[key] = value
    return data


def check_depth(data: Any, line: int | None = None, limit: int = MAX_DEPTH) -> None:
    """:class:`InputError` when lists/mappings nest deeper than ``limit``.

    Iterative (no recursion to overflow); a container shared through YAML
    aliases is walked once, so "billion laughs" input costs its size, not its expansion.
    """
    stack: list[tuple[Any, int]] = [(data, 1)]
    seen: set[int] = set()
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, dict | list) or id(item) in seen:
            continue
        if depth > limit:
            raise InputError(f"nested more than {limit} levels deep", line)
        seen.add(id(item))
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
