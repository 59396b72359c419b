"""Demo data for the advice package: the team's starting list of legal references, a cost
catalogue (the sourced figures of FIELD.md, with source and price year; round example amounts,
marked, where no source was found), and a helper that puts a discussed demo case through the real services.

Idempotent: catalogue entries are found by their natural key (team + law + article, team +
name) and created only when missing. The caller commits.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from advice.drafting.issuing import issue_advice
from advice.drafting.models import Intervention, LegalReference
from advice.drafting.services import add_action, add_cost_line, add_legal_ground, draft_advice, update_draft
from advice.lifecycle import draft_of
from advice.models import Advice
from core.clock import team_today
from core.db import db
from core.models import Organisation, Team, User

#: A general link to the official Dutch law site (the search page; per-article links are not
#: given here because they were not verified).
WETTEN = "https://wetten.overheid.nl/"

LEGAL_REFERENCES = [
    ("Algemene wet bestuursrecht", "art. 4:84",
     "Afwijken van beleidsregels wanneer de gevolgen onevenredig zijn (hardheidsclausule)."),
    ("Participatiewet", "art. 18",
     "Bijstand en verplichtingen afstemmen op de omstandigheden van de persoon (maatwerk)."),
    ("Wet maatschappelijke ondersteuning 2015", "",
     "Maatwerkvoorziening voor zelfredzaamheid en participatie."),
    ("Jeugdwet", "", "Jeugdhulp en jeugdbescherming; de gemeente is verantwoordelijk."),
    ("Wet gemeentelijke schuldhulpverlening", "", "Toegang tot schuldhulpverlening; ruimte voor maatwerk."),
    ("Huisvestingswet 2014", "", "Urgentieregeling voor woningzoekenden in een noodsituatie."),
    ("Woningwet", "", "Taken van woningcorporaties; passend toewijzen."),
    ("Wet verplichte geestelijke gezondheidszorg", "", "Verplichte zorg als uiterste middel bij ernstig nadeel."),
]

EXAMPLE_SOURCE = "voorbeeld, geen bron (niet geverifieerd)"
#: The sourced figures of ../shared/FIELD.md: (name, whole euros, unit, source, price year).
#: Index them before use; the government's own list (DUS-I "Maatschappelijke prijslijst – SPUK
#: domeinoverstijgend samenwerken", 2024 price level) was not read yet.
SOURCED_INTERVENTIONS = [
    ("Multiprobleemgezin, gemeentelijke kosten", 114_000, "per gezin per jaar (ondergrens: 'meer dan')",
     "NJi-onderzoek voor Almelo (raadsbrief)", 2017),
    ("Multiprobleemgezin, kosten over de domeinen", 40_000, "per gezin per jaar (ongeveer)",
     "Stade Advies voor Woerden", 2012),
    ("Uithuisplaatsing", 40_000, "per kind (periode niet vermeld, niet geverifieerd)", "Stade Advies voor Woerden", 2012),
    ("Schuldhulpverlening, intake tot nazorg", 8_121, "per cliënt", "Divosa-benchmark (via NVVK)", 2022),
    ("Huisuitzetting, directe kosten", 7_500, "per uitzetting",
     "Eropaf quick scan: € 5.000–10.000, hier het midden van de bandbreedte", 2014),
    ("Maatschappelijke opvang, buitenslaper", 23_236, "per persoon per jaar", "Cebeon", 2011),
    ("Maatschappelijke opvang, residentieel", 10_384, "per persoon per jaar", "Cebeon", 2011),
    ("Beschermd wonen, intensief (verslaving/psychiatrie)", 41_200, "per persoon per jaar", "Cebeon", 2011),
    ("Detentie, volwassene", 262, "per dag", "DJI (via NRC)", 2014),
    ("Detentie, jeugdige", 547, "per dag", "DJI (via NRC)", 2014),
]
#: No source was found for these (FIELD.md: "not found"): ROUND example amounts, marked as such.
INTERVENTIONS = [
    ("Vrouwenopvang (voorbeeldbedrag)", 4_000, "per maand"),
    ("Pleegzorg (voorbeeldbedrag)", 20_000, "per jaar"),
    ("Gesloten jeugdzorg (voorbeeldbedrag)", 200_000, "per jaar"),
    ("Gezinstherapie, traject (voorbeeldbedrag)", 5_000, "per traject"),
    ("Bijstandsuitkering (voorbeeldbedrag)", 15_000, "per jaar"),
    ("Maatschappelijk werk, begeleiding (voorbeeldbedrag)", 3_000, "per jaar"),
    ("Politie-inzet bij een melding (voorbeeldbedrag)", 500, "per melding"),
]


def seed_advice_demo(team: Team, chair: User | None = None) -> tuple[int, int]:
    """Create the team's legal references and example cost catalogue where missing.
    Returns (references created, interventions created). ``chair`` is accepted for symmetry
    with the other seeders; catalogue seeding needs no actor."""
    refs_created = items_created = 0
    existing_refs = {
        (r.law, r.article)
        for r in db.session.scalars(sa.select(LegalReference).where(LegalReference.team_id == team.id))
    }
    for law, article, note in LEGAL_REFERENCES:
        if (law, article) not in existing_refs:
            db.session.add(LegalReference(team_id=team.id, law=law, article=article, note=note, url=WETTEN))
            refs_created += 1
    existing_items = set(db.session.scalars(sa.select(Intervention.name).where(Intervention.team_id == team.id)))
    for name, euros, unit, source, year in SOURCED_INTERVENTIONS:
        if name not in existing_items:
            db.session.add(Intervention(team_id=team.id, name=name, unit_cost_cents=euros * 100, unit=unit,
                                        source=source, price_year=year, is_example=False))
            items_created += 1
    for name, euros, unit in INTERVENTIONS:
        if name not in existing_items:
            db.session.add(Intervention(team_id=team.id, name=name, unit_cost_cents=euros * 100, unit=unit,
                                        source=EXAMPLE_SOURCE, is_example=True))
            items_created += 1
    db.session.flush()
    return refs_created, items_created


def demo_advise(
    case,
    chair: User,
    *,
    actions: Iterable[tuple[Organisation, str, date]],
    advice_text: str,
    situation: str = "",
    blockage: str | None = None,
    legal_laws: Iterable[str] = (),
    costs: Iterable[tuple[str, str, str]] = (),
    now: datetime | None = None,
) -> Advice:
    """Draft and issue the advice on a *discussed* case through the services (the case becomes
    `advised`; owner and contacts are notified).

    ``actions``: (organisation, what, deadline), organisations committed to the team; deadlines
    may lie in the past (to show overdue actions). ``legal_laws``: law names from the team's
    list. ``costs``: (side 'current'|'breakthrough', intervention name, quantity).
    """
    actions = list(actions)
    advice = draft_of(case) or draft_advice(case, chair)
    update_draft(advice, chair, expected_version=advice.lock_version, situation=situation,
                          blockage=case.blockage if blockage is None else blockage, advice_text=advice_text,
                          legal_free_text=advice.legal_free_text)
    for law in legal_laws:
        ref = db.session.scalar(sa.select(LegalReference).where(
            LegalReference.team_id == case.team_id, LegalReference.law == law, LegalReference.active.is_(True)))
        if ref is not None and not any(g.legal_reference_id == ref.id for g in advice.legal_grounds):
            add_legal_ground(advice, chair, ref.id)
    for side, name, quantity in costs:
        item = db.session.scalar(sa.select(Intervention).where(
            Intervention.team_id == case.team_id, Intervention.name == name))
        if item is not None:
            add_cost_line(advice, chair, side=side, intervention_id=item.id, quantity=quantity)
    earliest = min((d for _o, _t, d in actions), default=None)
    for org, text, deadline in actions:
        add_action(advice, chair, organisation_id=org.id, description=text, deadline=deadline,
                            today=min(earliest, team_today(case.team, now)) if earliest else None)
    issue_advice(advice, chair, now=now)
    return advice
