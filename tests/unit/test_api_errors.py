# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Pure (no root, no kernel): a bad argument to the Python API is one LabError sentence that names
the argument and what is allowed, never another exception (a notebook shows it without a traceback)."""

from __future__ import annotations

import math

import pytest

from ebpflab import LabError, cbpf, export, traffic
from ebpflab.netlab import LabNet

NET = LabNet()  # built, never entered: the checks come before anything touches the kernel
PROG = [(0x06, 0, 0, 1)]


def udp():
    return traffic.udp(NET, "client", "server")


CASES = [
    (lambda: cbpf.interpret(PROG, [300]), "packet"),
    (lambda: cbpf.interpret(PROG, b"x", semantics="bsd"), "semantics"),
    (lambda: cbpf.interpret(PROG, b"x", wirelen=-1), "wirelen"),
    (lambda: cbpf.compile("\udcff"), "not valid text"),
    (lambda: cbpf.compile("tcp\x00 and garbage(("), "NUL"),
    (lambda: cbpf.compile("tcp", snaplen=0), "snaplen"),
    (lambda: cbpf.disassemble(None), "program"),
    (lambda: cbpf.dump(None), "program"),
    (lambda: cbpf.assemble(None), "listing"),
    (lambda: cbpf.validate([(6.0, 0, 0, 1)]), "integers"),
    (lambda: cbpf.validate([("6", 0, 0, 1)]), "integers"),
    (lambda: cbpf.validate("ret #1"), "program"),
    (lambda: cbpf.verdicts(PROG, [b"x"]), "packets"),
    (lambda: traffic.send(NET, "client", udp(), rate="fast"), "rate"),
    (lambda: traffic.send(NET, "client", udp(), rate=math.nan), "rate"),
    (lambda: traffic.send(NET, "client", udp(), rate=-5), "rate"),
    (lambda: traffic.send(NET, "client", udp(), count=1.5), "count"),
    (lambda: traffic.send(NET, "client", udp(), count="5"), "count"),
    (lambda: traffic.send(NET, "client", udp(), count=-1), "count"),
    (lambda: traffic.send(NET, "client", udp(), duration="x"), "duration"),
    (lambda: traffic.send(NET, "client", udp(), duration=math.nan), "duration"),
    (lambda: traffic.send(NET, "client", udp(), duration=-1), "duration"),
    (lambda: traffic.send(NET, "client", None), "frame"),
    (lambda: traffic.send(NET, "client", "hello"), "frame"),
    (lambda: traffic.send(NET, "client", b""), "frame"),
    (lambda: traffic.send(NET, "client", []), "frame"),
    (lambda: traffic.udp(NET, "client", "server", dport=70000), "dport"),
    (lambda: traffic.udp(NET, "client", "server", sport=-1), "sport"),
    (lambda: traffic.tcp_syn(NET, "client", "server", dport="http"), "dport"),
    (lambda: traffic.icmp_echo(NET, "client", "server", seq=1 << 16), "seq"),
    (lambda: traffic.udp(NET, "client", "nosuchhost"), "no host named"),
    (lambda: LabNet(subnet="garbage"), "subnet"),
    (lambda: LabNet(subnet="198.18.0.1/24"), "subnet"),
    (lambda: LabNet(subnet="2001:db8::/64"), "subnet"),
    (lambda: LabNet(subnet=None), "subnet"),
    (lambda: LabNet(hosts="client"), "hosts"),
    (lambda: LabNet(hosts=["a b", "c"]), "host name"),
    (lambda: export.serve(port="abc").__enter__(), "port"),
    (lambda: export.serve(port=70000).__enter__(), "port"),
]


@pytest.mark.parametrize("call, word", CASES, ids=[f"case{i}-{w}" for i, (_, w) in enumerate(CASES)])
def test_bad_argument_is_one_lab_error_sentence(call, word):
    with pytest.raises(LabError) as info:
        call()
    msg = str(info.value)
    assert word in msg, msg
    assert len(msg.splitlines()) == 1, msg


@pytest.mark.parametrize("value", ["soon", "nan", "0", "-5", "1e9"])
def test_a_bad_compile_timeout_is_one_sentence(monkeypatch, value):
    from ebpflab import loader

    monkeypatch.setenv("EBPFLAB_COMPILE_TIMEOUT", value)
    with pytest.raises(LabError, match="EBPFLAB_COMPILE_TIMEOUT must be a number of seconds"):
        loader.compile_timeout()


def test_the_compile_timeout_is_120_s_unless_set(monkeypatch):
    from ebpflab import loader

    monkeypatch.delenv("EBPFLAB_COMPILE_TIMEOUT", raising=False)
    assert loader.compile_timeout() == 120
    monkeypatch.setenv("EBPFLAB_COMPILE_TIMEOUT", "900")
    assert loader.compile_timeout() == 900
