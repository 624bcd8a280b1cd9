# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Reference solutions for labs/02_first_xdp.ipynb (the test suite substitutes them for the stubs)."""

# %% exercise: size-limit
SIZE_LIMIT_C = r"""
#include <uapi/linux/bpf.h>

int xdp_size_limit(struct xdp_md *ctx)
{
    if (ctx->data_end - ctx->data > MAX_LEN)
        return XDP_DROP;
    return XDP_PASS;
}
"""
