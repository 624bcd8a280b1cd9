#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# `make vagrant-test`: the VM route for real. Adds the box `make box` built (build/box/metadata.json,
# checksums checked) to a Vagrant home of its own, then `vagrant up --provider=libvirt` with the
# checkout's Vagrantfile and libvirt's qemu driver (TCG: no KVM needed), and checks, step by step,
# what a participant relies on: SSH and /vagrant, the JupyterLab service on the forwarded port
# only, the host end on 127.0.0.1 only, the token, `ebpflab doctor`, notebook 02 with its
# solutions, the token and service across `vagrant halt` + `vagrant up`, and a `vagrant destroy`
# that leaves nothing behind.
# libvirtd runs inside a network namespace this script creates, never in the root namespace; all
# of it (domain, volumes, networks, daemons, namespace, temp dir) goes at the end, also on failure
# or Ctrl-C. Without KVM it took 43 minutes on a two-core machine under heavy load (2026-12-07).
# Environment: VAGRANT_TEST_BOX (the metadata.json, default build/box/metadata.json),
# VAGRANT_TEST_KEEP=1 (keep the temp dir with the logs).
set -euo pipefail

# All of it in one function: bash reads a function whole before running it, so editing this
# file during a run cannot change the run.
main() {
say() { echo "vagrant-test: $*"; }
die() { echo "vagrant-test: $*" >&2; exit 2; }

[ $# = 0 ] || die "takes no arguments (the box: VAGRANT_TEST_BOX=/path/to/metadata.json), got '$*'."
[ "$(id -u)" = 0 ] || die "run as root (or through sudo): it installs packages and starts libvirtd in a namespace."
src=$(cd "$(dirname "$0")/.." && pwd)
meta=${VAGRANT_TEST_BOX:-$src/build/box/metadata.json}
[ -f "$meta" ] || die "no box catalogue at $meta: run \`make box\` first (or set VAGRANT_TEST_BOX)."
boxdir=$(cd "$(dirname "$meta")" && pwd)
meta=$boxdir/$(basename "$meta")
libvirt_pid=$(cat /run/libvirtd.pid 2>/dev/null || true)
if [ -n "$libvirt_pid" ] && kill -0 "$libvirt_pid" 2>/dev/null; then
  die "a libvirtd already runs (pid $libvirt_pid): this test starts its own in a namespace; stop that one first."
fi

t0=$(date +%s)
summary=()
step_start=0
begin() { step_start=$(date +%s); say "$1 ..."; }
ok() {  # the step's name and its time
  local took=$(( $(date +%s) - step_start ))
  summary+=("$1 ${took}s")
  say "ok ($took s): $1${2:+ - $2}"
}
fail() { say "FAILED: $*"; exit 1; }

# --- packages ----------------------------------------------------------------------------------
begin "packages"
# libvirt-daemon-system-sysv: the other alternative pulls in systemd-sysv.
pkgs=(vagrant vagrant-libvirt libvirt-daemon-system libvirt-daemon-system-sysv qemu-system-x86 qemu-utils
      dnsmasq-base rsync curl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "ok installed" >/dev/null || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  # The packages' scripts would start libvirtd in the root namespace: refused while they install.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends \
    "${missing[@]}" >/dev/null || { [ -z "$policy" ] || rm -f "$policy"; die "installing ${missing[*]} failed."; }
  [ -z "$policy" ] || rm -f "$policy"
fi
ok packages "${#missing[@]} installed"

# --- a namespace, libvirtd inside it, and the teardown -----------------------------------------
work=$(mktemp -d /tmp/ebpflab-vagrant-test.XXXXXX)
ns=ebpflab-vagrant-$$
export LIBVIRT_DEFAULT_URI=qemu:///system
virsh_names() { virsh "$@" 2>/dev/null | sed '/^$/d' | sort; }
volumes() { virsh vol-list "$1" 2>/dev/null | awk 'NR > 2 && NF {print $1}' | sort; }
in_ns() { ip netns exec "$ns" "$@"; }
vg() {  # vagrant in vagrant/, inside the namespace, with this run's own home and state
  (cd "$src/vagrant" && in_ns env VAGRANT_HOME="$work/home" VAGRANT_DOTFILE_PATH="$work/dot" \
    VAGRANT_CHECKPOINT_DISABLE=1 VAGRANT_NO_COLOR=1 VAGRANT_DEFAULT_PROVIDER=libvirt \
    EBPFLAB_LIBVIRT_DRIVER=qemu EBPFLAB_WAIT=900 timeout --foreground 2400 vagrant "$@")  # 40 min at most
}
teardown() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ -d "$work/dot/machines" ] && ip netns list | grep -w "$ns" >/dev/null; then
    timeout 300 bash -c "$(declare -f vg in_ns); $(declare -p src work ns); vg destroy -f" >/dev/null 2>&1
  fi
  if [ -n "${before_domains+x}" ] && virsh version >/dev/null 2>&1; then
    # What this run added and destroy left: removed here, by name.
    for d in $(comm -13 <(echo "$before_domains") <(virsh_names list --all --name)); do
      virsh destroy "$d" >/dev/null 2>&1; virsh undefine "$d" --nvram >/dev/null 2>&1 || virsh undefine "$d" >/dev/null 2>&1
    done
    for n in $(comm -13 <(echo "$before_networks") <(virsh_names net-list --all --name)); do
      virsh net-destroy "$n" >/dev/null 2>&1; virsh net-undefine "$n" >/dev/null 2>&1
    done
    for p in $(comm -13 <(echo "$before_pools") <(virsh_names pool-list --all --name)); do
      for v in $(volumes "$p"); do virsh vol-delete --pool "$p" "$v" >/dev/null 2>&1; done
      virsh pool-destroy "$p" >/dev/null 2>&1; virsh pool-undefine "$p" >/dev/null 2>&1
    done
    for p in $(comm -12 <(echo "$before_pools") <(virsh_names pool-list --all --name)); do
      for v in $(comm -13 <(echo "${before_volumes[$p]:-}") <(volumes "$p")); do
        virsh vol-delete --pool "$p" "$v" >/dev/null 2>&1
      done
    done
  fi
  if ip netns list | grep -w "$ns" >/dev/null; then
    # Every process left in the namespace is this run's: libvirtd, virtlogd, dnsmasq, QEMU, ssh -L.
    for pid in $(ip netns pids "$ns"); do kill "$pid" 2>/dev/null; done
    for _ in $(seq 20); do [ -z "$(ip netns pids "$ns")" ] && break; sleep 0.5; done
    for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns"
  fi
  rm -f /run/libvirtd.pid /run/virtlogd.pid
  if [ -n "${VAGRANT_TEST_KEEP:-}" ] || [ "$rc" != 0 ]; then say "logs kept in $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap teardown EXIT
trap 'say "interrupted"; exit 130' INT TERM

begin "libvirtd in namespace $ns"
ip netns add "$ns"
in_ns ip link set lo up
in_ns virtlogd -d -p /run/virtlogd.pid
in_ns libvirtd -d --pid-file=/run/libvirtd.pid
# (libvirt probes QEMU's capabilities first: 15-70 s here)
for _ in $(seq 90); do virsh version >/dev/null 2>&1 && break; sleep 2; done
caps=$(virsh capabilities 2>/dev/null || true)
[[ $caps == *"<domain type='qemu'"* ]] || fail "libvirtd did not start (or offers no QEMU domains) within 3 minutes."
before_domains=$(virsh_names list --all --name)
before_networks=$(virsh_names net-list --all --name)
before_pools=$(virsh_names pool-list --all --name)
declare -gA before_volumes=()
for p in $before_pools; do before_volumes[$p]=$(volumes "$p"); done
ok "libvirtd in a namespace" "pid $(cat /run/libvirtd.pid)"

# --- the box -----------------------------------------------------------------------------------
begin "vagrant box add from $meta"
pinned=$(sed -n 's/^BOX_VERSION = "\(.*\)"$/\1/p' "$src/vagrant/Vagrantfile")
built=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["versions"][0]["version"])' "$meta" 2>/dev/null || true)
[ "$built" = "$pinned" ] || fail "$meta holds version '$built', but vagrant/Vagrantfile pins '$pinned': run make box again (it builds the version the Vagrantfile pins)."
vg box add --provider libvirt "file://$meta" >"$work/box-add.log" 2>&1 || { tail -n 5 "$work/box-add.log"; fail "vagrant box add failed."; }
grep -q "checksum" "$work/box-add.log" || fail "vagrant box add compared no checksum (metadata.json lacks checksum/checksum_type)."
ok "box add" "$(sed -n "s/.*Successfully added box '\([^']*\)' (\(v[^)]*\)) for '\([^']*\)'.*/\1 \2 \3/p" "$work/box-add.log")"

# --- vagrant up --------------------------------------------------------------------------------
begin "vagrant up --provider=libvirt (QEMU/TCG)"
vg up --provider=libvirt >"$work/up.log" 2>&1 || { tail -n 20 "$work/up.log"; fail "vagrant up failed (log: $work/up.log)."; }
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/lab?token=[0-9a-zA-Z_-]*' "$work/up.log" | tail -n 1)
[ -n "$url" ] || fail "vagrant up printed no address with a token."
port=$(echo "$url" | sed 's|http://127.0.0.1:\([0-9]*\)/.*|\1|')
# What the box's first provisioning printed, between its setup step and the next one.
setup_out=$(sed -n '/Running provisioner: setup/,/Running provisioner: service/p' "$work/up.log" | sed '1d;$d' | grep -v 'Running: inline script' || true)
[ -z "$setup_out" ] || { say "the setup step printed:"; echo "$setup_out" | sed 's/^/    /'; }
# The box is provisioned: no package, no venv; only lab 11's objects for this checkout (build/).
other=$(echo "$setup_out" | grep -v 'ebpflab setup: \(generating build/vmlinux.h\|compiling bpf/\)' | sed '/^ *default: *$/d' || true)
[ -z "$other" ] || fail "the provisioned box's setup step did more than compile lab 11's objects."
ok "vagrant up" "setup printed $(echo -n "$setup_out" | grep -c . || true) lines"

gssh() { vg ssh -c "$1" 2> >(grep -v '^\[fog\]\[WARNING\]' >&2); }  # (vagrant-libvirt's fog warns on each call)

begin "ssh, and /vagrant holds the checkout"
want=$(cd "$src" && sha256sum Makefile vagrant/Vagrantfile labs/02_first_xdp.ipynb)
got=$(gssh 'cd /vagrant && sha256sum Makefile vagrant/Vagrantfile labs/02_first_xdp.ipynb' | tr -d '\r' || true)
[ "$got" = "$want" ] || fail "/vagrant in the VM differs from the checkout: $got"
ok "ssh and /vagrant"

begin "make setup again prints nothing"
again=$(gssh 'sudo make --no-print-directory -C /vagrant setup VENV=/opt/ebpflab/venv 2>&1' | tr -d '\r' || true)
[ -z "$again" ] || fail "a second make setup printed: $again"
ok "make setup silent"

begin "the JupyterLab service listens on the forwarded port only"
# Every TCP socket the service's processes listen on (a token-less kernel port would show here).
listen=$(gssh "sudo sh -c 'systemctl is-active --quiet ebpflab-jupyter || exit 3
  cg=\$(systemctl show -p ControlGroup --value ebpflab-jupyter)
  for pid in \$(cat /sys/fs/cgroup\$cg/cgroup.procs); do ss -Hltnp | grep \"pid=\$pid,\" ; done' | awk '{print \$4}' | sort -u" | tr -d '\r' || true)
nat=$(gssh "ip -4 -o route get 192.0.2.1 | sed -n 's/.* src \\([0-9.]*\\).*/\\1/p'" | tr -d '\r' || true)
[ "$listen" = "$nat:$port" ] || fail "the service listens on '${listen//$'\n'/ }', not $nat:$port only."
mode=$(gssh 'sudo stat -c "%a %U" /var/lib/ebpflab/jupyter-token' | tr -d '\r' || true)
[ "$mode" = "600 root" ] || fail "the token file is '$mode', not 600 root."
ok "service on the forwarded port only" "$listen, token file $mode"

begin "the host end listens on 127.0.0.1 only"
host_listen=$(in_ns ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u | paste -sd ' ')
[ "$host_listen" = "127.0.0.1:$port" ] || fail "the host end listens on '$host_listen', not 127.0.0.1:$port only."
ok "host end on 127.0.0.1" "$host_listen"

begin "the token: 403 without it, 200 with the one vagrant up printed"
status() { in_ns curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$1" || true; }
without=$(status "http://127.0.0.1:$port/api/status")
with=$(status "http://127.0.0.1:$port/api/status?token=${url##*token=}")
[ "$without" = 403 ] && [ "$with" = 200 ] || fail "/api/status answered $without without the token and $with with it."
ok "token" "$without without, $with with"

begin "sudo ebpflab doctor"
gssh 'sudo ebpflab doctor' 2>&1 | tr -d '\r' >"$work/doctor.log" || true
grep -q '^ready for the labs\.' "$work/doctor.log" && ! grep -q '✘' "$work/doctor.log" \
  || { cat "$work/doctor.log"; fail "ebpflab doctor is not ready for the labs."; }
ok "doctor" "$(grep -c '^✔' "$work/doctor.log") ✔, $(grep -c '^–' "$work/doctor.log") –, $(sed -n 's/^✔ kernel *//p' "$work/doctor.log")"

begin "notebook 02 with its solutions, in the VM"
# The suite's own runner (tests/kernel/test_notebooks.py), this one notebook.
gssh 'cd /vagrant && sudo /opt/ebpflab/venv/bin/python -m pytest -q -p no:cacheprovider "tests/kernel/test_notebooks.py::test_notebook_with_solutions[02_first_xdp]"' \
  >"$work/notebook.log" 2>&1 || { tail -n 30 "$work/notebook.log"; fail "notebook 02 failed in the VM."; }
ok "notebook 02" "$(grep -E '[0-9]+ passed' "$work/notebook.log" | tr -d '\r=' | sed 's/^ *//;s/ *$//' | tail -n 1)"

begin "vagrant halt, vagrant up: the same token, the service, no new provisioning output"
token_sum=$(gssh 'sudo sha256sum /var/lib/ebpflab/jupyter-token' | tr -d '\r' || true)
vg halt >"$work/halt.log" 2>&1 || fail "vagrant halt failed (log: $work/halt.log)."
vg up --provider=libvirt >"$work/up2.log" 2>&1 || { tail -n 20 "$work/up2.log"; fail "the second vagrant up failed (log: $work/up2.log)."; }
[ "$(gssh 'sudo sha256sum /var/lib/ebpflab/jupyter-token' | tr -d '\r' || true)" = "$token_sum" ] || fail "the token changed across halt and up."
grep -qF "$url" "$work/up2.log" || fail "the second vagrant up did not print the same address."
gssh 'systemctl is-active --quiet ebpflab-jupyter' || fail "the service is not active after halt and up."
[ "$(status "$url")" = 200 ] || fail "the address does not answer after halt and up."
grep -q 'Running provisioner: setup' "$work/up2.log" && fail "the second vagrant up ran the setup step again."
prov() { sed -n '/Running provisioner:/,$p' "$1" | grep -v 'Running provisioner:\|Running: inline script' | sort -u; }
new=$(comm -13 <(prov "$work/up.log") <(prov "$work/up2.log"))
[ -z "$new" ] || fail "the second vagrant up printed new provisioning output: $new"
ok "halt and up"

begin "vagrant destroy -f leaves no domain, volume or network"
vg destroy -f >"$work/destroy.log" 2>&1 || fail "vagrant destroy failed (log: $work/destroy.log)."
left=$(comm -13 <(echo "$before_domains") <(virsh_names list --all --name))
left+=$(comm -13 <(echo "$before_networks") <(virsh_names net-list --all --name))
for p in $(virsh_names pool-list --all --name); do
  # The box's base image stays in the pool by design (vagrant-libvirt's copy of the box, as
  # ~/.vagrant.d keeps the box): only the machine's own volumes count; teardown removes the rest.
  left+=$(comm -13 <(echo "${before_volumes[$p]:-}") <(volumes "$p") | grep -v '_vagrant_box_image_' || true)
done
[ -z "$left" ] || fail "vagrant destroy left: $left"
ok "destroy"

total=$(( $(date +%s) - t0 ))
say "PASS: ${#summary[@]} steps in $((total / 60)) min $((total % 60)) s ($(IFS=,; echo "${summary[*]}" | sed 's/,/, /g'))"
}
main "$@"
