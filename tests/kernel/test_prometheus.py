# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Lab 09: `ebpflab export` serves the running lab's counters, and a real Prometheus scrapes them.

Prometheus is the distribution's package (Makefile: EXTRA_PACKAGES of `make test`); the test runs
its own server on 127.0.0.1 with a temporary config and storage, never the package's service.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from httputil import free_port
from waiting import wait_until

from ebpflab import traffic
from ebpflab.errors import LabError
from ebpflab.export import pin_maps, read_counters, serve
from ebpflab.firewall import Firewall
from ebpflab.monitor import monitor_program
from ebpflab.netlab import stop_process

WAIT = 45  # seconds: Prometheus starts, scrapes every second, answers queries


def get(url: str, timeout: float = 5) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def until(fn, what: str, seconds: float = WAIT):
    """wait_until ``fn`` returns something truthy, a server not listening yet (OSError) counting as not yet."""

    def attempt():
        try:
            return fn()
        except OSError:
            return None

    return wait_until(attempt, seconds, what)


@pytest.fixture
def lab(net):
    with monitor_program() as prog, prog.xdp(net["server"]):
        fw = Firewall(prog)
        with pin_maps(prog) as folder:
            yield net, prog, fw, folder
        assert not folder.exists(), "the pins must be gone once the block ends"


def send_known_traffic(net, fw) -> None:
    fw.block_source("198.18.66.6")
    traffic.send(net, "client", traffic.udp(net, "client", "server"), count=120)
    traffic.send(net, "client", traffic.tcp_syn(net, "client", "server", src_ip="198.18.66.6"), count=30)


def test_pinned_counters_are_read_by_another_reader(lab):
    net, _, fw, folder = lab
    send_known_traffic(net, fw)
    c = read_counters(folder)
    assert c["sources"][net["client"].ip]["packets"] == 120
    assert c["sources"]["198.18.66.6"] == {"packets": 30, "bytes": 30 * 54, "syns": 30, "dropped": 30}
    assert c["rules"] == {0: 120, 1: 30}


def test_export_serves_prometheus_text_on_localhost(lab):
    net, _, fw, folder = lab
    send_known_traffic(net, fw)
    with serve(0) as exp:
        text = get(exp.url)
    pid = folder.name
    assert f'ebpflab_source_packets_total{{lab="{pid}",source="{net["client"].ip}"}} 120.0' in text
    assert f'ebpflab_source_syns_total{{lab="{pid}",source="198.18.66.6"}} 30.0' in text
    assert f'ebpflab_firewall_rule_hits_total{{lab="{pid}",rule="1"}} 30.0' in text


def test_export_port_in_use_is_one_sentence():
    with serve(0) as exp, pytest.raises(LabError, match="cannot listen"):
        with serve(exp.port):
            pass


@contextmanager
def prometheus(target_port: int, tmp: Path):
    """A real Prometheus on 127.0.0.1 scraping 127.0.0.1:target_port every second; stopped on exit."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("the prometheus package is not installed (make test installs it)")
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
        f"  - job_name: ebpflab\n    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
    )
    log = open(tmp / "prometheus.log", "w")  # noqa: SIM115 (closed in the finally below)
    p = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(p, grace=10)
        log.close()


def query(base: str, promql: str) -> list[dict]:
    answer = json.loads(get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})))
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def test_a_real_prometheus_scrapes_ebpflab_export(lab, tmp_path):
    net, _, fw, folder = lab
    send_known_traffic(net, fw)
    port = free_port()
    cli = subprocess.Popen(
        [sys.executable, "-m", "ebpflab.cli", "export", "--port", str(port), "--seconds", str(WAIT + 20)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        until(
            lambda: "ebpflab_source_packets_total" in get(f"http://127.0.0.1:{port}/metrics"), "ebpflab export answered"
        )
        with prometheus(port, tmp_path) as base:
            sel = f'{{lab="{folder.name}",source="198.18.66.6"}}'
            result = until(lambda: query(base, f"ebpflab_source_dropped_total{sel}"), "Prometheus had the counter")
            assert float(result[0]["value"][1]) == 30
            client = query(base, f'ebpflab_source_packets_total{{lab="{folder.name}",source="{net["client"].ip}"}}')
            assert float(client[0]["value"][1]) == 120
            up = query(base, 'up{job="ebpflab"}')
            assert up and up[0]["value"][1] == "1"
    finally:
        cli.terminate()  # SIGTERM: the exporter stops cleanly
        out, err = cli.communicate(timeout=10)
    assert cli.returncode == 0, err
    assert "serving" in out
