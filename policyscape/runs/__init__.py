"""Run directories: recorded configuration, atomic files, checkpoints, saved results."""
