"""Components (classes, interfaces, functions, methods) and the dependencies between them.

Components come from the parser's outline; dependencies are read from the
comment-free, string-masked lines with regular expressions, which keeps them
available when OCR slips break the syntax.
"""

from __future__ import annotations

import re

from archreview.pipeline.analysis.outline import DEFINITION_KINDS, Block, Outline
from archreview.pipeline.analysis.source import Source
from archreview.schemas import Architecture, Component, Dependency

MODULE = "<module>"  # the source of dependencies made at module level (imports)

_PY_IMPORT = re.compile(r"^\s*import\s+([\w.]+(?:\s*,\s*[\w.]+)*)")
_PY_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\b")
_JS_IMPORT = re.compile(r"""^\s*import\b[^'"]*['"]([^'"]+)['"]""")
_JS_REQUIRE = re.compile(r"""\brequire\(\s*['"]([^'"]+)['"]\s*\)""")
_JAVA_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+(?:\.\*)?)\s*;?")
_NEW = re.compile(r"\bnew\s+([A-Z]\w*)\s*[(<]")
_PY_CALL = re.compile(r"(?<![.\w])([A-Za-z_]\w*)\s*\(")
_MEMBER_CALL = re.compile(r"\b(?:self|this)\.([A-Za-z_]\w*)\s*\(")
_PY_GLOBAL = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)")
_JS_GLOBAL = re.compile(r"^(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=")


def qualified_name(block: Block) -> str:
    """`Owner.method` for methods, the plain name otherwise."""
    return f"{block.owner}.{block.name}" if block.owner else block.name


def named_definitions(outline: Outline) -> list[Block]:
    """Classes, interfaces, functions and methods that have a name."""
    return [b for b in outline.blocks if b.kind in DEFINITION_KINDS and b.name]


def module_globals(source: Source) -> dict[str, int]:
    """Module-level variables (Python/JS top-level assignments) and their line."""
    found: dict[str, int] = {}
    for line in source.lines:
        if line.masked[:1].isspace() or not line.masked:
            continue
        pattern = _PY_GLOBAL if source.is_python else _JS_GLOBAL
        match = pattern.match(line.masked)
        if match and match.group(1) not in found:
            found[match.group(1)] = line.number
    return found


def extract_architecture(source: Source, outline: Outline) -> Architecture:
    """The code's components and their dependencies.

    Args:
        source: The lexed code.
        outline: Its parsed structure.

    Returns:
        Components with shown line spans, and import/inherits/instantiates/call/
        uses-global dependencies between them.
    """
    definitions = named_definitions(outline)
    components = [
        Component(name=qualified_name(b), kind=b.kind, line_start=b.start, line_end=b.end)
        for b in definitions
    ]
    dependencies: dict[tuple[str, str, str], Dependency] = {}

    def add(src: str, target: str, kind: str) -> None:
        if src and target and src != target:
            dependencies.setdefault((src, target, kind), Dependency(source=src, target=target, kind=kind))

    for module in _imports(source):
        add(MODULE, module, "import")
    classes = {b.name for b in definitions if b.kind in ("class", "interface")}
    functions = {b.name: qualified_name(b) for b in definitions if b.kind == "function"}
    methods = {(b.owner, b.name): qualified_name(b) for b in definitions if b.kind == "method"}
    for block in definitions:
        for base in block.bases:
            add(block.name, base, "inherits")
    globals_ = module_globals(source)
    for line in source.lines:
        owner = _innermost_definition(outline, line.number)
        if owner is None or line.number == owner.decorator_start and owner.kind != "method":
            continue
        name = qualified_name(owner)
        enclosing_class = outline.class_at(line.number)
        for match in _NEW.finditer(line.masked):
            add(name, match.group(1), "instantiates")
        for match in _PY_CALL.finditer(line.masked):
            callee = match.group(1)
            if callee in classes or (
                source.is_python and callee[:1].isupper() and not callee.endswith(("Error", "Exception"))
            ):
                add(name, callee, "instantiates")
            elif callee in functions and line.number != owner.start:
                add(name, functions[callee], "call")
        for match in _MEMBER_CALL.finditer(line.masked):
            if enclosing_class and (enclosing_class.name, match.group(1)) in methods:
                add(name, methods[(enclosing_class.name, match.group(1))], "call")
        if enclosing_class is not None:
            for variable, defined_at in globals_.items():
                if defined_at != line.number and re.search(
                    rf"(?<![.\w]){re.escape(variable)}\b", line.masked
                ):
                    add(enclosing_class.name, variable, "uses-global")
    return Architecture(components=components, dependencies=list(dependencies.values()))


def _innermost_definition(outline: Outline, line: int) -> Block | None:
    found = [b for b in outline.enclosing(line, *DEFINITION_KINDS) if b.name]
    return found[0] if found else None


def _imports(source: Source) -> list[str]:
    modules: list[str] = []
    for line in source.lines:
        code = line.code
        if source.is_python:
            match = _PY_FROM_IMPORT.match(code)
            if match:
                modules.append(match.group(1))
                continue
            match = _PY_IMPORT.match(code)
            if match:
                modules += [m.strip() for m in match.group(1).split(",")]
        elif source.is_java:
            match = _JAVA_IMPORT.match(code)
            if match:
                modules.append(match.group(1))
        else:
            match = _JS_IMPORT.match(code)
            if match:
                modules.append(match.group(1))
            modules += _JS_REQUIRE.findall(code)
    return list(dict.fromkeys(modules))
