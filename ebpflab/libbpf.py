# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Load a compiled CO-RE object with the distribution's libbpf, through ctypes (lab 11).

BCC compiles C on the participant's machine against that kernel's headers. The libbpf way
compiles once with clang (``make`` builds ``bpf/*.bpf.c`` into ``build/*.bpf.o``); the object
carries BTF and CO-RE relocations, and libbpf fixes it up for whatever kernel it is loaded on::

    with CoreProgram("xdp_count", knobs={"xdp_action": XDP_DROP}) as prog, prog.xdp(net["server"]):
        ...                      # traffic; read prog["counts"][0]

Same order and shape as ``loader.Program``: build (compile if needed, open the object, set the
read-only globals), load (the verifier runs), attach, detach, destroy; ``load()``, ``fd()``,
``xdp()`` and ``ring_buffer()`` are called as on BCC's ``Program``. This is a thin binding over a
dozen functions of libbpf 1.1 (Debian 12's ``libbpf1``; Debian 13 has 1.5), not a general
Python binding for libbpf — none is maintained for this Python, and this one does not pretend
to be. libbpf's messages (the verifier log among them) go to stderr and are captured there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno as errno_mod
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

from . import BPF_DIR, REPO, rings, xdp
from .errors import CompileError, LabError, VerifierError
from .messages import _
from .netlab import Host, socket_if_nametoindex
from .system import capture_stderr, require_root

BUILD_DIR = REPO / "build"
VMLINUX_H = BUILD_DIR / "vmlinux.h"
KERNEL_BTF = Path("/sys/kernel/btf/vmlinux")
# The Makefile's rule for build/%.bpf.o uses these same flags (a test keeps them equal).
CLANG_FLAGS = ["-target", "bpf", "-g", "-O2"]
BTF_KIND_DATASEC = 15
# int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size)
_SAMPLE_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
XDP_PASS, XDP_DROP = 2, 1


# --- the C library ---------------------------------------------------------------------------
class _Lib:
    """libbpf.so.1 with the prototypes this module uses (all present in libbpf 1.1)."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("bpf") or "libbpf.so.1"
        try:
            lib = ctypes.CDLL(name, use_errno=True)
        except OSError:
            raise LabError(
                _("libbpf is not installed: run `make lab` (it installs libbpf1), or `apt-get install libbpf1`.")
            ) from None
        P, I, U, S = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_char_p  # noqa: E741 (C's int, beside P, U, S)
        for fn, res, args in [
            ("libbpf_version_string", S, []),
            ("bpf_object__open_file", P, [S, P]),
            ("bpf_object__load", I, [P]),
            ("bpf_object__close", None, [P]),
            ("bpf_object__btf", P, [P]),
            ("bpf_object__find_program_by_name", P, [P, S]),
            ("bpf_object__find_map_by_name", P, [P, S]),
            ("bpf_program__fd", I, [P]),
            ("bpf_program__attach", P, [P]),
            ("bpf_link__destroy", I, [P]),
            ("bpf_map__fd", I, [P]),
            ("bpf_map__key_size", U, [P]),
            ("bpf_map__value_size", U, [P]),
            ("bpf_map__max_entries", U, [P]),
            ("bpf_map__initial_value", P, [P, ctypes.POINTER(ctypes.c_size_t)]),
            ("bpf_map__set_initial_value", I, [P, P, ctypes.c_size_t]),
            ("bpf_map_lookup_elem", I, [I, P, P]),
            ("bpf_map_update_elem", I, [I, P, P, ctypes.c_uint64]),
            ("ring_buffer__new", P, [I, _SAMPLE_FN, P, P]),
            ("ring_buffer__poll", I, [P, I]),
            ("ring_buffer__consume", I, [P]),
            ("ring_buffer__free", None, [P]),
            ("bpf_xdp_attach", I, [I, I, U, P]),
            ("bpf_xdp_detach", I, [I, U, P]),
            ("btf__find_by_name_kind", ctypes.c_int32, [P, S, U]),
            ("btf__type_by_id", P, [P, U]),
            ("btf__name_by_offset", S, [P, U]),
        ]:
            f = getattr(lib, fn)
            f.restype, f.argtypes = res, args
        self.lib = lib

    def __getattr__(self, name: str) -> Any:
        return getattr(self.lib, name)


_lib: _Lib | None = None


def lib() -> _Lib:
    """The distribution's libbpf, opened once."""
    global _lib
    if _lib is None:
        _lib = _Lib()
    return _lib


def version() -> str | None:
    """libbpf's version ("v1.1"), or None when libbpf1 is not installed."""
    try:
        return lib().libbpf_version_string().decode()
    except LabError:
        return None


def _err(ret: int | None = None) -> str:
    code = -ret if ret is not None and ret < 0 else ctypes.get_errno()
    return os.strerror(code or errno_mod.EINVAL)


# --- build: clang, once, into an object that carries BTF --------------------------------------
def vmlinux_h() -> Path:
    """build/vmlinux.h: every type of the running kernel, dumped from its BTF by bpftool."""
    if VMLINUX_H.exists():
        return VMLINUX_H
    if not KERNEL_BTF.exists():
        raise LabError(
            _(
                "this kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE programs need a kernel "
                "built with CONFIG_DEBUG_INFO_BTF=y (Debian's kernels are)."
            )
        )
    # Debian installs it in /usr/sbin, which a PATH inherited from an ordinary user lacks.
    bpftool = shutil.which("bpftool") or shutil.which("bpftool", path="/usr/sbin:/sbin")
    if bpftool is None:
        raise LabError(_("bpftool is not installed: run `make lab` (it installs bpftool)."))
    BUILD_DIR.mkdir(exist_ok=True)
    res = subprocess.run(
        [bpftool, "btf", "dump", "file", str(KERNEL_BTF), "format", "c"], capture_output=True, text=True
    )
    if res.returncode != 0:
        raise LabError(_("bpftool could not dump the kernel's BTF: {error}", error=res.stderr.strip()))
    tmp = VMLINUX_H.with_suffix(".tmp")
    tmp.write_text(res.stdout)
    tmp.replace(VMLINUX_H)
    return VMLINUX_H


def compile_object(source: Path, out: Path) -> Path:
    """Compile one ``.bpf.c`` file with clang into a CO-RE object (what `make` does for bpf/)."""
    clang = shutil.which("clang")
    if clang is None:
        raise LabError(_("clang is not installed: run `make lab` (it installs clang and llvm)."))
    vmlinux_h()
    out.parent.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(
        [clang, *CLANG_FLAGS, f"-I{BUILD_DIR}", f"-I{BPF_DIR}", "-c", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        raise CompileError(_("{file} did not compile:", file=source.name), res.stderr)
    return out


def resolve_object(source: str | Path) -> tuple[str, Path]:
    """(name, object) for a program in ``bpf/NAME.bpf.c``, for C text (compiled when stale), or a compiled ``.o``."""
    if isinstance(source, Path) and source.suffix == ".o":  # compiled elsewhere (a check's temporary directory)
        if not source.is_file():
            raise LabError(_("no compiled object {path}", path=source))
        return source.name.removesuffix(".o").removesuffix(".bpf"), source
    text = str(source)
    if "\n" in text or "{" in text:  # C text from a notebook cell
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        src = BUILD_DIR / "cells" / f"cell-{digest}.bpf.c"
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(text)
        obj = src.with_suffix(".o")
        if not obj.exists():
            compile_object(src, obj)
        return "<text>", obj
    name = Path(text).name.removesuffix(".o").removesuffix(".c").removesuffix(".bpf")
    src = BPF_DIR / f"{name}.bpf.c"
    obj = BUILD_DIR / f"{name}.bpf.o"
    if src.exists() and (not obj.exists() or obj.stat().st_mtime < src.stat().st_mtime):
        compile_object(src, obj)
    if not obj.exists():
        known = ", ".join(sorted(p.name.removesuffix(".bpf.c") for p in BPF_DIR.glob("*.bpf.c")))
        raise LabError(_("no CO-RE program {name!r}; programs in bpf/*.bpf.c: {known}", name=name, known=known))
    return name, obj


# --- maps ------------------------------------------------------------------------------------
class CoreMap:
    """An array or hash map of integers, read and written through its file descriptor."""

    def __init__(self, name: str, ptr: int) -> None:
        L = lib()
        self.name = name
        self.fd = L.bpf_map__fd(ptr)
        self.key_size = L.bpf_map__key_size(ptr)
        self.value_size = L.bpf_map__value_size(ptr)
        self.max_entries = L.bpf_map__max_entries(ptr)

    def _key(self, key: int) -> ctypes.Array:
        return ctypes.create_string_buffer(int(key).to_bytes(self.key_size, sys.byteorder), self.key_size)

    def __getitem__(self, key: int) -> int:
        value = ctypes.create_string_buffer(self.value_size)
        if lib().bpf_map_lookup_elem(self.fd, self._key(key), value) != 0:
            raise LabError(_("map {map} has no key {key!r} ({error})", map=self.name, key=key, error=_err()))
        return int.from_bytes(value.raw, sys.byteorder)

    def __setitem__(self, key: int, value: int) -> None:
        buf = ctypes.create_string_buffer(int(value).to_bytes(self.value_size, sys.byteorder), self.value_size)
        if lib().bpf_map_update_elem(self.fd, self._key(key), buf, 0) != 0:
            raise LabError(_("could not write key {key!r} of map {map}: {error}", key=key, map=self.name, error=_err()))

    def values(self) -> list[int]:
        """Every slot of an array map, in key order."""
        return [self[k] for k in range(self.max_entries)]

    def clear(self) -> None:
        """Set every slot of an array map to zero."""
        for k in range(self.max_entries):
            self[k] = 0


# --- the program: build, load, attach, detach, destroy ------------------------------------------
class CoreProgram:
    """A CO-RE object loaded by libbpf; a context manager that closes it on exit (lab 11)."""

    def __init__(self, source: str | Path, knobs: Mapping[str, int] | None = None) -> None:
        self.source = source
        self.knobs = dict(knobs or {})
        self.name = ""
        self.path: Path | None = None
        self.obj: int | None = None
        self.loaded = False
        self.closed = False
        self.log = ""

    def __enter__(self) -> CoreProgram:
        self.build()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def build(self) -> CoreProgram:
        """Compile if needed, open the object and write the knobs into its read-only globals."""
        require_root(_("loading eBPF programs"))
        self.name, self.path = resolve_object(self.source)
        with capture_stderr() as cap:
            obj = lib().bpf_object__open_file(str(self.path).encode(), None)
        if not obj:
            raise LabError(
                _(
                    "libbpf could not open {file}: {error} {log}",
                    file=self.path.name,
                    error=_err(),
                    log=cap.text.strip(),
                ).strip()
            )
        self.obj = obj
        if self.knobs:
            self._set_rodata(self.knobs)
        return self

    def read_only_globals(self) -> dict[str, int]:
        """The ``const volatile`` globals of the object (.rodata) and their values, found through BTF."""
        _ptr, layout, data = self._rodata()
        return {name: int.from_bytes(data[off : off + size], sys.byteorder) for name, (off, size) in layout.items()}

    def _rodata(self) -> tuple[int, dict[str, tuple[int, int]], bytes]:
        """(map, {name: (offset, size)}, bytes) of the .rodata section, before load."""
        L = lib()
        if self.obj is None:
            raise LabError(_("build the program first: use `with CoreProgram(...) as prog:`"))
        ptr = L.bpf_object__find_map_by_name(self.obj, b".rodata")
        btf = L.bpf_object__btf(self.obj)
        if not ptr or not btf:
            return 0, {}, b""
        size = ctypes.c_size_t()
        init = L.bpf_map__initial_value(ptr, ctypes.byref(size))
        data = ctypes.string_at(init, size.value) if init else b""
        sec = L.btf__find_by_name_kind(btf, b".rodata", BTF_KIND_DATASEC)
        layout: dict[str, tuple[int, int]] = {}
        if sec > 0:
            t = L.btf__type_by_id(btf, sec)
            info = ctypes.c_uint32.from_address(t + 4).value
            # struct btf_type (12 bytes), then vlen * struct btf_var_secinfo {type, offset, size}
            for i in range(info & 0xFFFF):
                var, off, sz = (ctypes.c_uint32 * 3).from_address(t + 12 + 12 * i)
                name_off = ctypes.c_uint32.from_address(L.btf__type_by_id(btf, var)).value
                layout[L.btf__name_by_offset(btf, name_off).decode()] = (off, sz)
        return ptr, layout, data

    def _set_rodata(self, knobs: Mapping[str, int]) -> None:
        if self.loaded:
            raise LabError(_("read-only globals are fixed at load time: set knobs= before the program is loaded"))
        ptr, layout, data = self._rodata()
        buf = bytearray(data)
        for name, value in knobs.items():
            if name not in layout:
                if not layout:
                    raise LabError(
                        _("{program} has no read-only global {name!r}; it has: none", program=self.name, name=name)
                    )
                raise LabError(
                    _(
                        "{program} has no read-only global {name!r}; it has: {known}",
                        program=self.name,
                        name=name,
                        known=", ".join(layout),
                    )
                )
            off, size = layout[name]
            try:
                buf[off : off + size] = int(value).to_bytes(size, sys.byteorder, signed=int(value) < 0)
            except (OverflowError, TypeError, ValueError):
                raise LabError(
                    _("{name} holds {size} bytes: {value!r} does not fit", name=name, size=size, value=value)
                ) from None
        raw = ctypes.create_string_buffer(bytes(buf), len(buf))
        if lib().bpf_map__set_initial_value(ptr, raw, len(buf)) != 0:
            raise LabError(_("libbpf refused the new values of {knobs}: {error}", knobs=", ".join(knobs), error=_err()))

    def load(self) -> CoreProgram:
        """Hand the object to the kernel: libbpf relocates it (CO-RE), creates maps, the verifier runs."""
        if self.closed:
            raise LabError(
                _(
                    "{program} was destroyed when its `with` block ended: load it again in a new block",
                    program=self.name,
                )
            )
        if self.obj is None:
            self.build()
        if self.loaded:
            return self
        with capture_stderr() as cap:
            ret = lib().bpf_object__load(self.obj)
        self.log = cap.text
        if ret != 0:
            raise VerifierError(
                _("libbpf could not load {program}: {error}", program=self.name, error=_err(ret)),
                cap.text,
                program=self.name,
            )
        self.loaded = True
        return self

    def _prog(self, func: str | None) -> int:
        self.load()
        func = func or self.name
        ptr = lib().bpf_object__find_program_by_name(self.obj, func.encode())
        if not ptr:
            raise LabError(_("{program} has no program {func!r}", program=self.name, func=func))
        return ptr

    def fd(self, func: str | None = None) -> int:
        """The file descriptor of a loaded program (for BPF_PROG_TEST_RUN, bpftool …)."""
        return lib().bpf_program__fd(self._prog(func))

    def xdp(
        self, where: Host | str, func: str | None = None, mode: str = "generic", *, netns: str | None = None
    ) -> AbstractContextManager[None]:
        """Attach ``func`` at XDP on a lab host's eth0 (or on interface ``where`` in ``netns``) for the block."""
        iface, ns, label = xdp.where(where, netns)
        fd = self.fd(func)

        def attach(flags: int) -> str | None:
            ret = lib().bpf_xdp_attach(socket_if_nametoindex(iface), fd, flags, None)
            return None if ret == 0 else _err(ret)

        def detach() -> None:
            with suppress(LabError):  # the interface went away
                lib().bpf_xdp_detach(socket_if_nametoindex(iface), xdp.XDP_MODES[mode], None)

        return xdp.attached(fd, func or self.name, iface, ns, mode, label, attach, detach)

    @contextmanager
    def attach(self, func: str | None = None) -> Iterator[None]:
        """Attach where the program's SEC() says (a tracepoint …) for the block, then detach."""
        ptr = self._prog(func)
        with capture_stderr() as cap:
            link = lib().bpf_program__attach(ptr)
        if not link:
            raise LabError(
                _(
                    "could not attach {func}: {error} {log}", func=func or self.name, error=_err(), log=cap.text.strip()
                ).strip()
            )
        try:
            yield
        finally:
            lib().bpf_link__destroy(link)

    @contextmanager
    def ring_buffer(self, name: str, on_record: Callable[[bytes], Any], *, interval: float = 0.05) -> Iterator[None]:
        """Poll ring buffer ``name`` in a background thread for the block, calling ``on_record(bytes)`` (see ``rings``)."""
        errors: list[Exception] = []
        cb = _SAMPLE_FN(rings.sample_fn(on_record, errors))  # kept alive by this frame while libbpf may call it
        rb = lib().ring_buffer__new(self[name].fd, cb, None, None)
        if not rb:
            raise LabError(_("libbpf could not open ring buffer {name}: {error}", name=name, error=_err()))
        try:
            with rings.polled(
                name,
                lambda: lib().ring_buffer__poll(rb, int(interval * 1000)),
                lambda: lib().ring_buffer__consume(rb),
                errors,
            ):
                yield
        finally:
            lib().ring_buffer__free(rb)

    def __getitem__(self, name: str) -> CoreMap:
        self.load()
        ptr = lib().bpf_object__find_map_by_name(self.obj, name.encode())
        if not ptr:
            raise LabError(_("{program} has no map named {name!r}", program=self.name, name=name))
        return CoreMap(name, ptr)

    def close(self) -> None:
        """Destroy: close the object, its programs and maps (what is attached was detached first)."""
        if self.obj is not None:
            lib().bpf_object__close(self.obj)
            self.obj = None
            self.loaded = False
            self.closed = True


# --- the proof that no headers are needed ------------------------------------------------------
def without_headers(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run Python ``code`` as root in a new mount namespace where /lib/modules and /usr/src are empty."""
    require_root(_("hiding the kernel headers in a mount namespace"))
    script = 'mount -t tmpfs none /lib/modules && mount -t tmpfs none /usr/src && exec "$@"'
    try:
        return subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=str(REPO),
        )
    except subprocess.TimeoutExpired:
        raise LabError(
            _("the program in the header-less mount namespace did not finish within {timeout:.0f} s", timeout=timeout)
        ) from None
