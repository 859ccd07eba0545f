"""DSVDesk benchmarks: every user-facing path beside its bare-dependency floor (`python -m benchmarks`)."""
