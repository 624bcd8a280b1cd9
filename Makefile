# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# Two commands: `make lab` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# What needs root runs through scripts/as-root.sh, which gives back to the checkout's owner what
# root left in it: the venv, build/ and the notebooks stay the user's. sudo drops the environment:
# the kit's settings that are set go along by name (`EBPFLAB_PORT=9999 make lab` works as a user too).
KIT_ENV := $(strip $(foreach v,EBPFLAB_PORT EBPFLAB_IP EBPFLAB_PRESENT EBPFLAB_NOTEBOOK_WORKERS EBPFLAB_LANG LANG,$(if $(value $(v)),$(v)='$(value $(v))')))
ROOT  := $(SUDO) $(if $(SUDO),$(if $(KIT_ENV),env $(KIT_ENV))) scripts/as-root.sh
# Debian and Ubuntu install bpftool in /usr/sbin, which is not on a user's PATH (only root's and sudo's).
BPFTOOL := /usr/sbin/bpftool

.PHONY: lab test bench setup system venv bpf bytecode doctor cleanup clean distro-test lint format spdx

lab: setup ## install what is missing, then serve JupyterLab on 127.0.0.1
	@$(ROOT) $(VENV)/bin/ebpflab lab

test: EXTRA_PACKAGES = prometheus vagrant stress-ng netsniff-ng chromium qemu-utils
test: setup ## install what is missing, then run every test (real kernel, real packets)
	@$(ROOT) $(PY) -m pytest $(PYTEST_ARGS)

bench: EXTRA_PACKAGES = netsniff-ng
bench: setup ## print the benchmark tables (not tests)
	@$(ROOT) $(PY) -m bench

setup: system venv bpf bytecode

# A user without sudo gets one sentence instead of "sudo: command not found" (see the README), and
# one who must type a password is told why before sudo asks.
system:
	@[ -z "$(SUDO)" ] || command -v sudo >/dev/null || { echo "ebpflab: installing packages and loading eBPF programs need root: run make as root, or install sudo and add yourself to the sudo group (see the README)." >&2; exit 2; }
	@[ -z "$(SUDO)" ] || sudo -n true 2>/dev/null || echo "ebpflab: installing packages and loading eBPF programs need root: sudo asks for your password."
	@$(ROOT) scripts/setup.sh $(EXTRA_PACKAGES)

venv: $(VENV)/.installed

# Python's cache of ebpflab/, made by the user: JupyterLab and its kernels (root) then find it fresh
# and write none of theirs into the checkout. Silent, and quick when nothing changed.
bytecode: venv
	@$(PY) -m compileall -q ebpflab

# The venv is made from the system Python with its site-packages so that `import bcc`
# (a distribution package, not on PyPI) works inside it.
$(VENV)/.installed: pyproject.toml
	@echo "ebpflab setup: creating $(VENV) and installing the Python packages"
	@/usr/bin/python3 -m venv --system-site-packages $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

# `make test` on a brand-new minimal Debian or Ubuntu (debootstrap, cached in /var/cache/ebpflab), as a new user runs it.
# DISTRO_USER=root runs it as root (as CI and the VM do) instead of as a new user who may sudo.
DISTRO ?= debian-13
DISTRO_USER ?= learner
distro-test: ## DISTRO=debian-13|debian-12|ubuntu-24.04: the committed checkout's `make test` on a fresh root filesystem
	@$(SUDO) DISTRO_USER=$(DISTRO_USER) scripts/distro-test.sh $(DISTRO)

# Lab 11's CO-RE objects: clang compiles bpf/*.bpf.c once, against build/vmlinux.h, which bpftool
# dumps from the running kernel's BTF. Both are build products under build/ (never committed).
# ebpflab/libbpf.py compiles with the same flags when an object is missing or stale.
BPF_OBJS := $(patsubst bpf/%.bpf.c,build/%.bpf.o,$(wildcard bpf/*.bpf.c))

bpf: $(BPF_OBJS)

build/vmlinux.h:
	@test -e /sys/kernel/btf/vmlinux || { echo "ebpflab setup: this kernel has no BTF (/sys/kernel/btf/vmlinux): lab 11's CO-RE programs need CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
	@mkdir -p build
	@echo "ebpflab setup: generating $@ from the kernel's BTF (bpftool)"
	@$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

build/%.bpf.o: bpf/%.bpf.c build/vmlinux.h
	@echo "ebpflab setup: compiling $< (clang -target bpf)"
	@clang -target bpf -g -O2 -Ibuild -Ibpf -c $< -o $@

# Licences, linters, type checker: what tests/unit/test_lint.py runs inside `make test`, here alone
# (seconds, as any user, no root). No cache in the checkout: ruff keeps none, mypy's goes to /dev/null.
lint: venv ## reuse lint, ruff check, ruff format --check, mypy
	@$(VENV)/bin/reuse lint --quiet || $(VENV)/bin/reuse lint
	@$(VENV)/bin/ruff check --no-cache .
	@$(VENV)/bin/ruff format --no-cache --check .
	@$(VENV)/bin/mypy --cache-dir=/dev/null

# The mechanical steps, re-runnable on any tree (CONTRIBUTING.md, "Licences, linters, types").
spdx: venv ## give every file without an SPDX header the one its path decides
	@scripts/spdx-headers.sh

format: venv ## ruff format every .py file
	@$(VENV)/bin/ruff format --no-cache .

doctor: setup
	@$(ROOT) $(VENV)/bin/ebpflab doctor

# The kernel-sensitive tests on a Debian release's own kernel, booted with QEMU (scripts/vm-test.sh).
.PHONY: vm-test
vm-test: ## build (cached) and boot a Debian image: make vm-test KERNEL=debian-12|debian-13 [ARCH=amd64|arm64]
	@$(SUDO) scripts/vm-test.sh $(KERNEL) $(ARCH)

# The kit's own Vagrant boxes (libvirt, VirtualBox), a cloud image and their catalogue in build/box/,
# built from Debian's packages with vm-test's stages (scripts/box.sh, scripts/image-lib.sh).
.PHONY: box
BOX  ?= debian-13
ARCH ?= amd64
box: ## build the lab VM's boxes: make box BOX=debian-13|debian-12 [ARCH=amd64|arm64] [BOX_BASE_URL=https://...]
	@$(SUDO) env BOX_BASE_URL="$(BOX_BASE_URL)" BOX_VERSION="$(BOX_VERSION)" BOX_DISK_GB="$(BOX_DISK_GB)" \
	  scripts/box.sh $(BOX) $(ARCH)

# The libvirt box `make box` built, booted with QEMU as it is (no Vagrant, no libvirt, no root): SSH as vagrant,
# the service, the token, the doctor (scripts/box-boot-test.sh). arm64 under TCG: about 6 minutes.
.PHONY: box-boot-test
box-boot-test: ## boot build/box's libvirt box with QEMU and check it: make box-boot-test BOX=... ARCH=amd64|arm64
	@scripts/box-boot-test.sh $(BOX) $(ARCH)

# The VM route for real: the box `make box` built, `vagrant up` with libvirt (QEMU, no KVM needed) in
# a network namespace of its own, step by step (scripts/vagrant-test.sh); 45-60 minutes on a busy machine.
.PHONY: vagrant-test
vagrant-test: ## add build/box's box (VAGRANT_TEST_BOX=.../metadata.json for another), vagrant up, check, destroy
	@$(SUDO) scripts/vagrant-test.sh

cleanup:
	@$(ROOT) $(VENV)/bin/ebpflab cleanup

clean:
	rm -rf $(VENV) build tests/artifacts *.egg-info
