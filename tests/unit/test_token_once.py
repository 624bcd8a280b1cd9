# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""`ebpflab url` and `ebpflab lab` started together agree on one token (the first one made wins)."""

from __future__ import annotations

import multiprocessing

from ebpflab import labserver


def _first_call(state, barrier, results) -> None:
    labserver.STATE = state
    barrier.wait()  # every process asks at the same moment, as `make lab` and `ebpflab url` may
    results.put(labserver.token())


def test_concurrent_first_calls_make_one_token(tmp_path):
    # spawn, not fork: the suite's process has threads of its own by now (a fork would copy their locks).
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(8), ctx.Queue()
    procs = [ctx.Process(target=_first_call, args=(tmp_path / "state", barrier, results)) for _ in range(8)]
    for p in procs:
        p.start()
    tokens = {results.get(timeout=60) for _ in procs}
    for p in procs:
        p.join(timeout=60)
    assert len(tokens) == 1 and len(tokens.pop()) == 48
    assert oct((tmp_path / "state" / "jupyter-token").stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["jupyter-token"]  # no temporary file left
