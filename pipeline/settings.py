"""Settings: the option models of `ReviewOptions`, read from the environment and overridable from the CLI.

Nothing is declared twice: `Settings` *is* `ReviewOptions` (the same fields, kinds, choices and defaults)
read through pydantic-settings. Environment variables name the nested fields:

    ARCHREVIEW_FUSION__KIND=ernie  ARCHREVIEW_FUSION__MODEL=DIR  ARCHREVIEW_OCR__LANG=eng+chi_sim
    ARCHREVIEW_MAX_AUDIO_S=120

The flat names documented before the nested ones (ARCHREVIEW_FUSION, ARCHREVIEW_ERNIE_MODEL, ARCHREVIEW_DEVICE,
...) are kept as aliases, one table (`ALIASES`) mapping each onto its nested field(s). The command line's
backend flags (`--fusion`, `--ernie-model`, ...) are the same aliases, given as keyword arguments.

Precedence, lowest first: the models' defaults, alias variables, nested variables, keyword arguments (the CLI).
An alias that names an option the chosen backend kind lacks (ARCHREVIEW_ERNIE_MODEL with the analyzer fusion,
ARCHREVIEW_CPU_THREADS with openai-whisper) is ignored, as it always was; a nested variable that does so fails.
An unknown ARCHREVIEW_ variable or a bad value fails with one line naming the variable (`SettingError`).
"""

from __future__ import annotations

import difflib
import os
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from archreview.pipeline.errors import InputError
from archreview.schemas import ReviewOptions
from archreview.schemas.options import OptionsModel, option_kinds

ENV_PREFIX = "ARCHREVIEW_"
NESTED_DELIMITER = "__"

# Flat names kept from before the nested variables: ARCHREVIEW_<NAME> in the environment, <name>= as a keyword
# argument (the CLI's --<name> flags). Each maps onto one or more nested options ("field.option", or "field"
# for a top-level one).
ALIASES: dict[str, tuple[str, ...]] = {
    "fusion": ("fusion.kind",),
    "ernie_model": ("fusion.model",),
    "quantize": ("fusion.quantize",),
    "ernie_compile": ("fusion.compile",),
    "max_findings": ("fusion.max_findings",),
    "speech_backend": ("speech.kind",),
    "speech_model": ("speech.model",),
    "speech_language": ("speech.language",),
    "language": ("speech.language",),
    "cpu_threads": ("speech.cpu_threads",),
    "device": ("speech.device", "fusion.device", "ocr.device"),
    "ocr": ("ocr.kind",),
    "ocr_lang": ("ocr.lang",),
    "ocr_timeout_s": ("ocr.timeout_s",),
    "report_language": ("report_language",),
    "endpoint": ("fusion.endpoint", "ocr.endpoint"),
    "model": ("fusion.model", "ocr.model"),
    "vision": ("fusion.vision",),
}

# ARCHREVIEW_ variables that belong to the project's tooling, not to a review's settings.
TOOLING_VARIABLES = frozenset({"ARCHREVIEW_REGEN"})
TOOLING_PREFIXES = ("ARCHREVIEW_TEST_",)


class SettingError(InputError):
    """An unknown ARCHREVIEW_ variable, or a setting whose value its option refuses."""

    stage = "settings"
    code = "bad_setting"


def env_name(path: str) -> str:
    """The nested environment variable of an option path: `fusion.model` -> `ARCHREVIEW_FUSION__MODEL`."""
    return ENV_PREFIX + NESTED_DELIMITER.join(path.split(".")).upper()


def alias_env_name(alias: str) -> str:
    """The environment variable of an alias: `ernie_model` -> `ARCHREVIEW_ERNIE_MODEL`."""
    return ENV_PREFIX + alias.upper()


def backend_fields() -> dict[str, dict[str, type[OptionsModel]]]:
    """The fields of `ReviewOptions` that hold a backend's options: field -> (kind -> option model)."""
    found = {name: option_kinds(info.annotation) for name, info in ReviewOptions.model_fields.items()}
    # Field(discriminator=...) moves the Annotated metadata off the annotation; the union is what is left.
    return {name: kinds for name, kinds in found.items() if kinds}


def default_kind(field: str) -> str:
    """The backend kind `ReviewOptions()` has for a backend field, e.g. `analyzer` for `fusion`."""
    default = ReviewOptions.model_fields[field].get_default(call_default_factory=True)
    return str(default.kind)


def _accepts_none(info: FieldInfo) -> bool:
    annotation = info.annotation
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


@dataclass(frozen=True)
class _Assignment:
    """One value for one option, and where it came from."""

    field: str
    option: str | None  # None: a top-level field of ReviewOptions (max_audio_s, ...)
    value: Any
    origin: str  # the variable or flag a user would fix
    layer: int  # higher wins
    lenient: bool  # an alias: ignored where the chosen kind lacks the option


_ALIAS_LAYER, _NESTED_LAYER, _INIT_LAYER = 0, 1, 2


def _alias_assignments(alias: str, value: Any, origin: str, layer: int) -> list[_Assignment]:
    assignments = []
    for target in ALIASES[alias]:
        field, _, option = target.partition(".")
        assignments.append(_Assignment(field, option or None, value, origin, layer, lenient=True))
    return assignments


def _read_environment(environ: Mapping[str, str]) -> list[_Assignment]:
    """Every ARCHREVIEW_ variable as assignments; raises SettingError for one that names nothing."""
    aliases = {alias_env_name(alias): alias for alias in ALIASES}
    fields = set(ReviewOptions.model_fields)
    assignments: list[_Assignment] = []
    for raw_name, value in sorted(environ.items()):
        name = raw_name.upper()  # case-insensitive, as pydantic-settings is by default
        if not name.startswith(ENV_PREFIX) or name in TOOLING_VARIABLES or name.startswith(TOOLING_PREFIXES):
            continue
        if name in aliases:
            assignments += _alias_assignments(aliases[name], value, raw_name, _ALIAS_LAYER)
            continue
        parts = name[len(ENV_PREFIX) :].lower().split(NESTED_DELIMITER)
        if len(parts) == 1 and parts[0] in fields and parts[0] not in backend_fields():
            assignments.append(_Assignment(parts[0], None, value, raw_name, _NESTED_LAYER, lenient=False))
        elif len(parts) == 2 and parts[0] in backend_fields():
            assignments.append(_Assignment(parts[0], parts[1], value, raw_name, _NESTED_LAYER, lenient=False))
        else:
            # Compared without the shared prefix, which would make every name look close.
            suffixes = [known[len(ENV_PREFIX) :] for known in known_variables()]
            close = difflib.get_close_matches(name[len(ENV_PREFIX) :], suffixes, n=1, cutoff=0.75)
            hint = f"did you mean {ENV_PREFIX}{close[0]}? " if close else ""
            raise SettingError(
                f"unknown environment variable {raw_name}: {hint}names are {ENV_PREFIX}<FIELD>{NESTED_DELIMITER}"
                f"<OPTION> (e.g. {env_name('fusion.kind')}), top-level ones (e.g. {env_name('max_audio_s')}) or "
                "the aliases that README's options table lists"
            )
    return assignments


def known_variables() -> list[str]:
    """Every ARCHREVIEW_ variable a review reads: nested names of every kind's options, top-level ones, aliases."""
    names = {alias_env_name(alias) for alias in ALIASES}
    backends = backend_fields()
    for field in ReviewOptions.model_fields:
        if field not in backends:
            names.add(env_name(field))
            continue
        for model in backends[field].values():
            names.update(env_name(f"{field}.{option}") for option in model.model_fields)
    return sorted(names)


def _read_arguments(arguments: Mapping[str, Any]) -> list[_Assignment]:
    """Keyword arguments as assignments: alias names (the CLI's flags), option models, dicts or top-level values."""
    assignments: list[_Assignment] = []
    backends = backend_fields()
    for name, value in arguments.items():
        if value is None:  # a flag not given
            continue
        origin = f"--{name.replace('_', '-')}"
        if name in backends and isinstance(value, (BaseModel, Mapping)):
            given = dict(value) if isinstance(value, Mapping) else value.model_dump(exclude_unset=True)
            if isinstance(value, BaseModel):
                given["kind"] = value.kind  # type: ignore[attr-defined]  # exclude_unset drops a defaulted kind
            for option, item in given.items():
                assignments.append(_Assignment(name, option, item, origin, _INIT_LAYER, lenient=False))
        elif name in ALIASES:
            assignments += _alias_assignments(name, value, origin, _INIT_LAYER)
        elif name in ReviewOptions.model_fields:
            assignments.append(_Assignment(name, None, value, origin, _INIT_LAYER, lenient=False))
        else:
            raise SettingError(f"unknown setting {name!r} (known: {', '.join(sorted({*ALIASES, *backends}))}, ...)")
    return assignments


def _resolve(assignments: list[_Assignment]) -> tuple[dict[str, Any], dict[tuple[str, str | None], _Assignment]]:
    """The ReviewOptions data the assignments give, and the assignment behind each value (for error messages)."""
    backends = backend_fields()
    ordered = sorted(assignments, key=lambda a: a.layer)  # stable: within a layer, the given order
    chosen: dict[str, tuple[str, int]] = {}
    for a in ordered:
        if a.option == "kind":
            chosen[a.field] = (str(a.value), a.layer)
    data: dict[str, Any] = {}
    used: dict[tuple[str, str | None], _Assignment] = {}
    for a in ordered:
        value = a.value
        if a.option is None:
            if value == "" and a.layer < _INIT_LAYER:
                continue  # an empty variable: not set
            data[a.field] = value
            used[(a.field, None)] = a
            continue
        kind, kind_layer = chosen.get(a.field, (default_kind(a.field), -1))
        model = backends[a.field].get(kind)
        if model is not None:
            info = model.model_fields.get(a.option)
            if info is None:
                # Options of another kind are ignored when they come from an alias, or when a later layer chose
                # the kind (ARCHREVIEW_FUSION__MODEL set for ernie, --fusion analyzer given): never silently else.
                if a.lenient or kind_layer > a.layer:
                    continue
                raise SettingError(
                    f"{a.origin}: {a.field} kind {kind!r} has no option {a.option!r} "
                    f"(its options: {', '.join(model.model_fields)})"
                )
            if value == "" and a.layer < _INIT_LAYER:
                # An empty variable means "none" where the option takes none (ARCHREVIEW_SPEECH__LANGUAGE= : detect),
                # else "not set" (ARCHREVIEW_SPEECH_MODEL= keeps openai-whisper's tiny.en, as it always did).
                if not _accepts_none(info):
                    continue
                value = None
        data.setdefault(a.field, {})[a.option] = value
        used[(a.field, a.option)] = a
    for field in backends:
        if field in data:
            data[field].setdefault("kind", chosen.get(field, (default_kind(field), -1))[0])
    return data, used


def _one_line(error: ValidationError, used: dict[tuple[str, str | None], _Assignment]) -> str:
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    field = loc[0] if loc else ""
    option: str | None = None
    if field in backend_fields():
        if first["type"].startswith("union_tag") or len(loc) == 1:
            option = "kind"
        else:
            option = loc[2] if len(loc) > 2 else loc[1]  # loc[1] is the union's tag when there is one
    assignment = used.get((field, option))
    where = f"{field}.{option}" if option else field
    if assignment is None:
        return f"invalid setting {where}: {first['msg']}"
    return f"invalid setting {assignment.origin}={assignment.value!r} ({where}): {first['msg']}"


class _OptionsSource(PydanticBaseSettingsSource):
    """The only settings source: environment variables and keyword arguments, resolved together.

    One source, not pydantic-settings' usual stack, because an alias's meaning depends on the backend kind the
    other layers choose (ARCHREVIEW_ERNIE_MODEL applies once --fusion ernie is given).
    """

    def __init__(self, settings_cls: type[BaseSettings], arguments: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self.arguments = dict(arguments)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: `__call__` reads every field at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """The resolved ReviewOptions data; raises SettingError with one line naming the variable or flag."""
        data, used = _resolve(_read_environment(os.environ) + _read_arguments(self.arguments))
        try:
            ReviewOptions.model_validate(data)
        except ValidationError as e:
            raise SettingError(_one_line(e, used)) from e
        return data


class Settings(BaseSettings, ReviewOptions):
    """Every option of a review (the fields of ReviewOptions), read from ARCHREVIEW_ variables and keyword arguments.

    Keyword arguments are the CLI's: alias names (`fusion="ernie"`, `device="cuda"`, `None` = not given),
    option models or dicts for a backend field (`speech=OpenAIWhisperOptions()`), top-level values.

    Raises:
        SettingError: an unknown ARCHREVIEW_ variable or keyword, or a value its option refuses (one line).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter=NESTED_DELIMITER, extra="forbid", frozen=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Replace pydantic-settings' sources with the one that resolves aliases against the chosen kinds."""
        arguments = getattr(init_settings, "init_kwargs", {})
        return (_OptionsSource(settings_cls, arguments),)

    def review_options(self) -> ReviewOptions:
        """These settings as plain ReviewOptions (what the pipeline takes and the report id hashes)."""
        return ReviewOptions.model_validate({name: getattr(self, name) for name in ReviewOptions.model_fields})
