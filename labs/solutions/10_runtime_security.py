# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/10_runtime_security.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: secret-rule
SECRET_RULE = dict(kind="open", path=f"{SECRET_DIR}/*", netns=net["server"])

# %% exercise: keep-filter
KEEP_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    return e->netns == SERVER_NETNS && e->kind == EXEC;
}
"""
