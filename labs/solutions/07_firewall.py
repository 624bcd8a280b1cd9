"""Reference solutions of lab 07 (an XDP firewall driven from Python)."""

# %% exercise: web
web_rule = fw.block_port(80, "tcp")

# %% exercise: prefix
bad_block = "198.18.0.64/26"
