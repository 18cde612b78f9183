"""The wheel: built from the project's files, installed on its own, it runs the demo from anywhere.

The editable install that `make` uses finds everything in the source tree, so it hides a package
or a seed file the wheel leaves out. Here the wheel is built, installed with `--no-deps` into a
fresh virtualenv, and `wirehouse` runs `seed-landing`, `run`, `sql` and `report` from an
unrelated folder, with the source tree out of reach.

The new virtualenv reaches the test environment's site-packages through a `.pth` line, only for
the dependencies: that line adds the folder to `sys.path` after the venv's own site-packages and
runs none of the `.pth` files in it, so the editable install's path finder stays off.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# What a wheel is built from: the packaging files and the code, nothing else of the checkout.
SOURCES = ("pyproject.toml", "README.md", "flows", "transforms", "schemas", "seeds")
SUBPROCESS_SECONDS = 900

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=SUBPROCESS_SECONDS, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _clean_env(tmp_path: Path, venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "WIREHOUSE_", "VIRTUAL_ENV", "PREFECT_API_URL"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    env["HOME"] = str(tmp_path / "home")
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources so that the build leaves nothing in the tree."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    for name in SOURCES:
        origin = PROJECT_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, source / name)
    out = root / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(source)],
         cwd=root, env=dict(os.environ))
    [built] = out.glob("wirehouse-*.whl")
    return built


def test_the_wheel_holds_every_package_and_the_seeds(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {init.parent.relative_to(PROJECT_ROOT).as_posix()
                for init in PROJECT_ROOT.glob("transforms/**/__init__.py")}
    assert packages, "no subpackage found"
    for package in sorted(packages | {"flows", "schemas", "seeds"}):
        assert f"{package}/__init__.py" in names, f"{package} is not in the wheel"
    seeds = {p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "seeds").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    assert seeds <= names, f"seed files missing from the wheel: {sorted(seeds - names)}"


def test_the_installed_wheel_runs_the_demo_from_anywhere(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=SUBPROCESS_SECONDS)
    python = venv / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True).stdout.strip())
    # The dependencies (and pip) from the test environment; not its editable wirehouse.
    (site / "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env(tmp_path, venv)
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
         cwd=elsewhere, env=env)

    where = json.loads(_run([str(python), "-c", (
        "import json, flows.cli, seeds, transforms, transforms.readers.wiretext;"
        "print(json.dumps([transforms.__file__, flows.cli.__file__, str(seeds.default_seeds_dir())]))"
    )], cwd=elsewhere, env=env).stdout)
    for path in where:
        assert Path(path).is_relative_to(venv), f"{path} is not the installed wheel's"
        assert not Path(path).is_relative_to(PROJECT_ROOT)

    wirehouse = str(venv / "bin" / "wirehouse")
    _run([wirehouse, "seed-landing", "landing"], cwd=elsewhere, env=env)
    ran = _run([wirehouse, "run", "--source", "landing", "--warehouse", "warehouse"], cwd=elsewhere, env=env)
    assert "dispatches" in ran.stdout + ran.stderr
    counted = _run([wirehouse, "sql", "--warehouse", "warehouse", "--format", "json",
                    "SELECT count(*) AS n FROM dispatches"], cwd=elsewhere, env=env)
    assert json.loads(counted.stdout)[0]["n"] > 0
    _run([wirehouse, "report", "--warehouse", "warehouse", "--out", "report.html"], cwd=elsewhere, env=env)
    assert "<svg" in (elsewhere / "report.html").read_text(encoding="utf-8")
