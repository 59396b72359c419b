"""The period of the pilot figures lives in ``core.period`` (the contact's home in ``advice`` reads
it too); this name stays for the reports package's own modules."""
from core.period import Period, preset, quarter_of  # noqa: F401
