# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/10_runtime_security.ipynb (the test suite substitutes them for the stubs)."""


# %% exercise: secret-rule
def secret_rule(secret_dir, server):
    """The arguments of one mon.deny(...) call: no program in server's namespace may open a file in secret_dir."""
    return dict(kind="open", path=f"{secret_dir}/*", netns=server)


# %% exercise: keep-filter
KEEP_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    return e->netns == SERVER_NETNS && e->kind == EXEC;
}
"""

# %% exercise: audit-opens
AUDIT_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    if (e->kind != OPEN || e->uid != WATCH_UID)
        return 0;
    // WATCH_DIR is a string literal: its length is a constant, so the loop unrolls into straight code
#pragma unroll
    for (int i = 0; i < sizeof(WATCH_DIR) - 1 && i < PATH_LEN; i++)
        if (e->path[i] != WATCH_DIR[i])
            return 0;
    return 1;
}
"""
