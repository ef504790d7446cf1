"""Building a :class:`~.sections.Config` from a TOML file, a ``Config`` or the defaults, and keywords.

:func:`_build` turns TOML tables into the section dataclasses and refuses unknown keys, wrong types
and bad values with one sentence that names the key and what is allowed, so a mistake stops
start-up instead of surfacing as a wrong answer later.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError
from .sections import DEFAULT_CATEGORIES, Config

__all__ = ["load_config"]


def load_config(source: str | os.PathLike[str] | Config | None = None, /, **overrides: Any) -> Config:
    """Build a :class:`Config` from a TOML path, a ``Config``, or defaults, with keyword overrides.

    A keyword replaces that top-level key whole (as it would replace the TOML file's table) and is
    checked exactly as the same key in TOML: a table (dict) for a section is built into its
    dataclass, a section given as its dataclass is taken as it is, and the result is cross-checked.
    The other values of a ``Config`` source are taken as they are.

    Raises :class:`~consentgate.errors.ConfigError` with one sentence naming the key at fault.
    """
    base: Config | None = None
    if isinstance(source, Config):
        if not overrides:
            return source
        base, data = source, dict(overrides)
    else:
        data = _read(source) if source is not None else {}
        data.update(overrides)
    config: Config = _build(Config, _with_default_categories(data), "", base=base)
    return config


def _read(source: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist; pass an existing path.") from None
    except OSError as exc:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {exc.strerror}.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}.") from None


def _with_default_categories(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its ``categories`` table (if any) laid over the built-in categories."""
    categories = data.get("categories")
    if isinstance(categories, Mapping):
        # The built-in categories are always there; a site adds its own or relabels them.
        merged: dict[str, Any] = {name: dataclasses.asdict(c) for name, c in DEFAULT_CATEGORIES.items()}
        for name, value in categories.items():
            if isinstance(value, Mapping) and isinstance(merged.get(name), dict):
                merged[name] = {**merged[name], **value}
            else:
                merged[name] = value
        data["categories"] = merged
    return data


# --- the generic TOML -> dataclass builder -------------------------------------------------------


def _build(cls: type[Any], data: Any, where: str, *, base: Any = None) -> Any:
    """An instance of the dataclass ``cls`` from the table ``data`` found at ``where``.

    With ``base`` (an instance of ``cls``), the keys ``data`` lacks keep ``base``'s values.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{_name(where)} must be a table, not {type(data).__name__}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"unknown key {_join(where, unknown[0])!r}; allowed keys there are: {', '.join(sorted(fields))}."
        )
    kwargs = {name: _convert(hints[name], value, _join(where, name)) for name, value in data.items()}
    try:
        return cls(**kwargs) if base is None else dataclasses.replace(base, **kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:  # a section's own __post_init__ check
        raise ConfigError(f"{_name(where)}: {exc}") from None


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        return _build(hint, value, where)
    if origin is Literal:
        if value not in args:
            allowed = ", ".join(repr(a) for a in args)
            raise ConfigError(f"{where!r} is {value!r}; allowed values are {allowed}.")
        return value
    if origin in (types.UnionType, typing.Union):
        for arg in args:
            try:
                return _convert(arg, value, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where!r} has the wrong type: {_type_word(hint)} expected.")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where!r} must be a list, not {type(value).__name__}.")
        return tuple(_convert(args[0], item, f"{where}[{i}]") for i, item in enumerate(value))
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{where!r} must be a table, not {type(value).__name__}.")
        return {str(k): _convert(args[1], v, _join(where, str(k))) for k, v in value.items()}
    if hint is Any:
        return value
    if hint is bool or hint is str or hint is int or hint is float:
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if type(value) is not hint:
            raise ConfigError(f"{where!r} must be {_type_word(hint)}, not {type(value).__name__}.")
        return value
    if hint is type(None):
        if value is not None:
            raise ConfigError(f"{where!r} must be empty.")
        return None
    raise ConfigError(f"{where!r} has a type the loader does not know ({hint!r}).")  # pragma: no cover


def _type_word(hint: Any) -> str:
    words = {bool: "true or false", str: "a string", int: "a whole number", float: "a number"}
    return words.get(hint, str(hint))


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _name(where: str) -> str:
    return repr(where) if where else "the configuration"
