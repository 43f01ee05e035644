"""The command line's backend options, derived from the option models and declared once for every command.

A flag is a settings alias (`pipeline/settings.py`: `--ernie-model` is the alias `ernie_model`, which sets
`fusion.model`); its choices come from the option's `Literal` type or the backend kinds, its help and default
from the option's `Field`. `with_backend_options` adds the same flags to `review`, `batch`, `serve` and `doctor`.
README's options table is `options_table()`, checked by a test.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import typer
from pydantic.fields import FieldInfo

from archreview.pipeline.settings import (
    ALIASES,
    Settings,
    alias_env_name,
    backend_fields,
    default_kind,
    env_name,
)
from archreview.schemas import ReviewOptions

# The aliases that are also command-line flags (the flags of before the nested settings; every one kept).
BACKEND_FLAGS = (
    "fusion", "ernie_model", "quantize", "speech_backend", "speech_model", "language", "ocr", "ocr_lang", "device",
    "report_language", "endpoint", "model", "vision",
)
BACKEND_PARAMETER = "backend"  # the parameter a decorated command receives the flags in
PANEL = "Backend options"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class BackendFlags:
    """The backend flags a user gave (None = not given); `settings()` resolves them with the environment."""

    values: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        """Settings from the environment with these flags on top.

        Raises:
            SettingError: an unknown ARCHREVIEW_ variable, or a value an option refuses.
        """
        return Settings(**self.values)


@dataclass(frozen=True)
class _Target:
    field: str
    kind: str | None  # None: a top-level option
    option: str
    info: FieldInfo


def flag_name(alias: str) -> str:
    """The command-line flag of an alias: `ernie_model` -> `--ernie-model`."""
    return "--" + alias.replace("_", "-")


def _targets(alias: str) -> list[_Target]:
    """Every (kind, option) an alias sets, in declaration order."""
    found = []
    backends = backend_fields()
    for path in ALIASES[alias]:
        name, _, option = path.partition(".")
        if not option:
            found.append(_Target(name, None, name, ReviewOptions.model_fields[name]))
            continue
        for kind, model in backends[name].items():
            if option in model.model_fields:
                found.append(_Target(name, kind, option, model.model_fields[option]))
    return found


def _literal_choices(annotation: Any) -> tuple[str, ...] | None:
    """The values of a Literal (or an optional Literal); None for any other type."""
    if get_origin(annotation) is Literal:
        return tuple(str(value) for value in get_args(annotation))
    if get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
        literals = [arg for arg in get_args(annotation) if get_origin(arg) is Literal]
        if len(literals) == 1:
            return _literal_choices(literals[0])
    return None


def choices(alias: str) -> tuple[str, ...] | None:
    """The values a flag accepts: the backend kinds for a kind, the Literal's values, or None (free text)."""
    target = _targets(alias)[0]
    if target.option == "kind":
        return tuple(backend_fields()[target.field])
    return _literal_choices(target.info.annotation)


def _show(value: Any) -> str:
    if value is None:
        return "none"
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def default_text(alias: str) -> str:
    """The default of a flag as help and README show it, per backend kind where the kinds differ."""
    targets = _targets(alias)
    first = targets[0]
    if first.option == "kind":
        return default_kind(first.field)
    defaults: dict[str | None, str] = {}
    for target in targets:
        defaults.setdefault(target.kind, _show(target.info.get_default(call_default_factory=True)))
    if len(set(defaults.values())) == 1:
        return next(iter(defaults.values()))
    return "; ".join(f"{kind}: {value}" for kind, value in defaults.items())


def help_text(alias: str) -> str:
    """A flag's help: the option's description (per kind where they differ), the kinds it applies to, its variables."""
    targets = _targets(alias)
    descriptions: dict[str, list[str]] = {}
    for target in targets:
        descriptions.setdefault(target.info.description or "", []).append(target.kind or "")
    if len(descriptions) == 1:
        text = next(iter(descriptions))
    else:
        text = " ".join(f"{'/'.join(kinds)}: {description}" for description, kinds in descriptions.items())
    first = targets[0]
    if first.kind is not None and first.option != "kind":
        having = [target.kind for target in targets if target.field == first.field]
        if len(having) < len(backend_fields()[first.field]):  # say which kinds it applies to
            text += f" ({first.field} {', '.join(str(kind) for kind in having)} only)"
    variables = [env_name(path) for path in ALIASES[alias]] + [alias_env_name(alias)]
    return f"{text} (env: {', '.join(variables)})"  # not [...]: rich reads brackets as markup


def _is_switch(alias: str) -> bool:
    """Whether a flag is an on/off switch (`--vision/--no-vision`): its option is a bool."""
    return _targets(alias)[0].info.annotation is bool


def _annotation(alias: str) -> Any:
    if _is_switch(alias):
        return bool | None
    values = choices(alias)
    if values is None:
        return str | None
    literal: Any = Literal.__getitem__(values)  # type: ignore[attr-defined]  # the model's values, as a Literal
    return literal | None


def backend_parameters() -> list[inspect.Parameter]:
    """The typer parameters of the backend flags (keyword-only, default None = not given)."""
    parameters = []
    for alias in BACKEND_FLAGS:
        flag = flag_name(alias)
        declared = f"{flag}/--no-{flag.removeprefix('--')}" if _is_switch(alias) else flag
        option = typer.Option(declared, help=help_text(alias), show_default=default_text(alias), rich_help_panel=PANEL)
        parameters.append(
            inspect.Parameter(
                alias, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[_annotation(alias), option]
            )
        )
    return parameters


def with_backend_options(command: F) -> F:
    """Give a typer command the shared backend flags; it receives them as `backend: BackendFlags`.

    Args:
        command: a function with a keyword parameter named `backend`.

    Returns:
        The function typer should register: its signature has the flags in place of `backend`.

    Raises:
        TypeError: the command has no `backend` parameter.
    """
    signature = inspect.signature(command, eval_str=True)
    if BACKEND_PARAMETER not in signature.parameters:
        raise TypeError(f"{command.__name__} needs a {BACKEND_PARAMETER!r} parameter for the backend flags")
    kept = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
    kept = [p for p in kept if p.name != BACKEND_PARAMETER]
    # The flags go before --debug (or last), so a command's own options come first in its help.
    at = next((i for i, p in enumerate(kept) if p.name == "debug"), len(kept))
    parameters = kept[:at] + backend_parameters() + kept[at:]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        flags = {alias: kwargs.pop(alias) for alias in BACKEND_FLAGS}
        return command(**kwargs, **{BACKEND_PARAMETER: BackendFlags(flags)})

    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper  # type: ignore[return-value]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def options_table() -> str:
    """README's options table (Markdown): every option of every backend kind and every top-level option.

    Rows come from the option models: the option's path (and the kinds that have it), its flag and choices,
    its environment variables (nested name first, then aliases), its default and description.
    """
    flags = {path: alias for alias in BACKEND_FLAGS for path in ALIASES[alias]}
    aliases_of: dict[str, list[str]] = {}
    for alias, paths in ALIASES.items():
        for path in paths:
            aliases_of.setdefault(path, []).append(alias_env_name(alias))
    rows = ["| option | flag | environment | default | description |", "|---|---|---|---|---|"]

    def row(path: str, kinds: list[str], info: FieldInfo, default: str) -> None:
        name = f"`{path}`" + (f" ({', '.join(kinds)})" if kinds else "")
        alias = flags.get(path)
        flag = f"`{flag_name(alias)}`" if alias is not None else ""
        description = info.description or ""
        values = _literal_choices(info.annotation)
        if values is not None:
            description += f" One of: {', '.join(values)}."
        variables = ", ".join(f"`{v}`" for v in [env_name(path), *aliases_of.get(path, [])])
        rows.append(f"| {_cell(name)} | {_cell(flag)} | {variables} | `{_cell(default)}` | {_cell(description)} |")

    backends = backend_fields()
    for name, info in ReviewOptions.model_fields.items():
        if name not in backends:
            row(name, [], info, _show(info.get_default(call_default_factory=True)))
            continue
        kinds = backends[name]
        # One row an option; kinds that share an option with the same default and description share the row.
        merged: dict[tuple[str, str, str], tuple[list[str], FieldInfo]] = {}
        for kind, model in kinds.items():
            for option, option_info in model.model_fields.items():
                default = default_kind(name) if option == "kind" else _show(option_info.get_default())
                if option == "kind":  # one row for the kind, its choices the kinds
                    option_info = FieldInfo.merge_field_infos(
                        option_info,
                        annotation=Literal.__getitem__(tuple(kinds)),  # type: ignore[attr-defined]
                    )
                key = (option, default, option_info.description or "")
                merged.setdefault(key, ([], option_info))[0].append(kind)
        for (option, default, _), (having, option_info) in merged.items():
            shown = having if len(kinds) > 1 and option != "kind" else []
            row(f"{name}.{option}", shown, option_info, default)
    return "\n".join(rows) + "\n"
