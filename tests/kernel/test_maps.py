# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 03's programs and ebpflab.maps on the real kernel: exact counts, real pins, real bpftool."""

from __future__ import annotations

import pytest
from waiting import wait_until

from ebpflab import LabError, maps, traffic
from ebpflab.loader import Program


def test_ipv4_key_round_trip_and_order():
    key = maps.ipv4_key("198.18.1.10")
    assert maps.ipv4_of(key) == "198.18.1.10"
    assert key.to_bytes(4, "little") == bytes([198, 18, 1, 10])  # network order in memory on this host
    with pytest.raises(LabError):
        maps.ipv4_key("not an address")


def test_per_cpu_sum_and_atomic_are_exact(net):
    with Program("xdp_percpu_count") as prog, prog.xdp(net["server"]):
        flows = [traffic.Flow(net, "client", traffic.udp(net, "client", "server"), count=5000, cpu=c) for c in (0, 1)]
        with flows[0], flows[1]:
            pass
        sent = sum(f.result.packets for f in flows)
        assert sent == 10000
        wait_until(
            lambda: prog["atomic"][0].value >= sent and prog["percpu"].sum(0).value >= sent,
            what="XDP to count every packet sent",
        )  # the veth hands frames to XDP asynchronously
        assert prog["atomic"][0].value == sent
        assert prog["percpu"].sum(0).value == sent
        assert prog["racy"][0].value <= sent


def test_top_talkers_count_each_spoofed_sender_exactly(net):
    senders = {"198.18.1.10": 300, "198.18.1.11": 200, "198.18.3.4": 100}
    with Program("xdp_top_talkers") as prog, prog.xdp(net["server"]):
        flows = {
            src: traffic.Flow(
                net, "client", traffic.udp(net, "client", "server", src_ip=src, payload=b"x" * n), count=n, rate=2000
            )
            for src, n in senders.items()
        }
        for f in flows.values():
            f.__enter__()
        results = {src: f.wait() for src, f in flows.items()}
        total = sum(r.packets for r in results.values())
        wait_until(lambda: sum(v.packets for v in prog["talkers"].values()) >= total, what="every packet counted")
        rows = maps.top(prog["talkers"], 10)
        assert maps.top(prog["talkers"], 1, by="packets")[0][0] == "198.18.1.10"
    assert [r[0] for r in rows] == ["198.18.1.10", "198.18.1.11", "198.18.3.4"]  # most bytes first
    assert {a: (p, b) for a, p, b in rows} == {s: (r.packets, r.bytes) for s, r in results.items()}
    with pytest.raises(LabError):
        maps.top({}, by="ports")


def test_full_hash_refuses_and_lru_evicts(net):
    senders = [f"198.18.2.{i}" for i in range(1, 7)]
    for lru in (0, 1):
        with Program("xdp_top_talkers", defines={"MAX_HOSTS": 3, "LRU": lru}) as prog, prog.xdp(net["server"]):
            for src in senders:
                traffic.send(net, "client", traffic.udp(net, "client", "server", src_ip=src), count=50)

            def counted():
                return {maps.ipv4_of(k): v.packets for k, v in prog["talkers"].items()}

            if lru:  # the evicted senders' counts are gone: wait for the last sender's
                wait_until(lambda: counted().get(senders[-1], 0) >= 50, what="the last sender's 50 packets")
            else:
                wait_until(
                    lambda: sum(counted().values()) + prog["untracked"][0].value >= 300,
                    what="all 300 packets counted or untracked",
                )
            entries = counted()
            untracked = prog["untracked"][0].value
        if lru:
            assert untracked == 0 and len(entries) <= 3 and entries.get(senders[-1]) == 50
        else:
            assert entries == {s: 50 for s in senders[:3]} and untracked == 150


def test_pinned_map_is_read_and_written_by_bpftool_then_unpinned(net):
    with Program("xdp_top_talkers") as prog, prog.xdp(net["server"]):
        traffic.send(net, "client", traffic.udp(net, "client", "server", src_ip="198.18.5.5"), count=7)
        wait_until(lambda: sum(v.packets for v in prog["talkers"].values()) >= 7, what="the 7 packets counted")
        with maps.pinned(prog["talkers"], "talkers") as pin:
            assert pin.parent == maps.pin_dir() and pin.exists()
            dump = maps.bpftool("map", "dump", "pinned", str(pin))
            assert [maps.raw(e) for e in dump] == [
                (bytes([198, 18, 5, 5]), (7).to_bytes(8, "little") + (7 * 60).to_bytes(8, "little"))
            ]
            maps.bpftool(
                "map",
                "update",
                "pinned",
                str(pin),
                "key",
                "198",
                "18",
                "9",
                "9",
                "value",
                "hex",
                *maps.hexbytes(42, 8),
                *maps.hexbytes(4200, 8),
            )
            leaf = prog["talkers"][prog["talkers"].Key(maps.ipv4_key("198.18.9.9"))]
            assert (leaf.packets, leaf.bytes) == (42, 4200)
        assert not pin.exists() and not pin.parent.exists()


def test_pin_is_removed_when_the_block_raises_and_bad_input_is_one_sentence(net):
    with Program("xdp_top_talkers") as prog:
        with pytest.raises(ZeroDivisionError):
            with maps.pinned(prog["talkers"], "talkers") as pin:
                1 / 0  # noqa: B018 (the error inside the with is the test)
        assert not pin.exists()
        with pytest.raises(LabError, match="plain file name"):
            with maps.pinned(prog["talkers"], "../escape"):
                pass
        with maps.pinned(prog["talkers"], "talkers"):
            with pytest.raises(LabError, match="could not pin"):
                with maps.pinned(prog["talkers"], "talkers"):
                    pass
    with pytest.raises(LabError, match="bpftool map show pinned"):
        maps.bpftool("map", "show", "pinned", "/sys/fs/bpf/ebpflab/no-such-pin")


@pytest.mark.parametrize("kind", ["ring", "perf"])
def test_event_buffers_account_for_every_packet(net, kind):
    with Program("xdp_events", defines={"USE_PERF": kind == "perf", "RING_PAGES": 1}) as prog, prog.xdp(net["server"]):
        got = []
        if kind == "perf":
            prog["events"].open_perf_buffer(lambda c, d, s: got.append(1), page_cnt=1)
        else:
            prog["events"].open_ring_buffer(lambda c, d, s: got.append(1))
        sent = traffic.send(net, "client", traffic.udp(net, "client", "server"), count=1000)
        wait_until(
            lambda: sum(v.value for v in prog["stats"].values()) >= sent.packets,
            what="every packet submitted or dropped",
        )
        if kind == "perf":
            prog.bpf.perf_buffer_poll(100)
        else:
            prog.bpf.ring_buffer_consume()
        submitted, dropped = (v.value for v in prog["stats"].values())
    assert submitted + dropped == sent.packets == 1000
    assert len(got) == submitted and dropped > 0
