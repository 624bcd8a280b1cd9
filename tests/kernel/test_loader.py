# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Compile, load, attach, detach: real programs on real interfaces with real packets."""

from __future__ import annotations

import os
import subprocess

import pytest
from waiting import wait_until

from ebpflab import LabError, traffic
from ebpflab.errors import CompileError, VerifierError
from ebpflab.loader import Program
from ebpflab.system import capture_stderr


def xdp_attached(net, host: str) -> bool:
    out = subprocess.run(["ip", "-n", net[host].netns, "link", "show", "eth0"], capture_output=True, text=True).stdout
    return "xdp" in out


def test_pass_then_drop_then_pass_again(net):
    with Program("xdp_pass") as prog, prog.xdp(net["server"]):
        assert traffic.ping(net, "client", "server", count=2) == 2
    with Program("xdp_drop") as prog, prog.xdp(net["server"]):
        assert xdp_attached(net, "server")
        assert traffic.ping(net, "client", "server", count=2, timeout=0.3) == 0
    assert not xdp_attached(net, "server")
    assert traffic.ping(net, "client", "server", count=2) == 2


def test_count_matches_exactly_what_was_sent(net):
    frame = traffic.udp(net, "client", "server", dport=7777)
    with Program("xdp_count") as prog, prog.xdp(net["server"]):
        sent = traffic.send(net, "client", frame, count=5000)
        wait_until(
            lambda: prog["counts"][0].value >= 5000 and prog["counts"][1].value >= 5000 * len(frame),
            what="XDP to count the 5000 packets",
        )
        assert sent.packets == 5000
        assert prog["counts"][0].value == 5000
        assert prog["counts"][1].value == 5000 * len(frame)


def test_a_knob_from_python_changes_the_program(net):
    with Program("xdp_count", defines={"XDP_ACTION": "XDP_DROP"}) as prog, prog.xdp(net["server"]):
        assert traffic.ping(net, "client", "server", count=2, timeout=0.3) == 0
        assert prog["counts"][0].value == 2


def test_detached_even_when_the_block_raises(net):
    with pytest.raises(ZeroDivisionError):
        with Program("xdp_drop") as prog, prog.xdp(net["server"]):
            1 / 0  # noqa: B018 (the error inside the with is the test)
    assert not xdp_attached(net, "server")


def test_compile_error_carries_clang_output():
    with pytest.raises(CompileError) as info:
        Program("int xdp_bad(struct xdp_md *ctx) { return XDP_PASS + ; }").build()
    assert "error" in info.value.output
    assert "expected expression" in str(info.value)


def test_verifier_rejection_carries_the_log(net):
    src = """
    #include <uapi/linux/bpf.h>
    int xdp_oob(struct xdp_md *ctx) {
        unsigned char *p = (void *)(long)ctx->data;
        return p[20] == 1 ? XDP_DROP : XDP_PASS;   /* no bounds check */
    }"""
    with Program(src) as prog:
        with pytest.raises(VerifierError) as info:
            prog.load("xdp_oob")
    log = info.value.log
    assert "invalid access to packet" in log
    assert "processed" in log or "R" in log
    assert "verifier log" in str(info.value)


def test_unknown_program_and_function_are_clear_errors():
    with pytest.raises(LabError, match=r"no BPF program 'xdp_nope'.*xdp_count"):
        Program("xdp_nope")
    with Program("xdp_pass") as prog:
        with pytest.raises(LabError, match="no function 'nope'"):
            prog.load("nope")


def test_capture_stderr_sees_c_level_writes():
    with capture_stderr() as cap:
        os.write(2, b"from C\n")
    assert cap.text == "from C\n"


def test_disassembly_shows_bytecode_even_with_maps():
    with Program("xdp_drop") as prog:
        text = prog.disassemble()
    assert "exit" in text and "r0 = 1" in text
    with Program("xdp_count") as prog:  # BCC 0.26's own disassembler fails on map references
        text = prog.disassemble()
    assert "map_lookup_elem" in text and "exit" in text


def test_a_stack_clang_refuses_is_a_compile_error_not_a_dead_process():
    text = """
    #include <uapi/linux/bpf.h>
    int huge(struct xdp_md *ctx) { volatile char buf[600]; buf[0] = 1; buf[599] = 2; return buf[ctx->data & 1]; }
    """
    with pytest.raises(CompileError, match="512"):
        Program(text).build()


@pytest.mark.parametrize(
    "clang",
    [
        "Looks like the BPF stack limit of 512 bytes is exceeded.",  # clang 14
        "Looks like the BPF stack limit is exceeded.",
    ],
)  # clang 18, 19
def test_the_stack_limit_is_named_whichever_clang_worded_it(clang):
    from ebpflab.loader import _stack_hint

    assert "512 bytes" in _stack_hint(f"error: {clang} Please move large on stack variables")
    assert _stack_hint("error: use of undeclared identifier 'x'") == ""


def test_a_second_program_never_replaces_the_first_silently(net):
    with Program("xdp_drop") as drop, drop.xdp(net["server"]):
        with Program("xdp_pass") as other:
            with pytest.raises(LabError, match="already runs the XDP program 'xdp_drop'"):
                with other.xdp(net["server"]):
                    pass
        assert traffic.ping(net, "client", "server", count=1, timeout=0.3) == 0, "xdp_drop must still be attached"


def test_a_map_the_kernel_will_not_create_is_reported_as_such():
    with pytest.raises(LabError) as info:
        Program("xdp_firewall", {"MAX_RULES": 0}).build()
    assert not isinstance(info.value, CompileError), "clang compiled it: the kernel refused the map"
    assert "kernel refused to create its map" in str(info.value) and "MAX_RULES=0" in str(info.value)
    assert len(str(info.value).splitlines()) == 1
