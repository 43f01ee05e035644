"""Read the code's structure: Python `ast`, else tree-sitter, else line heuristics.

`ast` is exact but all-or-nothing; tree-sitter recovers from the syntax errors
that OCR slips cause (a lost colon or bracket); the line heuristics keep the
analyzer useful when neither is available or usable.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cache
from typing import Any

from archreview.pipeline.analysis.outline import Block, BlockKind, Outline
from archreview.pipeline.analysis.source import JAVA, JAVASCRIPT, PYTHON, TYPESCRIPT, Source

_SKIPPED_PARAMS = frozenset({"self", "cls", "this"})
_ITERATION_METHODS = frozenset(
    {"forEach", "map", "filter", "reduce", "flatMap", "some", "every", "find", "findIndex"}
)


def parse_outline(source: Source) -> Outline:
    """The structure of `source`, from the best parser that can read it.

    Args:
        source: The lexed code.

    Returns:
        Its blocks, which parser produced them and how many syntax errors it skipped.
    """
    if source.is_python:
        outline = _ast_outline(source)
        if outline is not None:
            return outline
    try:
        outline = _tree_sitter_outline(source)
    except (ImportError, ValueError, RuntimeError):
        # An optional grammar missing or failing must not stop the review.
        outline = None
    if outline is not None:
        return outline
    return _line_outline(source)


# -- Python ast -------------------------------------------------------------


def _ast_outline(source: Source) -> Outline | None:
    try:
        with warnings.catch_warnings():
            # OCR text often holds odd literals (`1l`, `\d`); their warnings are noise here.
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source.normalized_text)
    except (SyntaxError, ValueError):
        return None
    offset = source.first_line - 1
    blocks: list[Block] = []

    def header(line: int) -> str:
        shown = source.line(line)
        return shown.code if shown else ""

    def visit(node: ast.AST, owner: str) -> None:
        for child in ast.iter_child_nodes(node):
            lineno: int = getattr(child, "lineno", 0) or 0
            start = lineno + offset
            end = (getattr(child, "end_lineno", None) or lineno) + offset
            if isinstance(child, ast.ClassDef):
                blocks.append(Block(
                    "class", start, end, child.name, header(start),
                    bases=tuple(ast.unparse(base) for base in child.bases),
                    decorator_start=min([d.lineno + offset for d in child.decorator_list] + [start]),
                ))
                visit(child, child.name)
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [a.arg for a in child.args.posonlyargs + child.args.args + child.args.kwonlyargs]
                modifiers = []
                if isinstance(child, ast.AsyncFunctionDef):
                    modifiers.append("async")
                if owner and child.name == "__init__":
                    modifiers.append("constructor")
                if any(_decorator_name(d) == "staticmethod" for d in child.decorator_list):
                    modifiers.append("static")
                blocks.append(Block(
                    "method" if owner else "function", start, end, child.name, header(start),
                    params=tuple(n for n in names if n not in _SKIPPED_PARAMS),
                    modifiers=tuple(modifiers), owner=owner,
                    decorator_start=min([d.lineno + offset for d in child.decorator_list] + [start]),
                ))
                visit(child, "")
                continue
            kind: BlockKind | None = None
            modifiers = []
            if isinstance(child, (ast.For, ast.AsyncFor, ast.While)):
                kind = "loop"
            elif isinstance(child, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                kind, modifiers = "loop", ["inline"]
            elif isinstance(child, ast.Try):
                kind = "try"
            elif isinstance(child, ast.ExceptHandler):
                kind = "handler"
            elif isinstance(child, (ast.With, ast.AsyncWith)):
                kind = "with"
            if kind is not None:
                blocks.append(Block(kind, start, end, header=header(start), modifiers=tuple(modifiers)))
            visit(child, owner if kind is None else "")

    visit(tree, "")
    blocks.sort(key=lambda b: (b.start, -b.end))
    return Outline(blocks=blocks, parser="ast", parse_errors=0)


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


# -- tree-sitter --------------------------------------------------------------

_TS_KINDS: dict[str, dict[str, BlockKind]] = {
    PYTHON: {
        "class_definition": "class",
        "function_definition": "function",
        "for_statement": "loop",
        "while_statement": "loop",
        "list_comprehension": "loop",
        "set_comprehension": "loop",
        "dictionary_comprehension": "loop",
        "generator_expression": "loop",
        "try_statement": "try",
        "except_clause": "handler",
        "with_statement": "with",
    },
    JAVASCRIPT: {
        "class_declaration": "class",
        "class": "class",
        "abstract_class_declaration": "class",
        "interface_declaration": "interface",
        "function_declaration": "function",
        "generator_function_declaration": "function",
        "function_expression": "function",
        "function": "function",
        "arrow_function": "function",
        "method_definition": "method",
        "for_statement": "loop",
        "for_in_statement": "loop",
        "while_statement": "loop",
        "do_statement": "loop",
        "try_statement": "try",
        "catch_clause": "handler",
    },
    JAVA: {
        "class_declaration": "class",
        "enum_declaration": "class",
        "record_declaration": "class",
        "interface_declaration": "interface",
        "method_declaration": "method",
        "constructor_declaration": "method",
        "for_statement": "loop",
        "enhanced_for_statement": "loop",
        "while_statement": "loop",
        "do_statement": "loop",
        "try_statement": "try",
        "try_with_resources_statement": "try",
        "catch_clause": "handler",
        "synchronized_statement": "synchronized",
    },
}
_TS_KINDS[TYPESCRIPT] = _TS_KINDS[JAVASCRIPT]
_INLINE_LOOPS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)


@cache
def _ts_parser(language: str) -> Any:
    """A tree-sitter parser for `language` (built once a process)."""
    import tree_sitter

    if language == PYTHON:
        import tree_sitter_python as grammar

        lang = tree_sitter.Language(grammar.language())
    elif language == JAVA:
        import tree_sitter_java as grammar_java

        lang = tree_sitter.Language(grammar_java.language())
    elif language == TYPESCRIPT:
        import tree_sitter_typescript as grammar_ts

        lang = tree_sitter.Language(grammar_ts.language_tsx())
    else:
        import tree_sitter_javascript as grammar_js

        lang = tree_sitter.Language(grammar_js.language())
    return tree_sitter.Parser(lang)


def _tree_sitter_outline(source: Source) -> Outline | None:
    language = source.language
    if language not in _TS_KINDS:
        return None
    parser = _ts_parser(language)
    tree = parser.parse((_missing_openers(source) + source.normalized_text + _missing_closers(source)).encode("utf-8"))
    kinds = _TS_KINDS[language]
    offset = source.first_line
    blocks: list[Block] = []
    errors = 0

    def text(node: Any) -> str:
        return bytes(node.text or b"").decode("utf-8", "replace")

    def header(line: int) -> str:
        shown = source.line(line)
        return shown.code if shown else ""

    def walk(node: Any, owner: str) -> None:
        nonlocal errors
        if node.type == "ERROR" or node.is_missing:
            errors += 1
        kind = kinds.get(node.type)
        child_owner = owner
        iteration = node.type in ("call_expression", "method_invocation") and _is_iteration_call(node, text)
        if kind is None and iteration:
            start = node.start_point[0] + offset
            blocks.append(Block("loop", start, node.end_point[0] + offset,
                                header=header(start), modifiers=("inline",)))
        if kind is not None:
            block = _ts_block(node, kind, owner, language, offset, text, header)
            blocks.append(block)
            if kind in ("class", "interface"):
                child_owner = block.name or owner
            elif kind in ("function", "method"):
                child_owner = ""
        for child in node.children:
            walk(child, child_owner)

    walk(tree.root_node, "")
    last = source.last_line
    blocks = [block if block.end <= last else replace(block, end=last) for block in blocks]  # not the closers
    blocks.sort(key=lambda b: (b.start, -b.end))
    return Outline(blocks=blocks, parser=f"tree-sitter-{language}", parse_errors=errors)


def _missing_openers(source: Source) -> str:
    """Opening braces for the blocks a window begins inside (a screenshot that starts at a method's `} catch (E e) {`
    or its last lines), put before the first line's text so that no line moves: `try {` for a brace followed by
    `catch`/`finally`, `{` for any other. The parser then sees the catch as a handler instead of an error."""
    if not source.uses_braces:
        return ""
    openers: list[str] = []
    depth = 0
    lines = source.lines
    for index, line in enumerate(lines):
        for column, ch in enumerate(line.masked):
            if ch == "{":
                depth += 1
            elif ch == "}":
                if depth > 0:
                    depth -= 1
                    continue
                rest = line.masked[column + 1:].strip()
                if not rest:
                    rest = next((later.masked.strip() for later in lines[index + 1:] if later.masked.strip()), "")
                openers.append("try {" if re.match(r"(?:catch|finally)\b", rest) else "{")
    # Only what a cut `try` needs: the braces closed before its `} catch`, and the `try` itself. Braces closed after
    # it (the method's, the class's) stay unmatched, as the parser already reads members after a stray `}`.
    if "try {" not in openers:
        return ""
    openers = openers[: len(openers) - openers[::-1].index("try {")]
    return " ".join(reversed(openers)) + " "


def _missing_closers(source: Source) -> str:
    """Closing braces for the blocks still open at the last line shown (a screenshot cut inside a method), on a
    line after it, so the parser sees the method whole instead of an error; blocks are cut back to the lines shown.
    """
    depth = 0
    for line in source.lines:
        depth = max(0, depth + line.masked.count("{") - line.masked.count("}"))
    return "\n" + "}" * depth if depth and source.uses_braces else ""


def _is_iteration_call(node: Any, text: Callable[[Any], str]) -> bool:
    """`xs.forEach(x => ...)`, `xs.map(function ...)`: a loop in disguise."""
    callee = node.child_by_field_name("function") or node.child_by_field_name("name")
    if callee is None:
        return False
    name = text(callee).rsplit(".", 1)[-1]
    if name not in _ITERATION_METHODS:
        return False
    args = node.child_by_field_name("arguments")
    return args is not None and any(
        child.type in ("arrow_function", "function_expression", "function", "lambda_expression")
        for child in args.named_children
    )


def _ts_block(
    node: Any,
    kind: BlockKind,
    owner: str,
    language: str,
    offset: int,
    text: Callable[[Any], str],
    header: Callable[[int], str],
) -> Block:
    name_node = node.child_by_field_name("name")
    name = text(name_node) if name_node is not None else ""
    if not name and kind == "function" and node.parent is not None:
        parent = node.parent
        target = parent.child_by_field_name("name") or parent.child_by_field_name("key") or (
            parent.child_by_field_name("left")
        )
        if target is not None and parent.type in (
            "variable_declarator", "pair", "assignment_expression", "public_field_definition",
            "field_definition",
        ):
            name = text(target).rsplit(".", 1)[-1]
    start_row = (name_node.start_point[0] if name_node is not None else node.start_point[0])
    if kind not in ("class", "interface", "function", "method"):
        start_row = node.start_point[0]
    decorator_row = node.start_point[0]
    if node.parent is not None and node.parent.type == "decorated_definition":
        decorator_row = node.parent.start_point[0]
    modifiers: list[str] = []
    for child in node.children:
        if child.type == "async":
            modifiers.append("async")
        if child.type == "modifiers":
            modifiers += [m.type for m in child.children if m.type.isalpha()]
        if child.type in ("static", "get", "set"):
            modifiers.append(child.type)
    if language == JAVA and node.type == "constructor_declaration":
        modifiers.append("constructor")
    if kind in ("function", "method") and owner and name in ("constructor", "__init__"):
        modifiers.append("constructor")
    if kind == "function" and owner and language == PYTHON:
        kind = "method"
    if node.type in _INLINE_LOOPS:
        modifiers.append("inline")
    params: list[str] = []
    parameters = node.child_by_field_name("parameters")
    if parameters is None and node.type == "arrow_function":
        parameters = node.child_by_field_name("parameter")
    if parameters is not None:
        nodes = parameters.named_children if parameters.named_child_count else [parameters]
        for param in nodes:
            if param.type == "comment":
                continue
            ident = _first_identifier(param)
            if ident and ident not in _SKIPPED_PARAMS:
                params.append(ident)
    bases: list[str] = []
    for field_name in ("superclasses", "superclass", "interfaces"):
        base_node = node.child_by_field_name(field_name)
        if base_node is not None:
            bases += re.findall(r"[A-Za-z_][\w.]*", text(base_node))
    for child in node.children:
        if child.type in ("class_heritage", "extends_interfaces", "super_interfaces"):
            bases += re.findall(r"[A-Za-z_][\w.]*", text(child))
    bases = [b for b in bases if b not in ("extends", "implements")]
    start = start_row + offset
    return Block(
        kind,
        start,
        node.end_point[0] + offset,
        name,
        header(start),
        params=tuple(params),
        bases=tuple(dict.fromkeys(bases)),
        modifiers=tuple(modifiers),
        owner=owner if kind == "method" else "",
        decorator_start=decorator_row + offset,
    )


def _first_identifier(node: Any) -> str:
    name = node.child_by_field_name("name") or node.child_by_field_name("pattern")
    if name is not None and name.type in ("identifier", "shorthand_property_identifier_pattern"):
        return bytes(name.text or b"").decode()
    stack = [node]
    while stack:
        current = stack.pop(0)
        if current.type == "identifier":
            return bytes(current.text or b"").decode()
        stack.extend(current.named_children)
    return ""


# -- line heuristics ----------------------------------------------------------

_PY_HEADERS: tuple[tuple[re.Pattern[str], BlockKind], ...] = (
    (re.compile(r"^\s*class\s+(\w+)"), "class"),
    (re.compile(r"^\s*(?:async\s+)?def\s+(\w+)"), "function"),
    (re.compile(r"^\s*(?:async\s+)?(?:for|while)\b()"), "loop"),
    (re.compile(r"^\s*try\b()"), "try"),
    (re.compile(r"^\s*except\b()"), "handler"),
    (re.compile(r"^\s*(?:async\s+)?with\b()"), "with"),
)
_BRACE_HEADERS: tuple[tuple[re.Pattern[str], BlockKind], ...] = (
    (re.compile(r"\binterface\s+(\w+)"), "interface"),
    (re.compile(r"\b(?:class|enum|record)\s+(\w+)"), "class"),
    (re.compile(r"\bcatch\b()"), "handler"),
    (re.compile(r"\btry\b()"), "try"),
    (re.compile(r"\bsynchronized\s*\(()"), "synchronized"),
    (re.compile(r"^\s*(?:for|while|do)\b()"), "loop"),
    (re.compile(r"\bfunction\*?\s*(\w*)\s*\("), "function"),
    (re.compile(r"\b(\w+)\s*=\s*(?:async\s*)?\([^()]*\)\s*=>"), "function"),
    (re.compile(
        r"^\s*(?:(?:public|private|protected|static|final|abstract|synchronized|async)\s+)*"
        r"(?:[\w<>\[\],.? ]+\s+)?(\w+)\s*\([^;]*\)\s*(?:throws [\w., ]+)?\{?\s*$"
    ), "method"),
)
_NOT_METHOD_NAMES = frozenset({"if", "for", "while", "switch", "catch", "return", "else", "new"})


def _line_outline(source: Source) -> Outline:
    blocks: list[Block] = []
    lines = source.lines
    for index, line in enumerate(lines):
        text = line.masked
        if not text.strip():
            continue
        for pattern, kind in (_BRACE_HEADERS if source.uses_braces else _PY_HEADERS):
            match = pattern.search(text)
            if match is None:
                continue
            name = match.group(1)
            if kind == "method" and (name in _NOT_METHOD_NAMES or not name):
                continue
            end = (
                _brace_end(lines, index) if source.uses_braces else _indent_end(lines, index)
            )
            owner_block = next(
                (b for b in reversed(blocks) if b.kind == "class" and b.contains(line.number)),
                None,
            )
            real_kind: BlockKind = kind
            if kind in ("function", "method"):
                real_kind = "method" if owner_block else "function"
            modifiers = tuple(
                word for word in ("async", "static", "synchronized") if re.search(rf"\b{word}\b", text)
            )
            if owner_block and name in ("__init__", "constructor", owner_block.name):
                modifiers += ("constructor",)
            blocks.append(Block(
                real_kind, line.number, end, name, line.code, modifiers=modifiers,
                owner=owner_block.name if owner_block and real_kind == "method" else "",
                params=_heuristic_params(text) if real_kind in ("function", "method") else (),
            ))
            break
    return Outline(blocks=blocks, parser="lines", parse_errors=0)


def _heuristic_params(text: str) -> tuple[str, ...]:
    match = re.search(r"\(([^()]*)\)", text)
    if not match or not match.group(1).strip():
        return ()
    names = []
    for part in match.group(1).split(","):
        words = re.findall(r"[A-Za-z_]\w*", part.split("=")[0].split(":")[0])
        if words and words[-1] not in _SKIPPED_PARAMS:
            names.append(words[-1])
    return tuple(names)


def _indent_end(lines: list[Any], index: int) -> int:
    def indent(text: str) -> int:
        return len(text) - len(text.lstrip())

    base = indent(lines[index].raw)
    end = lines[index].number
    for line in lines[index + 1 :]:
        if not line.code.strip():
            continue
        if indent(line.raw) <= base:
            break
        end = line.number
    return end


def _brace_end(lines: list[Any], index: int) -> int:
    depth = 0
    opened = False
    for line in _iter_from(lines, index):
        for ch in line.masked:
            if ch == "{":
                depth += 1
                opened = True
            elif ch == "}":
                depth -= 1
        if opened and depth <= 0:
            return int(line.number)
        if not opened and line.number > lines[index].number + 2:
            break
    return int(lines[-1].number) if opened else int(lines[index].number)


def _iter_from(lines: list[Any], index: int) -> Iterator[Any]:
    yield from lines[index:]
