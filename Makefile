# Two commands: `make lab` and `make test`. Each installs what is missing first.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: lab test bench setup system venv bpf doctor cleanup clean distro-test

lab: setup ## install what is missing, then serve JupyterLab on 127.0.0.1
	@$(SUDO) $(VENV)/bin/ebpflab lab

test: EXTRA_PACKAGES = prometheus vagrant stress-ng netsniff-ng chromium
test: setup ## install what is missing, then run every test (real kernel, real packets)
	@$(SUDO) $(PY) -m pytest $(PYTEST_ARGS)

bench: EXTRA_PACKAGES = netsniff-ng
bench: setup ## print the benchmark tables (not tests)
	@$(SUDO) $(PY) -m bench

setup: system venv bpf

system:
	@$(SUDO) scripts/setup.sh $(EXTRA_PACKAGES)

venv: $(VENV)/.installed

# The venv is made from the system Python with its site-packages so that `import bcc`
# (a distribution package, not on PyPI) works inside it.
$(VENV)/.installed: pyproject.toml
	@echo "ebpflab setup: creating $(VENV) and installing the Python packages"
	@/usr/bin/python3 -m venv --system-site-packages $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $@

# `make test` on a brand-new minimal Debian or Ubuntu (debootstrap, cached in /var/cache/ebpflab), as a new user runs it.
DISTRO ?= debian-13
distro-test: ## DISTRO=debian-13|debian-12|ubuntu-24.04: the committed checkout's `make test` on a fresh root filesystem
	@$(SUDO) scripts/distro-test.sh $(DISTRO)

# Lab 11's CO-RE objects: clang compiles bpf/*.bpf.c once, against build/vmlinux.h, which bpftool
# dumps from the running kernel's BTF. Both are build products under build/ (never committed).
# ebpflab/libbpf.py compiles with the same flags when an object is missing or stale.
BPF_OBJS := $(patsubst bpf/%.bpf.c,build/%.bpf.o,$(wildcard bpf/*.bpf.c))

bpf: $(BPF_OBJS)

build/vmlinux.h:
	@test -e /sys/kernel/btf/vmlinux || { echo "ebpflab setup: this kernel has no BTF (/sys/kernel/btf/vmlinux): lab 11's CO-RE programs need CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
	@mkdir -p build
	@echo "ebpflab setup: generating $@ from the kernel's BTF (bpftool)"
	@bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

build/%.bpf.o: bpf/%.bpf.c build/vmlinux.h
	@echo "ebpflab setup: compiling $< (clang -target bpf)"
	@clang -target bpf -g -O2 -Ibuild -Ibpf -c $< -o $@

doctor: setup
	@$(SUDO) $(VENV)/bin/ebpflab doctor

# The kernel-sensitive tests on a Debian release's own kernel, booted with QEMU (scripts/vm-test.sh).
.PHONY: vm-test
vm-test: ## build (cached) and boot a Debian image: make vm-test KERNEL=debian-12|debian-13
	@$(SUDO) scripts/vm-test.sh $(KERNEL)

# The VM route for real: the box `make box` built, `vagrant up` with libvirt (QEMU, no KVM needed) in
# a network namespace of its own, step by step (scripts/vagrant-test.sh); 45-60 minutes on a busy machine.
.PHONY: vagrant-test
vagrant-test: ## add build/box's box (VAGRANT_TEST_BOX=.../metadata.json for another), vagrant up, check, destroy
	@$(SUDO) scripts/vagrant-test.sh

cleanup:
	@$(SUDO) $(VENV)/bin/ebpflab cleanup

clean:
	rm -rf $(VENV) build tests/artifacts *.egg-info
