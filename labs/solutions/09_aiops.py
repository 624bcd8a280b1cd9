"""Reference solutions of lab 09 (monitor → detect → act)."""

# %% exercise: floor
MIN_RATE = 1000  # twice the loudest benign burst (~450 pkt/s), a third of the flood
