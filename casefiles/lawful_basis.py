"""A lawful basis on every case: the team's list of legal grounds (kept by the chair or
secretary), the referring partner and the ground per receiving organisation of a case, and the
rule that a case is submitted only with a ground in force for every organisation that receives
its data (``missing_grounds``, used by ``casefiles.services.missing_for_submit``).

The old single choice of a ground (``Case.legal_ground``: consent, public task, vital interest)
maps onto the starting list's entries by ``LEGACY_KEYS``; migration 0008 applied it to every
receiving organisation of the existing cases, and a caller that still passes it (demo, scripts)
gets the same treatment for the organisations it has not given a ground."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from flask_babel import gettext as _

from core import audit
from core.db import db
from core.errors import PermissionDenied, ServiceError
from core.models import Membership, Role, Team, User

from . import permissions
from .lawful_models import BasisStatus, CaseRecipientGround, LegalBasis
from .models import Case

S = BasisStatus
OVERHEID = "https://zoek.officielebekendmakingen.nl/"

#: The starting list (FIELD.md, November 2026): key, statute, article, what it allows, status, source.
STARTING_LIST: tuple[tuple[str, str, str, str, BasisStatus, str], ...] = (
    ("avg_public_task", "AVG en UAVG", "art. 6 lid 1 sub e, met art. 9 lid 2",
     "Publieke taak; bijzondere persoonsgegevens alleen waar een wet dat toestaat (welke letters van art. 9 lid 2 precies: te bevestigen).",
     S.IN_FORCE, "https://www.zorgenveiligheidshuizen.nl/"),
    ("avg_consent", "AVG", "art. 6 lid 1 sub a, met art. 9 lid 2 sub a",
     "Uitdrukkelijke toestemming van de cliënt. Bij een overheid zelden vrij gegeven: liever een wettelijke grondslag; een convenant vervangt geen grondslag.",
     S.IN_FORCE, "https://eur-lex.europa.eu/eli/reg/2016/679/oj"),
    ("avg_vital_interest", "AVG", "art. 6 lid 1 sub d",
     "Vitaal belang van de cliënt of een kind, alleen als geen andere grondslag past.",
     S.IN_FORCE, "https://eur-lex.europa.eu/eli/reg/2016/679/oj"),
    ("wmo_5_1_1", "Wmo 2015", "art. 5.1.1 lid 1",
     "Het college mag gegevens, ook over gezondheid, verwerken voor het onderzoek (art. 2.3.2) en besluiten zoals een maatwerkvoorziening (art. 2.3.5).",
     S.IN_FORCE, "https://wetten.overheid.nl/BWBR0035362"),
    ("wmo_2_3_5", "Wmo 2015", "art. 2.3.5",
     "Besluit over een maatwerkvoorziening: het gebruikelijke middel voor maatwerk.",
     S.IN_FORCE, "https://wetten.overheid.nl/BWBR0035362"),
    ("pw_18", "Participatiewet", "art. 18 lid 1",
     "Bijstand en verplichtingen afstemmen op de omstandigheden van de persoon; alleen in zeer bijzondere situaties, gemotiveerd in het besluit (CRvB 28-07-2015, 14/2984).",
     S.IN_FORCE, "https://wetten.overheid.nl/BWBR0015703"),
    ("jeugdwet_7", "Jeugdwet", "hoofdstuk 7",
     "Gegevensverwerking in de jeugdhulp (art. 7.3.8: bewaartermijn 20 jaar).",
     S.IN_FORCE, "https://wetten.overheid.nl/BWBR0034925"),
    ("wgs_4a", "Wgs", "art. 4a lid 1 sub a",
     "Het plan van aanpak voor schuldhulpverlening (geen vroegsignalering).",
     S.IN_FORCE, OVERHEID + "stb-2020-240.html"),
    ("wgs_8", "Wgs", "art. 8 lid 1, met Besluit gsv §2",
     "Vroegsignalering: verhuurders, energie- en waterbedrijven en zorgverzekeraars geven betalingsachterstanden door aan het college.",
     S.IN_FORCE, OVERHEID + "stb-2020-240.html"),
    ("wgs_10", "Wgs", "art. 10 lid 1",
     "Wat als signaal van een betalingsachterstand geldt.",
     S.IN_FORCE, OVERHEID + "stcrt-2021-45719.html"),
    ("wams", "Wams (Kamerstuk 36295)", "",
     "Wetsvoorstel: coördinatieplicht, meldpunt en gegevensdeling over domeinen heen. Controversieel verklaard op 6 september 2023; geen latere stand gevonden. Geen wet.",
     S.STALLED_BILL, OVERHEID + "dossier/36295"),
    ("wgs_partnerships", "WGS (Wet gegevensverwerking door samenwerkingsverbanden)", "",
     "Stelselmatige gegevensdeling door samenwerkingsverbanden, Zorg- en Veiligheidshuizen genoemd. Aangenomen 18 juni 2024; inwerkingtreding niet gevonden.",
     S.ADOPTED_NOT_IN_FORCE, "https://www.samenvoorzorgenveiligheid.nl/"),
    ("huisvestingswet", "Huisvestingswet 2014", "",
     "Urgentie voor huisvesting (als grondslag voor gegevensdeling niet geverifieerd: te bevestigen door de privacy officer).",
     S.IN_FORCE, "https://wetten.overheid.nl/BWBR0035303"),
)

#: The old single choice (``Case.legal_ground``) → the starting list's key.
LEGACY_KEYS = {"consent": "avg_consent", "public_task": "avg_public_task", "vital_interest": "avg_vital_interest"}


def _require(actor: User | None, team: Team) -> None:
    if actor is not None and not permissions.can_maintain_legal_bases(actor, team.id):
        raise PermissionDenied(_("Only the chair or secretary maintains the list of legal grounds."))


def ensure_list(team_id: int) -> int:
    """Give a team without a list the starting list (once; a team that removed entries keeps its
    choice). Returns the number of entries added."""
    if db.session.scalar(sa.select(LegalBasis.id).where(LegalBasis.team_id == team_id).limit(1)) is not None:
        return 0
    for key, statute, article, allows, status, url in STARTING_LIST:
        db.session.add(LegalBasis(team_id=team_id, key=key, statute=statute, article=article, allows=allows,
                                  status=status, source_url=url))
    db.session.flush()
    audit.record("legal_basis.seed", object_type="team", object_id=team_id, actor=None, team_id=team_id,
                 details={"count": len(STARTING_LIST)})
    return len(STARTING_LIST)


def bases(team_id: int, *, active_only: bool = True) -> list[LegalBasis]:
    q = sa.select(LegalBasis).where(LegalBasis.team_id == team_id)
    if active_only:
        q = q.where(LegalBasis.active.is_(True))
    return list(db.session.scalars(q.order_by(LegalBasis.statute, LegalBasis.article, LegalBasis.id)))


def save_basis(team: Team, actor: User, *, statute: str, article: str = "", allows: str = "", status: str,
               source_url: str = "", basis_id: int | None = None) -> LegalBasis:
    """Add an entry, or change one (its status above all: a bill that becomes law)."""
    _require(actor, team)
    statute, article, allows, url = (statute or "").strip(), (article or "").strip(), (allows or "").strip(), (source_url or "").strip()
    if not statute:
        raise ServiceError(_("Name the statute."))
    if url and not url.startswith(("https://", "http://")):
        raise ServiceError(_("A link starts with https://."))
    try:
        status_value = BasisStatus(status)
    except ValueError:
        raise ServiceError(_("Choose a status from the list.")) from None
    same = db.session.scalar(sa.select(LegalBasis).where(
        LegalBasis.team_id == team.id, LegalBasis.statute == statute, LegalBasis.article == article))
    if basis_id is not None:
        basis = db.session.get(LegalBasis, basis_id)
        if basis is None or basis.team_id != team.id:
            raise ServiceError(_("That ground is not in the list."))
        if same is not None and same.id != basis.id:
            raise ServiceError(_("This ground is already in the list."))
    elif same is not None:
        if same.active:
            raise ServiceError(_("This ground is already in the list."))
        basis = same
    else:
        basis = LegalBasis(team_id=team.id)
        db.session.add(basis)
    basis.statute, basis.article, basis.allows, basis.status, basis.source_url, basis.active = (
        statute, article, allows, status_value, url, True)
    db.session.flush()
    audit.record("legal_basis.save", object_type="legal_basis", object_id=basis.id, actor=actor, team_id=team.id,
                 details={"status": status_value.value, "new": basis_id is None})
    return basis


def deactivate_basis(team: Team, actor: User, basis_id: int) -> None:
    _require(actor, team)
    basis = db.session.get(LegalBasis, basis_id)
    if basis is None or basis.team_id != team.id or not basis.active:
        raise ServiceError(_("That ground is not in the list."))
    basis.active = False
    db.session.flush()
    audit.record("legal_basis.remove", object_type="legal_basis", object_id=basis.id, actor=actor, team_id=team.id)


# --- per case ---------------------------------------------------------------------------------

def owner_organisation_id(owner: User, team_id: int) -> int | None:
    """The organisation the case owner works for in this team (the default referring partner)."""
    return db.session.scalar(sa.select(Membership.organisation_id).where(
        Membership.user_id == owner.id, Membership.team_id == team_id, Membership.role == Role.CASE_OWNER,
        Membership.active.is_(True), Membership.organisation_id.is_not(None)).limit(1))


def receiving_organisation_ids(case: Case) -> list[int]:
    """The organisations that receive the case's data at submission: those involved, except the
    referring partner itself (the controller). Actions, signal requests and attendance add
    recipients later; the processing overview (``reports.processing``) lists them all."""
    return [o for o in case.organisation_ids if o != case.referring_organisation_id]


def record_grounds(case: Case, actor: User | None, grounds: Mapping[int, int | None] | None,
                   legacy: str | None = None, recipients: Iterable[int] | None = None) -> None:
    """Record the ground per receiving organisation (``{organisation_id: legal_basis_id}``; None
    or a missing key leaves that organisation without a ground). Grounds of organisations no
    longer receiving are dropped: by default the receivers are those involved in the case (the
    case form); ``recipients`` gives them all, later ones included (``advice.follow_through.recipients``).
    ``legacy`` (the old single choice) fills the organisations the caller gave no ground.
    Audited with ids only."""
    ensure_list(case.team_id)
    team_bases = {b.id: b for b in bases(case.team_id, active_only=False)}
    wanted: dict[int, int] = {}
    for org_id, basis_id in (grounds or {}).items():
        if basis_id is None:
            continue
        basis = team_bases.get(basis_id)
        if basis is None or (not basis.active and basis_id not in {g.legal_basis_id for g in case.recipient_grounds}):
            raise ServiceError(_("Choose a legal ground from the team's list."))
        wanted[org_id] = basis_id
    if legacy and LEGACY_KEYS.get(str(legacy)):
        fallback = next((b.id for b in team_bases.values() if b.key == LEGACY_KEYS[str(legacy)] and b.active), None)
        if fallback is not None:
            current = {g.organisation_id: g.legal_basis_id for g in case.recipient_grounds}
            for org_id in receiving_organisation_ids(case):
                wanted.setdefault(org_id, current.get(org_id, fallback))
    receiving = set(recipients) if recipients is not None else set(receiving_organisation_ids(case))
    if grounds is None and not legacy:
        wanted = {g.organisation_id: g.legal_basis_id for g in case.recipient_grounds}
    wanted = {o: b for o, b in wanted.items() if o in receiving}
    before = {g.organisation_id: g.legal_basis_id for g in case.recipient_grounds}
    if wanted == before:
        return
    kept = [g for g in case.recipient_grounds if wanted.get(g.organisation_id) == g.legal_basis_id]
    kept_ids = {g.organisation_id for g in kept}
    case.recipient_grounds = kept + [
        CaseRecipientGround(organisation_id=o, legal_basis_id=b) for o, b in sorted(wanted.items()) if o not in kept_ids]
    db.session.flush()
    audit.record("case.grounds", object_type="case", object_id=case.id, actor=actor, team_id=case.team_id,
                 details={"grounds": {str(o): b for o, b in sorted(wanted.items())}})


def missing_grounds(case: Case) -> list[str]:
    """What stops submission, as messages: a receiving organisation without a ground in force
    (the referring partner is a field: ``services.missing_fields_for_submit``)."""
    problems = []
    have = {g.organisation_id: g.basis for g in case.recipient_grounds}
    names = {o.organisation_id: o.organisation.name for o in case.organisations}  # loaded with the case (get_case)
    for org_id in receiving_organisation_ids(case):
        basis = have.get(org_id)
        if basis is None:
            problems.append(_("A legal ground for %(organisation)s", organisation=names.get(org_id, "?")))
        elif not basis.in_force:
            problems.append(_("A legal ground in force for %(organisation)s (%(ground)s is %(status)s)",
                              organisation=names.get(org_id, "?"), ground=basis.title, status=basis.status.label.lower()))
    return problems
