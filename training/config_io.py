"""Load a dataclass config from a preset name or a YAML/JSON file, apply `key=value` overrides, check every type.

Generic: any dataclass type in, an instance out. A file may start from a preset with a `preset: NAME` key.
Nested dataclass fields are reached with dotted keys (`optim.lr=1e-4`) or nested mappings in the file.
Every unknown or ill-typed field is collected and reported at once in a `ConfigError` that names them.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

T = TypeVar("T")
# A preset is a config instance (copied on use) or a function that makes one.
Presets = Mapping[str, Any]


class ConfigError(ValueError):
    """A config that cannot be used: unknown preset or file, unknown fields, or values of the wrong type."""


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null", "~", ""}


def coerce_value(value: Any, annotation: Any, from_text: bool) -> Any:
    """Return `value` as `annotation`, or raise ValueError saying what was expected.

    `from_text` means the value came from a `--set` string, so numbers and booleans are parsed from text.
    """
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and (value is None or (from_text and str(value).strip().lower() in _NONE)):
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return coerce_value(value, arg, from_text)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(" or ".join(errors))
    if origin is Literal:
        for choice in args:
            if value == choice or (from_text and str(value) == str(choice)):
                return choice
        raise ValueError(f"one of {', '.join(repr(a) for a in args)}")
    if origin in (list, tuple) or annotation in (list, tuple):
        items = value
        if isinstance(value, str):
            items = yaml.safe_load(value) if value.strip() else []
            if isinstance(items, str | int | float):
                items = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(items, Sequence) or isinstance(items, str):
            raise ValueError("a list")
        item_type = args[0] if args else Any
        coerced = [coerce_value(v, item_type, from_text or isinstance(value, str)) for v in items]
        return tuple(coerced) if origin is tuple or annotation is tuple else coerced
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if from_text and str(value).strip().lower() in _TRUE | _FALSE:
            return str(value).strip().lower() in _TRUE
        raise ValueError("true or false")
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip().replace("_", ""))
            except ValueError:
                pass
        raise ValueError("an integer")
    if annotation is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        # YAML reads `1e-4` (no dot) as a string, so a float field accepts numeric text from files too.
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise ValueError("a number")
    if annotation is str:
        if isinstance(value, str):
            return value
        if from_text:
            return str(value)
        raise ValueError("a string")
    if dataclasses.is_dataclass(annotation):
        raise ValueError("a mapping of fields (use dotted keys with --set)")
    raise ValueError(f"a value of type {annotation!r}, which config files cannot express")


def _field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}


def apply_mapping(instance: T, values: Mapping[str, Any], from_text: bool = False, prefix: str = "") -> T:
    """Return a copy of `instance` with `values` set (dotted keys or nested mappings); check every field."""
    types_by_name = _field_types(type(instance))
    changes: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    for key, value in values.items():
        head, _, rest = str(key).partition(".")
        name = f"{prefix}{head}"
        if head not in types_by_name:
            known = ", ".join(sorted(types_by_name))
            errors.append(f"unknown field '{prefix}{key}' (known fields: {known})")
            continue
        annotation = types_by_name[head]
        if dataclasses.is_dataclass(annotation):
            if rest:
                nested.setdefault(head, {})[rest] = value
            elif isinstance(value, Mapping):
                nested.setdefault(head, {}).update(value)
            else:
                errors.append(f"field '{name}' is a group of fields: set its members, e.g. {name}.FIELD=VALUE")
            continue
        if rest:
            errors.append(f"field '{name}' has no member '{rest}'")
            continue
        try:
            changes[head] = coerce_value(value, annotation, from_text)
        except ValueError as exc:
            errors.append(f"field '{name}' must be {exc}, got {value!r}")
    for head, sub in nested.items():
        try:
            changes[head] = apply_mapping(getattr(instance, head), sub, from_text, prefix=f"{prefix}{head}.")
        except ConfigError as exc:
            errors.extend(str(exc).removeprefix("invalid config: ").split("; "))
    if errors:
        raise ConfigError("invalid config: " + "; ".join(errors))
    try:
        return dataclasses.replace(instance, **changes)  # type: ignore[type-var]
    except (ValueError, TypeError) as exc:  # __post_init__ checks that span several fields
        raise ConfigError(f"invalid config: {exc}") from exc


def parse_overrides(overrides: Sequence[str]) -> dict[str, str]:
    """Turn `["lr=1e-4", "model=tiny"]` into a mapping; a string without '=' is an error that shows the form."""
    parsed: dict[str, str] = {}
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} is not of the form key=value (e.g. --set lr=1e-4)")
        parsed[key.strip()] = value
    return parsed


def read_config_file(path: Path) -> dict[str, Any]:
    """A YAML or JSON mapping from a file."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of field: value, not {type(data).__name__}")
    return data


def fresh_preset(preset: Any) -> Any:
    """A new config from a preset: call it when it is a factory, deep-copy it when it is an instance."""
    return copy.deepcopy(preset) if dataclasses.is_dataclass(preset) else preset()


def load_config(cls: type[T], spec: str | Path, presets: Presets, overrides: Sequence[str] = ()) -> T:
    """Build a `cls` from a preset name or a config file, then apply `key=value` overrides.

    A file may name a base preset with `preset: NAME`; fields it does not set come from that preset,
    else from the dataclass defaults.
    """
    spec_text = str(spec)
    if spec_text in presets:
        instance = fresh_preset(presets[spec_text])
        file_values: dict[str, Any] = {}
    else:
        path = Path(spec_text)
        if not path.is_file():
            names = ", ".join(sorted(presets))
            raise ConfigError(f"config {spec_text!r} is neither a preset ({names}) nor an existing YAML/JSON file")
        file_values = read_config_file(path)
        base = file_values.pop("preset", None)
        if base is not None and base not in presets:
            raise ConfigError(f"config file {path} names unknown preset {base!r} (known: {', '.join(sorted(presets))})")
        instance = fresh_preset(presets[base]) if base is not None else cls()
    if not isinstance(instance, cls):
        raise ConfigError(f"preset {spec_text!r} does not make a {cls.__name__}")
    instance = apply_mapping(instance, file_values)
    return apply_mapping(instance, parse_overrides(overrides), from_text=True)


def config_to_dict(instance: Any) -> dict[str, Any]:
    """A plain mapping (tuples as lists) that `apply_mapping` reads back to an equal config."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return plain(dataclasses.asdict(instance))


def save_config(instance: Any, path: Path) -> None:
    """Write the config as YAML (or JSON when the suffix is .json)."""
    data = config_to_dict(instance)
    text = json.dumps(data, indent=2) if path.suffix == ".json" else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
