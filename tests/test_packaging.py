"""What `pip install .` puts into site-packages: only `archreview`, with its data files and every module.

The wheel is built from a copy of the files a commit of this tree would hold (tracked, plus untracked files git
does not ignore), so a file that exists only in a developer's checkout cannot make the test pass, and the build
writes nothing into the working tree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Repository folder -> where setuptools' package-dir puts it in the wheel (pyproject.toml).
PACKAGE_DIRS = {
    "archreview": "archreview",
    "schemas": "archreview/schemas",
    "encoders": "archreview/encoders",
    "pipeline": "archreview/pipeline",
    "flows": "archreview/flows",
}
# Data the code reads at run time: the versioned report schemas and the heuristics kept as data.
DATA_GLOBS = ("schemas/json/*.json", "pipeline/data/*.json")


def _source_copy(destination: Path) -> Path:
    """Copy the files a commit would hold into `destination`; return it."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a tracked file deleted in the working tree is not part of the next commit
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip wheel .` builds from a clean copy of the tree."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the tree's files")
    source = _source_copy(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    wheels = list(out.glob("archreview-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_only_archreview_at_the_top_level(wheel: Path) -> None:
    """Nothing generic (`schemas`, `pipeline`, ...) lands in site-packages beside other distributions."""
    tops = {name.split("/")[0] for name in _names(wheel)}
    dist_info = {top for top in tops if top.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert tops - dist_info == {"archreview"}


def test_every_module_and_data_file_is_inside(wheel: Path) -> None:
    """Each module of the mapped folders and each data file is in the wheel (pyproject lists packages by hand)."""
    names = set(_names(wheel))
    expected: set[str] = set()
    for folder, installed in PACKAGE_DIRS.items():
        # archreview/ holds the CLI; the other folders are mapped whole
        for path in (REPO / folder).rglob("*.py"):
            expected.add(f"{installed}/{path.relative_to(REPO / folder).as_posix()}")
    for pattern in DATA_GLOBS:
        folder, _, glob = pattern.rpartition("/")
        top, _, rest = folder.partition("/")
        for path in (REPO / folder).glob(glob):
            expected.add(f"{PACKAGE_DIRS[top]}/{rest}/{path.name}")
    schemas = {name for name in names if name.startswith("archreview/schemas/json/") and name.endswith(".json")}
    assert schemas, "no report schema in the wheel"
    assert len(expected) > 50
    assert sorted(expected - names) == []


def test_the_installed_wheel_runs_on_its_own(wheel: Path, tmp_path: Path) -> None:
    """Installed into a bare folder, the package imports from there (not from this checkout) and finds its data."""
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    installed = {path.name for path in target.iterdir()} - {"bin"}  # bin/ holds the `archreview` script
    assert {name for name in installed if not name.endswith(".dist-info")} == {"archreview"}
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import json, archreview.cli.main, archreview.pipeline, archreview.schemas\n"
        "from importlib.resources import files\n"
        "print(archreview.pipeline.__file__)\n"
        "schemas = sorted(p.name for p in files('archreview.schemas').joinpath('json').iterdir())\n"
        "print(json.dumps(schemas))\n"
    )
    # run outside the repository, so neither the checkout nor tests/ is on the path
    ran = subprocess.run(
        [sys.executable, "-c", probe, str(target)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    module_file, schema_names = ran.stdout.strip().splitlines()[-2:]
    assert Path(module_file).is_relative_to(target)
    assert json.loads(schema_names) == sorted(path.name for path in (REPO / "schemas" / "json").glob("*.json"))
