"""Issue 14, after round 14: template injection built at runtime, zip slip, swallowed catches in JS and Java,
Mongoose's `exec` and one finding for an injection built on one line and run on another.

Snippets written for these tests (not taken from the findings corpus); each flawed one has a twin that is fine.
"""

from __future__ import annotations

from archreview.pipeline.analysis import run_analysis
from archreview.pipeline.analysis.detectors import ALL_DETECTORS, Context
from archreview.pipeline.analysis.parsing import parse_outline
from archreview.pipeline.analysis.ranking import merge_hits
from archreview.pipeline.analysis.rules import RULES, translations
from archreview.pipeline.analysis.source import build_source
from archreview.schemas import Code, Instruction

REVIEW = Instruction(text="Review this code.", source="text", intent="general_review", focus=[])


def _own(text: str, language: str) -> set[tuple[str, int]]:
    """(rule, line) of every line archreview's own detectors flag."""
    source = build_source(Code(text=text, language=language, first_line=1, ocr_confidence=1.0))
    context = Context(source=source, outline=parse_outline(source))
    hits = merge_hits(hit for detector in ALL_DETECTORS for hit in detector(context))
    return {(hit.rule_id, line) for hit in hits for line in range(hit.line, hit.last + 1)}


def _findings(text: str, language: str) -> list[tuple[str, int, int]]:
    """(rule, first line, last line) of every finding of the whole analysis (with Ruff and Semgrep)."""
    code = Code(text=text, language=language, first_line=1, ocr_confidence=1.0)
    return [(f.rule_id, f.evidence[0].line_start, f.evidence[0].line_end) for f in run_analysis(code, REVIEW).findings]


EJS_BUILT = """const ejs = require('ejs');

function errorPage(path) {
  const page = `<html><body>
    <p>No page at ` + path + `</p></body></html>`;
  return ejs.render(page, {});
}

const notFound = (req, res) => {
  res.status(404).send(errorPage(req.query.path));
};
"""

EJS_FIXED = """const ejs = require('ejs');

function errorPage(path) {
  const page = '<html><body><p>No page at <%= path %></p></body></html>';
  return ejs.render(page, {path});
}
"""


def test_a_template_assembled_from_a_value_then_rendered_is_template_injection() -> None:
    flagged = _own(EJS_BUILT, "javascript")
    assert ("security/template-injection", 4) in flagged
    assert ("security/template-injection", 6) in flagged
    assert not any(rule == "security/template-injection" for rule, _ in _own(EJS_FIXED, "javascript"))


def test_a_python_template_string_formatted_before_rendering_is_template_injection() -> None:
    flawed = (
        "from flask import request, render_template_string\n\n"
        "def hello():\n"
        "    name = request.args.get('name')\n"
        "    page = '<h1>Hello %s</h1>' % name\n"
        "    return render_template_string(page)\n"
    )
    fine = (
        "from flask import request, render_template_string\n\n"
        "def hello():\n"
        "    page = '<h1>Hello {{ name }}</h1>'\n"
        "    return render_template_string(page, name=request.args.get('name'))\n"
    )
    assert ("security/template-injection", 5) in _own(flawed, "python")
    assert not any(rule == "security/template-injection" for rule, _ in _own(fine, "python"))


JAVA_UNZIP = """import java.io.*;
import java.util.zip.*;

class Importer {
    void unpack(InputStream upload, File target) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(upload)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                File out = new File(target, entry.getName());
                try (OutputStream os = new FileOutputStream(out)) {
                    zip.transferTo(os);
                }
            }
        }
    }
}
"""

JAVA_UNZIP_CHECKED = JAVA_UNZIP.replace(
    "                try (OutputStream",
    "                if (!out.getCanonicalPath().startsWith(target.getCanonicalPath() + File.separator)) {\n"
    '                    throw new IOException("entry outside the target: " + entry.getName());\n'
    "                }\n"
    "                try (OutputStream",
)


def test_a_zip_entry_name_joined_to_the_target_folder_is_zip_slip_unless_checked() -> None:
    assert ("security/zip-slip", 9) in _own(JAVA_UNZIP, "java")
    assert not any(rule == "security/zip-slip" for rule, _ in _own(JAVA_UNZIP_CHECKED, "java"))


def test_extracting_an_uploaded_archive_whole_is_zip_slip_in_js_and_python_tar() -> None:
    js = (
        "const AdmZip = require('adm-zip');\n\n"
        "exports.restore = function (req, res) {\n"
        "  const zip = new AdmZip(req.files.backup.data);\n"
        "  zip.extractAllTo('/srv/restore', true);\n"
        "  res.send('ok');\n"
        "};\n"
    )
    assert ("security/zip-slip", 5) in _own(js, "javascript")
    tar = (
        "import tarfile\n\ndef unpack(path, dest):\n    with tarfile.open(path) as tar:\n        tar.extractall(dest)\n"
    )
    assert ("security/zip-slip", 5) in _own(tar, "python")
    filtered = tar.replace("extractall(dest)", "extractall(dest, filter='data')")
    assert not any(rule == "security/zip-slip" for rule, _ in _own(filtered, "python"))
    zipped = (
        "import zipfile\n\ndef unpack(path, dest):\n    with zipfile.ZipFile(path) as z:\n        z.extractall(dest)\n"
    )
    assert not any(rule == "security/zip-slip" for rule, _ in _own(zipped, "python"))  # zipfile cleans names


def test_zip_slip_has_a_catalogue_entry_in_both_languages() -> None:
    assert RULES["security/zip-slip"].category == "security"
    assert "security/zip-slip" in translations("zh")


def test_a_java_catch_that_only_prints_or_empties_the_result_swallows_the_error() -> None:
    printed = (
        "class Dao {\n"
        "    void save(Record r) {\n"
        "        try {\n"
        "            jdbc.update(INSERT, r.values());\n"
        "        }\n"
        "        catch (Exception e) {\n"
        "            System.out.println(e);\n"
        "        }\n"
        "    }\n"
        "}\n"
    )
    assert ("error-handling/swallowed-exception", 6) in _own(printed, "java")
    logged = printed.replace("System.out.println(e);", 'log.error("saving the record failed", e);')
    assert not any(rule == "error-handling/swallowed-exception" for rule, _ in _own(logged, "java"))
    emptied = (
        "class Login {\n"
        "    List<Account> find(String name) {\n"
        "        List<Account> found = new ArrayList<>();\n"
        "        try {\n"
        "            found = dao.findByName(name);\n"
        "        }\n"
        "        catch (DataAccessException e) {\n"
        "            found.clear();\n"
        "        }\n"
        "        return found;\n"
        "    }\n"
        "}\n"
    )
    assert ("error-handling/swallowed-exception", 7) in _own(emptied, "java")
    rethrown = emptied.replace("found.clear();", 'throw new IllegalStateException("lookup failed", e);')
    assert not any(rule == "error-handling/swallowed-exception" for rule, _ in _own(rethrown, "java"))


def test_a_promise_catch_without_the_error_that_only_answers_swallows_it() -> None:
    js = (
        "const list = (req, res) => {\n"
        "  Item.findAll().then((items) => res.send(items))\n"
        "      .catch(() => res.send('Something went wrong'));\n"
        "};\n"
    )
    assert any(
        rule == "error-handling/swallowed-exception" and first <= 3 <= last + 1
        for rule, first, last in _findings(js, "javascript")
    )
    logged = js.replace(
        "() => res.send('Something went wrong')",
        "(err) => { console.error(err); res.status(500).send('Something went wrong'); }",
    )
    assert not any(rule == "error-handling/swallowed-exception" for rule, _, _ in _findings(logged, "javascript"))


def test_mongoose_exec_is_a_query_not_a_process() -> None:
    js = (
        "const cp = require('child_process');\n"
        "exports.index = function (req, res, next) {\n"
        "  Todo.\n"
        "    find({}).\n"
        "    exec(function (err, todos) {\n"
        "      res.send(todos);\n"
        "    });\n"
        "  Todo.find({ owner: req.user.id }).exec((err, t) => res.send(t));\n"
        "  cp.exec('ls ' + req.query.dir);\n"
        "};\n"
    )
    flagged = {line for rule, line in _own(js, "javascript") if rule == "security/command-injection"}
    assert flagged == {9}


def test_a_query_built_on_one_line_and_run_on_another_is_one_finding() -> None:
    java = (
        "class AccountDao {\n"
        "    List<Account> byName(String name) {\n"
        '        String sql = "select * from account where name = \'" + name + "\'";\n'
        "        RowMapper<Account> mapper = new AccountMapper();\n"
        "        return jdbcTemplate.query(sql, mapper);\n"
        "    }\n"
        "}\n"
    )
    sql = [(first, last) for rule, first, last in _findings(java, "java") if rule == "security/sql-injection"]
    assert len(sql) == 1 and sql[0][0] == 3
    rebuilt = java.replace(
        "        RowMapper<Account> mapper", '        sql = "select * from account";\n        RowMapper<Account> mapper'
    )
    firsts = [first for rule, first, _ in _findings(rebuilt, "java") if rule == "security/sql-injection"]
    assert 3 in firsts and len(firsts) == len(set(firsts))  # the call runs the new value: not merged into line 3
