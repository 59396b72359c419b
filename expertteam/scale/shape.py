"""The shape of the national-scale seed: how many teams, people and cases, and the id of every
row computed from its place (``Shape``), so the seed writes rows without asking the database;
the benchmark users' password, second factor and e-mail addresses."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.models import Domain

SCALE_PASSWORD = "scale-bench-password"
SCALE_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
DOMAIN = "@scale.example"
HISTORY_DAYS = 3 * 365
ORGS_PER_TEAM = 12
DOMAINS = list(Domain)


@dataclass
class Shape:
    """How big the seed is (``small``: two teams, ten cases) and the moment it is seeded at."""

    teams: int = 45
    cases: int = 100_000
    small: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(second=0, microsecond=0))

    def __post_init__(self) -> None:
        if self.small:
            self.teams, self.cases = min(self.teams, 2), min(self.cases, 10)
        self.teams = max(1, self.teams)
        self.cases = max(self.teams, self.cases)
        staff = 3 + len(DOMAINS) + 2 * ORGS_PER_TEAM
        self.owners = 3 if self.small else max(3, round((10_000 - 1 - self.teams * staff) / self.teams))
        self.block = staff + self.owners  # user ids per team
        if self.cases >= self.teams * 100 and self.teams > 1:
            busy = round(self.cases * 0.11)
            rest = self.cases - busy
            per, extra = divmod(rest, self.teams - 1)
            self.team_cases = [busy] + [per + (1 if i < extra else 0) for i in range(self.teams - 1)]
        else:
            per, extra = divmod(self.cases, self.teams)
            self.team_cases = [per + (1 if i < extra else 0) for i in range(self.teams)]
        # Meetings in proportion to cases (12,000 at 100,000 cases), at most one a week.
        self.spacing = [min(7.0, HISTORY_DAYS / max(1.0, 12_000 * n / 100_000)) for n in self.team_cases]
        self.today = self.now.date()
        self.anchor = datetime.combine(self.today + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=8)

    # --- ids, laid out so every row can be computed without asking the database ---------------
    def user(self, team: int, offset: int) -> int:
        return 2 + (team - 1) * self.block + offset  # id 1 is the administrator

    def chair(self, team: int) -> int:
        return self.user(team, 0)

    def secretary(self, team: int) -> int:
        return self.user(team, 1)

    def municipality(self, team: int) -> int:
        return self.user(team, 2)

    def expert(self, team: int, d: int) -> int:
        return self.user(team, 3 + d)

    def contact(self, team: int, org_index: int, which: int = 0) -> int:
        return self.user(team, 3 + len(DOMAINS) + 2 * org_index + which)

    def owner(self, team: int, n: int) -> int:
        return self.user(team, 3 + len(DOMAINS) + 2 * ORGS_PER_TEAM + n % self.owners)

    def org(self, team: int, index: int) -> int:
        return (team - 1) * ORGS_PER_TEAM + index % ORGS_PER_TEAM + 1

    def code(self, team: int) -> str:
        return f"T{team:02d}"

    # --- meetings: slot j of a team (j < 0 past, j >= 0 the next eight) ------------------------
    def past_meetings(self, team: int) -> int:
        return int(HISTORY_DAYS / self.spacing[team - 1]) + 2

    def meeting_start(self, team: int, j: int) -> datetime:
        step = self.spacing[team - 1] if j < 0 else 7.0
        minutes = round(step * 24 * 60 * j)
        return self.anchor + timedelta(minutes=minutes)

    def meeting_id(self, team: int, j: int) -> int:
        base = sum(self.past_meetings(t) + 8 for t in range(1, team))
        return base + self.past_meetings(team) + j + 1

    @staticmethod
    def cancelled(j: int) -> bool:
        return j < -1 and j % 25 == 0


def email(kind: str, team: int | None = None, *parts) -> str:
    """A benchmark user's address: ``chair.t01@scale.example``, ``contact.1.2.t01@…``."""
    bits = [kind, *(str(p) for p in parts)] + ([f"t{team:02d}"] if team else [])
    return ".".join(bits) + DOMAIN
