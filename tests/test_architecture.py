"""The direction of imports, held by a test: schemas <- encoders <- pipeline <- flows <- cli.

An AST walk over every module of the installed namespace (the repository folders `schemas/ encoders/
pipeline/ flows/` and `archreview/`): a module may import only its own layer or lower ones, nothing outside
`flows/` and the CLI imports Prefect, and nothing imports the bare folder names (`pipeline.x` instead of
`archreview.pipeline.x`), which work only from a checkout and collide with other distributions once installed.
Imports inside functions and under `if TYPE_CHECKING:` count too: an arrow is an arrow wherever it is written.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Layer:
    """One layer of the namespace: where its files are, what they install as, and its rank (0 = lowest)."""

    name: str  # as written in messages: "pipeline"
    folder: str  # relative to the repository root: "pipeline"
    package: str  # installed dotted name: "archreview.pipeline"
    rank: int  # a module may import layers of its own rank or lower


LAYERS = (
    Layer("schemas", "schemas", "archreview.schemas", 0),
    Layer("encoders", "encoders", "archreview.encoders", 1),
    Layer("pipeline", "pipeline", "archreview.pipeline", 2),
    Layer("flows", "flows", "archreview.flows", 3),
    Layer("cli", "archreview/cli", "archreview.cli", 4),
)
CLI = LAYERS[-1]
# The namespace root's own modules (`archreview/__init__.py`, `archreview/__main__.py`) sit with the CLI: the
# root package is what `python -m archreview` runs.
ROOT_PACKAGE = "archreview"
# Only these layers may import Prefect (and its integrations, `prefect_dask`, `prefect_ray`, ...).
PREFECT_LAYERS = frozenset({"flows", "cli"})
# The folder names that, imported bare, mean the checkout rather than the installed package.
BARE_NAMES = frozenset({"schemas", "encoders", "pipeline", "flows"})


def layer_of_module(dotted: str) -> Layer | None:
    """The layer an installed dotted name belongs to (`archreview.pipeline.review` -> pipeline), or None.

    Args:
        dotted: a fully qualified module name.
    Returns:
        The layer, the CLI layer for the namespace root itself (`archreview`, `archreview.__main__`), or None
        for anything not ours.
    """
    for layer in LAYERS:
        if dotted == layer.package or dotted.startswith(layer.package + "."):
            return layer
    if dotted == ROOT_PACKAGE or dotted.startswith(ROOT_PACKAGE + "."):
        return CLI
    return None


def module_name(root: Path, path: Path) -> tuple[str, Layer] | None:
    """The installed dotted name and layer of a source file under `root`, or None when it is not in a layer.

    Args:
        root: the repository root.
        path: a `.py` file under it.
    Returns:
        (`archreview.pipeline.analysis.source`, pipeline layer) for `root/pipeline/analysis/source.py`.
    """
    relative = path.relative_to(root)
    # The CLI folder lives inside archreview/: test the longest folders first.
    for layer in sorted(LAYERS, key=lambda item: -len(item.folder)):
        folder = Path(layer.folder)
        if relative.parts[: len(folder.parts)] == folder.parts:
            inner = relative.relative_to(folder).with_suffix("").parts
            parts = [*layer.package.split("."), *inner]
            break
    else:
        if relative.parts[:1] != (ROOT_PACKAGE,):
            return None
        parts = [*relative.with_suffix("").parts]
        layer = CLI
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts), layer


def _resolve_relative(importer: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute name of `from ..x import y` written in module `importer`."""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imported_names(tree: ast.AST, importer: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module name a source imports, with its line: `import`, `from ... import`, and literal dynamic imports.

    `from archreview.pipeline import review` yields `archreview.pipeline.review` (the submodule a name may be),
    so a layer is judged by the most precise name written.

    Args:
        tree: the parsed module.
        importer: its own dotted name (for relative imports).
        is_package: whether it is an `__init__.py` (relative imports then start from itself).
    Returns:
        (line, dotted name) pairs in source order.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_relative(importer, is_package, node.level, node.module) if node.level else node.module
            if not base:
                continue
            for alias in node.names:
                found.append((node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return sorted(found)


def check_source(relative: str, importer: str, layer: Layer, source: str) -> list[str]:
    """The import-direction violations of one module.

    Args:
        relative: its path as shown in messages ("pipeline/review.py").
        importer: its installed dotted name.
        layer: its layer.
        source: its text.
    Returns:
        One line a violation, "FILE:LINE imports NAME (why)"; empty when the module keeps to its layer.
    Raises:
        SyntaxError: the source does not parse.
    """
    tree = ast.parse(source, filename=relative)
    problems: list[str] = []
    for line, name in imported_names(tree, importer, relative.endswith("__init__.py")):
        top = name.split(".")[0]
        if top in BARE_NAMES:
            why = f"bare top-level name: write archreview.{name}, the installed package"
            problems.append(f"{relative}:{line} imports {name} ({why})")
            continue
        if (top == "prefect" or top.startswith("prefect_")) and layer.name not in PREFECT_LAYERS:
            problems.append(f"{relative}:{line} imports {name} (layer {layer.name} may not import prefect)")
            continue
        target = layer_of_module(name)
        if target is not None and target.rank > layer.rank:
            problems.append(f"{relative}:{line} imports {name} (layer {layer.name} may not import layer {target.name})")
    return problems


def check_tree(root: Path) -> list[str]:
    """The import-direction violations of every module under the layer folders of `root`.

    Args:
        root: a repository root (the real one, or a synthetic one in a test).
    Returns:
        Violations, one line each, sorted by file and line.
    """
    problems: list[str] = []
    files = {path for layer in LAYERS for path in (root / layer.folder).rglob("*.py")}
    files |= set((root / ROOT_PACKAGE).glob("*.py"))
    for path in sorted(files):
        named = module_name(root, path)
        if named is None:
            continue
        importer, layer = named
        relative = path.relative_to(root).as_posix()
        problems.extend(check_source(relative, importer, layer, path.read_text(encoding="utf-8")))
    return problems


# ---------------------------------------------------------------- the tests


def test_imports_point_one_way() -> None:
    """schemas <- encoders <- pipeline <- flows <- cli; Prefect only in flows and the CLI; no bare folder names."""
    modules = [path for layer in LAYERS for path in (REPO / layer.folder).rglob("*.py")]
    assert len(modules) > 50, "the layer folders were not found: the check would pass on nothing"
    problems = check_tree(REPO)
    assert not problems, f"{len(problems)} upward or bare imports:\n" + "\n".join(problems)


def _synthetic_repo(root: Path, files: dict[str, str]) -> Path:
    for layer in LAYERS:
        (root / layer.folder).mkdir(parents=True, exist_ok=True)
        (root / layer.folder / "__init__.py").write_text("", encoding="utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_the_check_catches_each_kind_of_wrong_arrow(tmp_path: Path) -> None:
    """A planted upward, relative-upward, Prefect, bare and dynamic import are each reported; downward ones are not."""
    root = _synthetic_repo(
        tmp_path,
        {
            "schemas/report.py": "from archreview.encoders.base import OcrEngine\n",
            "encoders/ocr.py": "import json\n\nfrom archreview.schemas import Code\n\n\ndef f():\n    import prefect\n",
            "pipeline/stage.py": (
                "from archreview.encoders import ocr\n"
                "from archreview.schemas.report import Report\n"
                "from pipeline.errors import InputError\n"
            ),
            "pipeline/analysis/__init__.py": "from ...flows import tasks\n",
            "pipeline/late.py": "import importlib\n\nimportlib.import_module('archreview.cli.main')\n",
            "flows/tasks.py": "from prefect import task\n\nfrom archreview.pipeline.stage import run\n",
            "archreview/cli/main.py": "from archreview.flows.tasks import task\nfrom archreview.pipeline import x\n",
            "archreview/__main__.py": "from archreview.cli import app\n",
        },
    )
    assert check_tree(root) == [
        "encoders/ocr.py:7 imports prefect (layer encoders may not import prefect)",
        "pipeline/analysis/__init__.py:1 imports archreview.flows.tasks (layer pipeline may not import layer flows)",
        "pipeline/late.py:3 imports archreview.cli.main (layer pipeline may not import layer cli)",
        "pipeline/stage.py:3 imports pipeline.errors.InputError "
        "(bare top-level name: write archreview.pipeline.errors.InputError, the installed package)",
        "schemas/report.py:1 imports archreview.encoders.base.OcrEngine (layer schemas may not import layer encoders)",
    ]


def test_module_names_follow_the_package_dir_mapping() -> None:
    """Files map to the names setuptools installs them as (pyproject's package-dir)."""
    cli_main = module_name(REPO, REPO / "archreview" / "cli" / "main.py")
    analysis = module_name(REPO, REPO / "pipeline" / "analysis" / "__init__.py")
    assert cli_main is not None and cli_main[0] == "archreview.cli.main" and cli_main[1].name == "cli"
    assert analysis is not None and analysis == ("archreview.pipeline.analysis", LAYERS[2])
    assert module_name(REPO, REPO / "tests" / "conftest.py") is None
