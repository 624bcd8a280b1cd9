#!/usr/bin/env bash

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# `make distro-test DISTRO=debian-13|debian-12|ubuntu-24.04`: the README's `make test` as a new user runs
# it, on a brand-new minimal root filesystem (debootstrap --variant=minbase) on this machine's kernel.
# By default the user is an ordinary one who may sudo (DISTRO_USER, default "learner": created with
# passwordless sudo, an ordinary user's PATH, the clone in their home), and afterwards nothing in
# their clone may be root's; DISTRO_USER=root runs it as root in /srv/ebpflab, as CI and the VM do.
# Then `make lab` starts as that user: the address it prints must answer, and a notebook made through
# JupyterLab's API must be the user's.
# Ubuntu's root gets the apt sources of a fresh Ubuntu 24.04 install (main, restricted, universe,
# multiverse; noble-updates, noble-security): BCC is in universe. Ubuntu's archive key comes from the
# host's ubuntu-keyring if it has one, else from Ubuntu's keyring package, checked by fingerprint.
# The pristine root is cached under $EBPFLAB_CACHE and copied for every run, so each run starts bare;
# downloaded .deb files and pip wheels are cached too, so a rerun does not fetch them again.
# The committed checkout (HEAD, not the work tree) is cloned into the copy; pytest's summary ends the output.
# The copy is deleted afterwards (KEEP_ROOT=1 keeps it, to look inside with chroot).
set -euo pipefail

main() {  # read whole before it runs: editing this file cannot change a run already under way
say() { echo "distro-test: $*"; }
die() { echo "distro-test: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "run as root: debootstrap, chroot and the kernel tests need it."
distro=${1:-${DISTRO:-debian-13}}
case "$distro" in
  debian-13|trixie) suite=trixie ;;
  debian-12|bookworm) suite=bookworm ;;
  ubuntu-24.04|noble) suite=noble ;;
  *) die "DISTRO must be debian-13, debian-12 or ubuntu-24.04, not '$distro'." ;;
esac
src=$(git -C "${2:-.}" rev-parse --show-toplevel)
cmd=${DISTRO_TEST_CMD:-make test}
user=${DISTRO_USER:-learner}
[[ "$user" =~ ^[a-z][a-z0-9-]{0,30}$ ]] || die "DISTRO_USER must be a user name such as learner or root, not '$user'."
cache=${EBPFLAB_CACHE:-/var/cache/ebpflab}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ "$suite" = noble ]; then mirror=${UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}; fi
pristine=$cache/rootfs-$suite
root=$(mktemp -d "/var/tmp/ebpflab-distro-$suite.XXXXXX")  # one per run: runs may overlap
log=$cache/distro-test-$suite-${root##*.}.log
mkdir -p "$cache/apt-$suite" "$cache/pip"
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] \
  || say "the work tree has uncommitted changes; testing the last commit ($(git -C "$src" rev-parse --short HEAD))."

command -v debootstrap >/dev/null || { say "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
# Ubuntu Archive Automatic Signing Key (2018), which signs noble's Release files.
UBUNTU_KEY=F6ECB3762474EDA9D21B7022871920D1991BC93C
ubuntu_keyring() {  # prints a keyring holding only that key, made once from a checked source
  local out=$cache/ubuntu-archive-2018.gpg src=/usr/share/keyrings/ubuntu-archive-keyring.gpg tmp
  if [ ! -s "$out" ]; then
    tmp=$(mktemp -d)
    if [ ! -f "$src" ]; then  # Debian 12 has no ubuntu-keyring package: take Ubuntu's own
      curl -fsS -o "$tmp/k.deb" "$mirror/pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb" \
        || die "could not download Ubuntu's keyring package from $mirror."
      dpkg-deb -x "$tmp/k.deb" "$tmp/x"; src=$tmp/x/usr/share/keyrings/ubuntu-archive-keyring.gpg
    fi
    gpg -q --homedir "$tmp" --no-default-keyring --keyring "$src" --export "$UBUNTU_KEY" >"$tmp/key.gpg" 2>/dev/null
    [ -s "$tmp/key.gpg" ] || die "Ubuntu's keyring lacks the archive key $UBUNTU_KEY."
    mv "$tmp/key.gpg" "$out"; rm -rf "$tmp"
  fi
  echo "$out"
}
if [ ! -x "$pristine/usr/bin/apt-get" ]; then
  boot=(--variant=minbase)
  if [ "$suite" = noble ]; then
    boot+=(--keyring="$(ubuntu_keyring)")
    script=/usr/share/debootstrap/scripts/noble  # older debootstraps lack it; noble's is gutsy's
    [ -e "$script" ] || script=/usr/share/debootstrap/scripts/gutsy
  fi
  say "debootstrap --variant=minbase $suite into $pristine (once; cached)"
  rm -rf "$pristine.tmp"
  debootstrap "${boot[@]}" "$suite" "$pristine.tmp" "$mirror" ${script:-} >"$cache/debootstrap-$suite.log" 2>&1 \
    || die "debootstrap failed; see $cache/debootstrap-$suite.log"
  rm -rf "$pristine"; mv "$pristine.tmp" "$pristine"
fi

unmount_all() {  # everything mounted at or below the root, deepest first
  awk -v r="$root" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts | sort -r \
    | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
say "fresh copy of the $suite root in $root"
cp -a "$pristine/." "$root"; chmod 755 "$root"  # mktemp made it 0700: tests also run as nobody
stop_inside() {  # every process still running in the root (a server a command started), TERM then KILL
  local sig p left
  for sig in TERM KILL; do
    left=""
    for p in /proc/[0-9]*; do
      [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -"$sig" "${p#/proc/}" 2>/dev/null && left=1
    done
    [ -n "$left" ] || return 0
    for _ in $(seq 30); do
      left=""; for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && left=1 && break; done
      [ -n "$left" ] || return 0; sleep 0.5
    done
  done
}
finish() {
  stop_inside
  unmount_all
  if [ -n "${KEEP_ROOT:-}" ]; then return; fi
  if awk -v r="$root" 'index($2, r) == 1 {found=1} END {exit !found}' /proc/mounts; then
    say "something is still mounted under $root; left it in place"
  else
    rm -rf "$root"
  fi
}
trap finish EXIT

# `ip netns exec` remounts / as a slave, so / must be a mount point, as on a real machine.
mount --bind "$root" "$root"
for m in proc sys dev dev/pts sys/fs/bpf sys/kernel/tracing sys/kernel/debug; do
  mkdir -p "$root/$m"; mountpoint -q "/$m" && mount --bind "/$m" "$root/$m"
done
mkdir -p "$root/run/netns" "$root/root/.cache/pip"
mount --bind "$cache/apt-$suite" "$root/var/cache/apt/archives"
mount --bind "$cache/pip" "$root/root/.cache/pip"
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ "$suite" = noble ]; then  # a fresh Ubuntu 24.04's apt sources (debootstrap writes main only)
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/ubuntu.sources" <<EOF
Types: deb
URIs: $mirror
Suites: noble noble-updates noble-backports
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

Types: deb
URIs: ${UBUNTU_SECURITY_MIRROR:-http://security.ubuntu.com/ubuntu}
Suites: noble-security
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
EOF
fi
# The root trusts the host's CA bundle, so it reaches the mirrors and PyPI exactly as the host does.
envx=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl-host-ca.crt"
  envx=(PIP_CERT=/etc/ssl-host-ca.crt SSL_CERT_FILE=/etc/ssl-host-ca.crt REQUESTS_CA_BUNDLE=/etc/ssl-host-ca.crt)
fi
inside() {
  chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 CI=true "${envx[@]}" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -c "$1"
}
# The README's first step on a minimal system: make, and git to clone; for a user, sudo too (see the README).
packages="make git"; [ "$user" = root ] || packages="make git sudo"
inside "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null" \
  || die "could not install $packages inside the $suite root."
if [ "$user" = root ]; then
  home=/root; clone=/srv/ebpflab
  as_user() { inside "$1"; }
else
  home=/home/$user; clone=$home/ebpflab
  # A home of mode 0700, as Debian's installer (adduser) makes it since Debian 12.
  inside "useradd -m -s /bin/bash -G sudo $user && chmod 700 $home" || die "could not create the user $user inside the $suite root."
  # Passwordless, so the run needs no one at the keyboard; the CA variables are this harness's, as above.
  printf '%s\n' "$user ALL=(ALL:ALL) NOPASSWD: ALL" 'Defaults env_keep += "PIP_CERT SSL_CERT_FILE REQUESTS_CA_BUNDLE"' \
    >"$root/etc/sudoers.d/ebpflab-distro-test"
  chmod 440 "$root/etc/sudoers.d/ebpflab-distro-test"
  # sudo warns on every call when it cannot resolve the host's name; an installed system's /etc/hosts has it.
  grep -qw "$(hostname)" "$root/etc/hosts" 2>/dev/null || echo "127.0.1.1 $(hostname)" >>"$root/etc/hosts"
  ids=$(chroot "$root" id -u "$user"):$(chroot "$root" id -g "$user")
  mkdir -p "$cache/pip-user" "$root$home/.cache/pip"; chown "$ids" "$cache/pip-user" "$root$home/.cache" "$root$home/.cache/pip"
  mount --bind "$cache/pip-user" "$root$home/.cache/pip"
  # An ordinary user's login environment: Debian's PATH for users has no /usr/sbin.
  as_user() {
    chroot "$root" /usr/bin/setpriv --reuid="$user" --regid="$user" --init-groups /usr/bin/env -i HOME="$home" \
      USER="$user" LOGNAME="$user" TERM=dumb LANG=C.UTF-8 CI=true "${envx[@]}" \
      PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games bash -c "$1"
  }
fi
git clone -q "$src" "$root$clone"
[ "$user" = root ] || chown -R "$ids" "$root$clone"

start=$(date +%s)
set +e
say "running '$cmd' as $user in $clone in the $suite root (log: $log)"
as_user "cd $clone && $cmd" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# Setup a second time must install nothing and print nothing.
again=$(as_user "cd $clone && make -s setup" 2>&1)
# `make lab` as the user: the address it prints answers, and a notebook made through it is theirs.
port=$(( 20000 + RANDOM % 20000 )); out=$root/tmp/ebpflab-lab.out; url="" made="" lab_owner=""
as_user "cd $clone && EBPFLAB_PORT=$port exec make lab" >"$out" 2>&1 </dev/null &
lab=$!
for _ in $(seq 600); do
  url=$(grep -o "http://127.0.0.1:$port/lab?token=[0-9a-f]*" "$out"); [ -n "$url" ] && break
  kill -0 "$lab" 2>/dev/null || break; sleep 1
done
[ -n "$url" ] && made=$(python3 - "$url" 2>&1 <<'EOF'
import json, sys, time, urllib.request
base, token = sys.argv[1].split("/lab?token=")
req = urllib.request.Request(f"{base}/api/contents/", data=b'{"type": "notebook"}', method="POST",
                             headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
for _ in range(180):
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            print(json.load(r)["path"]); break
    except OSError:
        time.sleep(1)
else:
    print("no answer from JupyterLab within 3 min")
EOF
)
lab_owner=$(inside "stat -c %U '$clone/labs/$made'" 2>/dev/null)
stop_inside
# Whatever ran as root (pytest and JupyterLab through sudo), everything in the user's clone is still the user's.
if [ "$user" != root ]; then
  strangers=$(inside "find $clone ! -user $user")
  total=$(inside "find $clone | wc -l")
fi
set -e
mins=$(( ($(date +%s) - start) / 60 )); secs=$(( ($(date +%s) - start) % 60 ))
summary=$(grep -E '^=+ .*(passed|failed|error).* =+$' "$log" | tail -n 1 || true)  # none after a DISTRO_TEST_CMD
say "$distro ($suite): '$cmd' exited $rc after ${mins} min ${secs} s"
say "pytest: ${summary:-no pytest summary (see $log)}"
if [ -n "$again" ]; then
  say "a second 'make setup' was not silent:"; echo "$again"; [ "$rc" != 0 ] || rc=1
fi
say "'make lab' as $user printed:"; sed -E 's/token=[0-9a-f]+/token=…/' "$out" | sed 's/^/  | /'
if [ -n "$url" ] && [ "$lab_owner" = "$user" ]; then
  say "make lab: the address answered; a notebook made through it (labs/$made) is $user's"
else
  say "make lab: ${url:+the address answered, but }a notebook made through it: ${made:-none} (owner: ${lab_owner:-none})"; [ "$rc" != 0 ] || rc=1
fi
if [ "$user" != root ]; then
  if [ -z "$strangers" ]; then
    say "ownership: all $total entries of $clone are $user's"
  else
    say "ownership: $(wc -l <<<"$strangers") of $total entries of $clone are not $user's:"
    head -n 20 <<<"$strangers" | xargs -r -d '\n' chroot "$root" stat -c '  %U:%G %n'; [ "$rc" != 0 ] || rc=1
  fi
fi
exit "$rc"
}
main "$@"
