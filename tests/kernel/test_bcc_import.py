# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""ebpflab finds the distribution's BCC from an interpreter that is not the system one (issue 9).

BCC has no conda-forge or PyPI package, so a conda or pyenv Python (environment.yml) relies on
``ebpflab.system.import_bcc()`` loading python3-bpfcc from the distribution's dist-packages.
The test runs such an interpreter with PYTHONPATH at the repository (not the venv) and loads,
attaches and counts with a real XDP program.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ebpflab import REPO


# pyenv Pythons this CI machine has (3.11.7 among them); any non-system interpreter would do.
# Only versions the kit supports (requires-python >= 3.10).
def _minor(py: Path) -> int:
    m = re.match(r"3\.(\d+)\.\d+$", py.parent.parent.name)  # plain releases only, e.g. 3.11.7
    return int(m[1]) if m else -1


def _other_pythons() -> list[Path]:
    try:
        return sorted((p for p in Path("/root/.pyenv/versions").glob("3.*/bin/python") if _minor(p) >= 10), key=_minor)
    except OSError:  # not root: collected only to be skipped
        return []


OTHER_PYTHONS = _other_pythons()
SYSTEM_BCC = Path("/usr/lib/python3/dist-packages/bcc/__init__.py")

PROBE = """
import sys
try:
    import bcc  # noqa: F401
    print("plain import worked")
except ImportError:
    print("plain import failed")
from ebpflab.system import import_bcc
bcc = import_bcc()
print("bcc from", bcc.__file__)
from ebpflab.netlab import LabNet
from ebpflab.loader import Program
from ebpflab import traffic
with LabNet() as net, Program("xdp_count") as prog, prog.xdp(net["server"]):
    replies = traffic.ping(net, "client", "server", count=3, interval=0.1)
    print("replies", replies, "counted", prog["counts"][0].value)
"""


PYTHON_IDS = [p.parent.parent.name for p in OTHER_PYTHONS]


def other_python(py: Path | None) -> Path:
    if py is None:
        pytest.skip("no non-system Python here (looked for /root/.pyenv/versions/3.1x)")
    return py


@pytest.mark.parametrize("py", OTHER_PYTHONS or [None], ids=PYTHON_IDS or ["none"])
def test_other_interpreter_is_not_the_system_one(py):
    py = other_python(py)
    out = subprocess.run([str(py), "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() not in ("/usr", sys.prefix), "the interpreter must not be the system or venv Python"


@pytest.mark.parametrize("py", OTHER_PYTHONS or [None], ids=PYTHON_IDS or ["none"])
def test_ebpflab_loads_system_bcc_and_an_xdp_program(py):
    py = other_python(py)
    if not SYSTEM_BCC.exists():
        pytest.skip("python3-bpfcc is not installed in /usr/lib/python3/dist-packages")
    # A clean environment: only the repository on the path, no venv, no user site-packages.
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": str(REPO), "HOME": os.environ.get("HOME", "/root")}
    res = subprocess.run([str(py), "-s", "-c", PROBE], capture_output=True, text=True, env=env, cwd="/", timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert "plain import failed" in lines, "this interpreter should not see BCC by itself"
    assert f"bcc from {SYSTEM_BCC}" in lines
    assert "replies 3 counted 3" in lines, res.stdout


# --- environment.yml: the conda route to the same Python side -----------------------------------
def _name(spec: str) -> str:
    """The package name of a requirement (``prometheus_client>=0.16`` -> ``prometheus-client``)."""
    return re.split(r"[<>=!~ \[;]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_pyprojects_dependencies_and_never_pypi_bcc():
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed")
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11+")
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    names = {_name(d) for d in conda}
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    missing = [d for d in wanted if _name(d) not in names]
    assert not missing, f"environment.yml lacks pyproject's {missing}"
    assert {"python", "pip"} <= names
    assert "bcc" not in names | {_name(p) for p in pip}, "the PyPI/conda bcc is unrelated: never depend on it"
    # conda runs pip from the file's folder, so the kit is the folder holding pyproject.toml.
    assert "-e ." in pip and (REPO / "environment.yml").parent == REPO and (REPO / "pyproject.toml").is_file()
