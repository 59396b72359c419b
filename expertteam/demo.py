"""Demo data (placeholder; filled in below)."""


def seed() -> bool:
    return False
