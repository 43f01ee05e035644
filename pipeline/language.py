"""Guess the programming language of a code snippet from keyword and syntax cues.

Each language has weighted patterns; a snippet scores the sum of the weights
of the patterns it matches (each pattern counted at most a few times, so one
repeated construct cannot outvote the rest). Patterns are loose on purpose:
OCR slips a character here and there, and many independent cues still agree.
Families are settled in two steps: TypeScript is JavaScript plus type
annotations, C++ is C plus C++-only constructs.
"""

from __future__ import annotations

import re

LANGUAGES = (
    "python", "javascript", "typescript", "java", "go", "c", "cpp", "csharp", "rust", "ruby", "php", "kotlin",
)
UNKNOWN = "unknown"
# What people and tools call the languages (file extensions, runtimes), as `LANGUAGES` names them.
_ALIASES: dict[str, str] = {
    "py": "python", "python3": "python", "js": "javascript", "jsx": "javascript", "node": "javascript",
    "mjs": "javascript", "ts": "typescript", "tsx": "typescript", "c++": "cpp", "c#": "csharp", "cs": "csharp",
    "rs": "rust", "rb": "ruby", "kt": "kotlin", "golang": "go",
}
# Names that say nothing about the language: the text decides.
_NO_LANGUAGE = frozenset({"", UNKNOWN, "text", "plain"})
# A snippet needs at least this score for any guess.
_MIN_SCORE = 3.0
# Times one pattern may count.
_MAX_HITS = 3

_M = re.MULTILINE
_PATTERNS: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "python": [
        (re.compile(r"^\s*def \w+\s*\(.*\)\s*(->\s*[\w\[\], .|]+)?:\s*(#.*)?$", _M), 3),
        (re.compile(r"^\s*(async\s+)?def \w+\(", _M), 1),
        (re.compile(r"^\s*class \w+(\(.*\))?:\s*$", _M), 3),
        (re.compile(r"^\s*from [\w.]+ import \w", _M), 3),
        (re.compile(r"^\s*import [\w.]+(\s+as\s+\w+)?\s*$", _M), 1),
        (re.compile(r"^\s*(if|elif|while|for|with|try|except|else|finally)\b.*:\s*(#.*)?$", _M), 1.5),
        (re.compile(r"^\s*elif\b", _M), 2),
        (re.compile(r"\bself\.\w+"), 1.5),
        (re.compile(r"\b(None|True|False)\b"), 1),
        (re.compile(r"^\s*except\b[\w\s,().]*:", _M), 2),
        (re.compile(r"^\s*@\w+(\.\w+)*(\(.*\))?\s*$", _M), 0.5),
        (re.compile(r"\b(__init__|__name__|__main__)\b"), 3),
        (re.compile(r"\bf[\"']"), 1),
        (re.compile(r"^\s*#(?!include|define|pragma|if|endif|import)", _M), 0.5),
        (re.compile(r"\b(raise|lambda|yield|nonlocal|pass)\b"), 1),
        (re.compile(r'"""'), 2),
        (re.compile(r"\bprint\("), 0.5),
        (re.compile(r"\b(not in|is not|and not)\b"), 1),
    ],
    "js": [
        (re.compile(r"\b(const|let)\s+[\w{}\[\], ]+\s*="), 2),
        (re.compile(r"\bvar\s+\w+\s*="), 1),
        (re.compile(r"\bfunction\s*\*?\s*\w*\s*\("), 2.5),
        (re.compile(r"=>"), 1.5),
        (re.compile(r"\brequire\(['\"]"), 3),
        (re.compile(r"\bconsole\.(log|error|warn|info)\("), 3),
        (re.compile(r"[!=]=="), 2),
        (re.compile(r"\bmodule\.exports\b|\bexports\.\w+"), 3),
        (re.compile(r"^\s*export\s+(default\s+)?(function|class|const|async)", _M), 2),
        (re.compile(r"^\s*import\s+[\w{}*,\s]+\s+from\s+['\"]", _M), 3),
        (re.compile(r"\b(document|window)\.\w+"), 2),
        (re.compile(r"\bawait\b"), 0.5),
        (re.compile(r"\bundefined\b|\bnull\b"), 0.5),
        (re.compile(r"\bthis\.\w+"), 0.5),
        (re.compile(r"`[^`]*\$\{"), 2),
        (re.compile(r"\.then\(|\.catch\(|new Promise\("), 1.5),
    ],
    "ts": [
        (re.compile(r"[\w)?]\s*:\s*(string|number|boolean|any|void|unknown|never|object)\b(\[\])?"), 3),
        (re.compile(r"^\s*(export\s+)?interface\s+\w+(<.*>)?\s*(extends [\w, <>]+)?\s*\{", _M), 3),
        (re.compile(r"^\s*(export\s+)?type\s+\w+(<.*>)?\s*=", _M), 3),
        (re.compile(r"\b(private|public|protected)\s+(readonly\s+)?\w+\s*[:(]"), 2),
        (re.compile(r"\breadonly\s+\w+"), 2),
        (re.compile(r":\s*Promise<"), 3),
        (re.compile(r"\)\s*:\s*[\w<>\[\]|]+\s*(=>|\{)"), 2),
        (re.compile(r"\bas\s+(const|string|number|any|unknown)\b"), 2),
        (re.compile(r"\b\w+<[\w, \[\]]+>\("), 1),
        (re.compile(r"^\s*(export\s+)?enum\s+\w+\s*\{", _M), 2),
        (re.compile(r"\bimplements\s+\w+"), 1),
    ],
    "java": [
        (re.compile(r"^\s*package\s+[\w.]+;\s*$", _M), 3),
        (re.compile(r"^\s*import\s+(static\s+)?java[x]?\.[\w.*]+;", _M), 4),
        (re.compile(r"^\s*import\s+[a-z]+\.[\w.]+\.[A-Z*]\w*;", _M), 2),
        (re.compile(r"\b(public|private|protected)\s+(static\s+)?(final\s+)?(class|interface|enum|record)\s+\w+"), 2),
        (re.compile(r"\b(public|private|protected)\s+(static\s+)?(final\s+)?[\w<>\[\], ]+\s+\w+\s*\([^)]*\)\s*"
                    r"(throws\s+[\w, ]+)?\{?\s*$", _M), 2.5),
        (re.compile(r"\bSystem\.(out|err)\.print"), 4),
        (re.compile(r"@Override\b|@Autowired\b|@Test\b"), 2),
        (re.compile(r"\b(String|int|long|boolean|double|void)\s+\w+\s*[=;(,)]"), 1),
        (re.compile(r"\b(List|Map|Set|Optional|ArrayList|HashMap)<"), 1.5),
        (re.compile(r"\bprivate\s+final\s+\w+"), 2),
        (re.compile(r"\bthrows\s+\w+"), 2),
        (re.compile(r"\bnew\s+\w+(<.*>)?\("), 0.5),
        (re.compile(r"\bextends\s+\w+"), 0.5),
        (re.compile(r"\.stream\(\)|\.equals\("), 1.5),
    ],
    "go": [
        (re.compile(r"^\s*package\s+\w+\s*$", _M), 3),
        (re.compile(r"^\s*func\s+(\(\w+\s+\*?\w+\)\s*)?\w+\(", _M), 4),
        (re.compile(r":="), 1.5),
        (re.compile(r"\bfmt\.\w+\("), 3),
        (re.compile(r"\bif err != nil\b"), 4),
        (re.compile(r"^\s*import\s*\(\s*$", _M), 3),
        (re.compile(r"\b(chan|defer|go func)\b"), 2),
        (re.compile(r"\btype\s+\w+\s+(struct|interface)\s*\{"), 4),
        (re.compile(r"\[\](string|int|byte|\*?\w+)\{?"), 1),
    ],
    "c": [
        (re.compile(r"^\s*#include\s*[<\"][\w/]+\.h[>\"]", _M), 3),
        (re.compile(r"^\s*#(define|ifdef|ifndef|endif|pragma)\b", _M), 2),
        (re.compile(r"\b(int|void|char|double|float|size_t|unsigned)\s+\*?\w+\s*\([^)]*\)\s*\{?\s*$", _M), 2),
        (re.compile(r"\b(printf|fprintf|scanf|malloc|calloc|free|memcpy|strlen|sizeof)\s*\("), 2),
        (re.compile(r"\bstruct\s+\w+\s*[{*]"), 1.5),
        (re.compile(r"\bNULL\b"), 1),
        (re.compile(r"\w->\w"), 1),
        (re.compile(r"\bchar\s*\*\s*\w+"), 1.5),
    ],
    "cpp": [
        (re.compile(r"^\s*#include\s*<\w+>", _M), 3),
        (re.compile(r"\bstd::\w+"), 3),
        (re.compile(r"\b(cout|cerr|endl)\b"), 2),
        (re.compile(r"\btemplate\s*<"), 3),
        (re.compile(r"^\s*(public|private|protected):\s*$", _M), 3),
        (re.compile(r"\bnullptr\b"), 3),
        (re.compile(r"\bnamespace\s+\w+\s*\{|\busing namespace\b"), 3),
        (re.compile(r"\b(virtual|override|const&|unique_ptr|shared_ptr)\b"), 1.5),
        (re.compile(r"\w+::\w+\("), 1),
        (re.compile(r"\bauto\s+\w+\s*="), 1),
    ],
    "csharp": [
        (re.compile(r"^\s*using\s+System(\.[\w.]+)?;", _M), 4),
        (re.compile(r"^\s*using\s+[A-Z][\w.]+;", _M), 1),
        (re.compile(r"^\s*namespace\s+[\w.]+\s*[{;]?\s*$", _M), 2),
        (re.compile(r"\bConsole\.(WriteLine|Write|ReadLine)\("), 4),
        (re.compile(r"\{\s*get;\s*(private\s+)?set;\s*\}|\{\s*get;\s*\}"), 4),
        (re.compile(r"\b(async\s+)?Task(<[\w<>, ]+>)?\s+\w+\("), 3),
        (re.compile(r"\bprivate\s+readonly\s+\w+"), 3),
        (re.compile(r"\bstring\s+\w+\s*[=;,)]"), 1.5),
        (re.compile(r"^\s*\[\w+(\(.*\))?\]\s*$", _M), 1.5),
        (re.compile(r"\bvar\s+\w+\s*=\s*new\b"), 1),
        (re.compile(r"\b(public|private|internal|protected)\s+(static\s+|override\s+|virtual\s+)*\w+\s+[A-Z]\w*\("), 1),
        (re.compile(r"\.(Add|Where|Select|ToList|Count|Any)\("), 1),
    ],
    "rust": [
        (re.compile(r"^\s*(pub(\(crate\))?\s+)?(async\s+)?fn\s+\w+(<.*>)?\(", _M), 4),
        (re.compile(r"\blet\s+mut\s+\w+"), 3),
        (re.compile(r"^\s*use\s+(std|crate|super)::", _M), 3),
        (re.compile(r"^\s*impl(<.*>)?\s+[\w<>]+(\s+for\s+\w+)?\s*\{", _M), 3),
        (re.compile(r"\.unwrap\(\)|\?;"), 1.5),
        (re.compile(r"\b(println|format|vec|panic)!\("), 3),
        (re.compile(r"&(mut\s+)?self\b"), 3),
        (re.compile(r"\b(Option|Result|Vec|Box|Some|Ok|Err)[<(]"), 1),
        (re.compile(r"^\s*(pub\s+)?(struct|enum|trait|mod)\s+\w+", _M), 1.5),
        (re.compile(r"\bmatch\s+\w+.*\{"), 1),
        (re.compile(r"\)\s*->\s*[\w<>&]+\s*\{"), 1),
    ],
    "ruby": [
        (re.compile(r"^\s*def\s+(self\.)?\w+[?!]?(\(.*\))?\s*$", _M), 2),
        (re.compile(r"^\s*end\s*$", _M), 2),
        (re.compile(r"\bputs\s"), 2),
        (re.compile(r"^\s*require(_relative)?\s+['\"]", _M), 3),
        (re.compile(r"\battr_(accessor|reader|writer)\b"), 4),
        (re.compile(r"\bdo\s*\|[\w, ]+\|"), 3),
        (re.compile(r"\.each\b|\.map\s*\{"), 1),
        (re.compile(r"^\s*elsif\b", _M), 3),
        (re.compile(r"(^|\s)@\w+\s*="), 1.5),
        (re.compile(r"^\s*class\s+\w+\s*(<\s*[\w:]+)?\s*$", _M), 1.5),
        (re.compile(r"^\s*module\s+\w+\s*$", _M), 2),
        (re.compile(r"\bnil\b"), 1),
        (re.compile(r":\w+\s*=>|\w+:\s"), 0.3),
    ],
    "php": [
        (re.compile(r"<\?php"), 6),
        (re.compile(r"\$\w+\s*(=|->|\[|;|\))"), 2),
        (re.compile(r"\b(public|private|protected)\s+(static\s+)?function\s+\w+"), 3),
        (re.compile(r"\becho\s"), 2),
        (re.compile(r"\$this->"), 3),
        (re.compile(r"^\s*(namespace|use)\s+[\w\\]+\\\w+", _M), 3),
        (re.compile(r"\bfunction\s+\w+\s*\(\s*(\??\w+\s+)?\$"), 3),
        (re.compile(r"\barray\("), 1),
    ],
    "kotlin": [
        (re.compile(r"^\s*(override\s+|private\s+|suspend\s+|public\s+|internal\s+)*fun\s+(<.*>\s*)?[\w.]+\(", _M), 4),
        (re.compile(r"^\s*(val|var)\s+\w+(\s*:\s*[\w<>?,. ]+)?\s*=", _M), 1.5),
        (re.compile(r"\bdata\s+class\b"), 4),
        (re.compile(r"\bcompanion\s+object\b|\bobject\s+\w+\s*\{"), 3),
        (re.compile(r"\?\.|!!\.|\?:"), 1),
        (re.compile(r"\bwhen\s*(\(.*\))?\s*\{"), 2),
        (re.compile(r"\bprintln\("), 1),
        (re.compile(r"^\s*package\s+[\w.]+\s*$", _M), 1),
        (re.compile(r"^\s*import\s+[\w.]+\s*$", _M), 0.5),
        (re.compile(r"\)\s*:\s*[A-Z]\w*(<.*>)?\??\s*(\{|=)"), 2),
    ],
}


def _scores(code: str) -> dict[str, float]:
    return {
        name: sum(weight * min(len(pattern.findall(code)), _MAX_HITS) for pattern, weight in patterns)
        for name, patterns in _PATTERNS.items()
    }


def language_scores(code: str) -> dict[str, float]:
    """Score of each language for `code` (higher is likelier); families already split.

    Args:
        code: source text, possibly with OCR slips.
    Returns:
        A score for each of `LANGUAGES`.
    """
    raw = _scores(code)
    js, ts = raw.pop("js"), raw.pop("ts")
    # TypeScript is JavaScript with types: the type cues decide which of the two it is.
    typed = ts >= 3
    raw["typescript"] = js + ts if typed else 0.0
    raw["javascript"] = js if not typed else 0.0
    # C++ is (nearly) a superset of C: C++-only cues move the C score over.
    if raw["cpp"] >= 3:
        raw["cpp"] += raw["c"]
        raw["c"] = 0.0
    else:
        raw["c"] += raw["cpp"]
        raw["cpp"] = 0.0
    return {name: raw[name] for name in LANGUAGES}


def detect_language(code: str) -> str:
    """The most likely programming language of `code`.

    Args:
        code: source text, possibly with OCR slips.
    Returns:
        One of `LANGUAGES`, or "unknown" when no language has enough evidence.
    """
    scores = language_scores(code)
    best = max(scores, key=lambda name: scores[name])
    if scores[best] < _MIN_SCORE:
        return UNKNOWN
    return best


def canonical_language(language: str, text: str) -> str:
    """The name `LANGUAGES` uses for `language`; detected from `text` when `language` says nothing.

    Args:
        language: a language name as given (the vision stage's, a file extension, "unknown", ...).
        text: the code, for `detect_language` when `language` is empty, "unknown", "text" or "plain".
    Returns:
        One of `LANGUAGES`, another name lower-cased as given, or "unknown".
    """
    name = language.strip().lower()
    name = _ALIASES.get(name, name)
    return detect_language(text) if name in _NO_LANGUAGE else name
