#!/bin/sh

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# Inside the `make vm-test` image (scripts/vm-test.sh installs this as ebpflab-vm-test.service,
# output on the serial console): check the JupyterLab service the provisioning installed, run
# the tests listed in /etc/ebpflab-vm-tests, print pytest's summary for the host, save the
# verifier gallery's logs (scripts/save-verifier-logs.py), power off.
set -u
venv=${EBPFLAB_VENV:-/opt/ebpflab/venv}
port=${EBPFLAB_PORT:-8888}
cd /vagrant || exit 1
dmesg -n 1  # kernel messages off the console: it carries the results
echo "EBPFLAB-VM: kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME"), $(nproc) CPUs"
rc=0

# The service: listening within 5 minutes (TCG is slow), on 127.0.0.1 only, token required.
for _ in $(seq 300); do
  ss -Hltn "sport = :$port" | grep -q LISTEN && break
  sleep 1
done
listen=$(ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u | paste -sd ' ')
token=/var/lib/ebpflab/jupyter-token
if [ "$listen" != "127.0.0.1:$port" ]; then
  echo "EBPFLAB-VM: FAIL service: listens on '${listen}', not 127.0.0.1:$port only"; rc=1
  systemctl status --no-pager ebpflab-jupyter.service | tail -n 20
elif ! "$venv/bin/python" - "$port" <<'EOF'
import sys, urllib.request, urllib.error
from ebpflab import labserver
port = sys.argv[1]
def status(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
base = f"http://127.0.0.1:{port}/api/status"
without, with_token = status(base), status(f"{base}?token={labserver.token()}")
print(f"EBPFLAB-VM: service /api/status: {without} without the token, {with_token} with it")
sys.exit(0 if without == 403 and with_token == 200 else 1)
EOF
then
  echo "EBPFLAB-VM: FAIL service: the token is not required or not accepted"; rc=1
fi
if [ "$rc" = 0 ]; then
  mode=$(stat -c '%a %U' $token 2>/dev/null)
  echo "EBPFLAB-VM: service ebpflab-jupyter listens on $listen; token file mode $mode"
  [ "$mode" = "600 root" ] || { echo "EBPFLAB-VM: FAIL token file is not 0600 root"; rc=1; }
fi

# The tests, each with its duration; the output goes to the console as it comes. Under emulation a
# notebook cell may take longer than the suite's 5 min bound (lab 05's 36 compiles on arm64 under TCG).
export EBPFLAB_CELL_TIMEOUT=${EBPFLAB_CELL_TIMEOUT:-1800}
# Likewise a compile that includes kernel headers (lab 08's kprobe route: 140-200 s on amd64 under TCG)
# outlasts the loader's 120 s, a bound set for real machines.
export EBPFLAB_COMPILE_TIMEOUT=${EBPFLAB_COMPILE_TIMEOUT:-900}
set -f  # test ids hold brackets: no globbing
# shellcheck disable=SC2046
{ "$venv/bin/python" -m pytest -v -p no:cacheprovider --durations=0 --durations-min=0 \
    $(cat /etc/ebpflab-vm-tests) 2>&1; echo "pytest exit status $?" >/tmp/pytest.rc; } | tee /tmp/pytest.log
grep -qx "pytest exit status 0" /tmp/pytest.rc || rc=1
# This kernel's verifier logs of the gallery, fixtures for tests/unit (the host copies them out).
"$venv/bin/python" scripts/save-verifier-logs.py /var/tmp/verifier_logs 2>&1 | sed 's/^/EBPFLAB-VM: /'
echo "EBPFLAB-VM-SUMMARY: $(grep -E '^=+ .* in [0-9.]+s' /tmp/pytest.log | tail -n 1 | tr -d '=' | sed 's/^ *//; s/ *$//')"
echo "EBPFLAB-VM-RC: $rc"
sync
