# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`make vm-test` (issue 13): what can be checked without booting a VM.

The boot itself takes minutes under QEMU/TCG, so it is its own command, not part of `make test`.
Here: the tests it runs inside the VM still exist where its list says (tests move), and a wrong
KERNEL is one sentence and exit 2 before anything is built.
"""

from __future__ import annotations

import os
import re
import subprocess

from ebpflab import REPO

SCRIPT = REPO / "scripts" / "vm-test.sh"


def listed_tests() -> list[str]:
    """The pytest ids in the script's TESTS list."""
    block = re.search(r'^TESTS="(.*?)"$', SCRIPT.read_text(), re.S | re.M)
    assert block, 'scripts/vm-test.sh has no TESTS="..." list'
    return block[1].split()


def test_every_listed_test_exists():
    for test_id in listed_tests():
        path, _, rest = test_id.partition("::")
        assert (REPO / path).is_file(), f"vm-test lists {path}, which does not exist"
        func, _, param = rest.partition("[")
        text = (REPO / path).read_text()
        if func:
            assert re.search(rf"^def {func}\(", text, re.M), f"vm-test lists {test_id}: no {func} in {path}"
        if param:  # notebook ids are the notebooks' names
            assert (REPO / "labs" / f"{param.rstrip(']')}.ipynb").is_file(), f"vm-test lists {test_id}: no such lab"


def test_a_wrong_kernel_is_one_sentence():
    res = subprocess.run([str(SCRIPT), "debian-11"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "KERNEL=debian-12" in res.stderr


def test_a_wrong_architecture_is_one_sentence():
    res = subprocess.run([str(SCRIPT), "debian-13", "riscv64"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "amd64 or arm64" in res.stderr


def test_boot_only_without_an_image_is_one_sentence(tmp_path):
    env = {**os.environ, "EBPFLAB_VM_CACHE": str(tmp_path), "VM_BOOT_ONLY": "1"}
    res = subprocess.run([str(SCRIPT), "debian-13"], capture_output=True, text=True, timeout=60, env=env)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "no image" in res.stderr and "build it first" in res.stderr
