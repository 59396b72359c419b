"""a lawful basis on every case: the team's legal grounds, the referring partner, a ground per recipient

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 16:10:00

Issue 17 part 4. Each team gets the starting list of legal grounds (a frozen copy of
``casefiles.lawful_basis.STARTING_LIST``). Existing cases keep working: the referring partner
becomes the organisation the case owner works for in the team (when the membership names one),
and the old single choice ``cases.legal_ground`` (consent / public task / vital interest) becomes
the ground of every organisation involved in the case other than the referring partner (consent →
AVG art. 6(1)(a), public task → AVG art. 6(1)(e), vital interest → AVG art. 6(1)(d)). The old
column stays, read-only, as the owner gave it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OVERHEID = "https://zoek.officielebekendmakingen.nl/"
STARTING_LIST = (
    ("avg_public_task", "AVG en UAVG", "art. 6 lid 1 sub e, met art. 9 lid 2",
     "Publieke taak; bijzondere persoonsgegevens alleen waar een wet dat toestaat (welke letters van art. 9 lid 2 precies: te bevestigen).",
     'in_force', "https://www.zorgenveiligheidshuizen.nl/"),
    ("avg_consent", "AVG", "art. 6 lid 1 sub a, met art. 9 lid 2 sub a",
     "Uitdrukkelijke toestemming van de cliënt. Bij een overheid zelden vrij gegeven: liever een wettelijke grondslag; een convenant vervangt geen grondslag.",
     'in_force', "https://eur-lex.europa.eu/eli/reg/2016/679/oj"),
    ("avg_vital_interest", "AVG", "art. 6 lid 1 sub d",
     "Vitaal belang van de cliënt of een kind, alleen als geen andere grondslag past.",
     'in_force', "https://eur-lex.europa.eu/eli/reg/2016/679/oj"),
    ("wmo_5_1_1", "Wmo 2015", "art. 5.1.1 lid 1",
     "Het college mag gegevens, ook over gezondheid, verwerken voor het onderzoek (art. 2.3.2) en besluiten zoals een maatwerkvoorziening (art. 2.3.5).",
     'in_force', "https://wetten.overheid.nl/BWBR0035362"),
    ("wmo_2_3_5", "Wmo 2015", "art. 2.3.5",
     "Besluit over een maatwerkvoorziening: het gebruikelijke middel voor maatwerk.",
     'in_force', "https://wetten.overheid.nl/BWBR0035362"),
    ("pw_18", "Participatiewet", "art. 18 lid 1",
     "Bijstand en verplichtingen afstemmen op de omstandigheden van de persoon; alleen in zeer bijzondere situaties, gemotiveerd in het besluit (CRvB 28-07-2015, 14/2984).",
     'in_force', "https://wetten.overheid.nl/BWBR0015703"),
    ("jeugdwet_7", "Jeugdwet", "hoofdstuk 7",
     "Gegevensverwerking in de jeugdhulp (art. 7.3.8: bewaartermijn 20 jaar).",
     'in_force', "https://wetten.overheid.nl/BWBR0034925"),
    ("wgs_4a", "Wgs", "art. 4a lid 1 sub a",
     "Het plan van aanpak voor schuldhulpverlening (geen vroegsignalering).",
     'in_force', OVERHEID + "stb-2020-240.html"),
    ("wgs_8", "Wgs", "art. 8 lid 1, met Besluit gsv §2",
     "Vroegsignalering: verhuurders, energie- en waterbedrijven en zorgverzekeraars geven betalingsachterstanden door aan het college.",
     'in_force', OVERHEID + "stb-2020-240.html"),
    ("wgs_10", "Wgs", "art. 10 lid 1",
     "Wat als signaal van een betalingsachterstand geldt.",
     'in_force', OVERHEID + "stcrt-2021-45719.html"),
    ("wams", "Wams (Kamerstuk 36295)", "",
     "Wetsvoorstel: coördinatieplicht, meldpunt en gegevensdeling over domeinen heen. Controversieel verklaard op 6 september 2023; geen latere stand gevonden. Geen wet.",
     'stalled_bill', OVERHEID + "dossier/36295"),
    ("wgs_partnerships", "WGS (Wet gegevensverwerking door samenwerkingsverbanden)", "",
     "Stelselmatige gegevensdeling door samenwerkingsverbanden, Zorg- en Veiligheidshuizen genoemd. Aangenomen 18 juni 2024; inwerkingtreding niet gevonden.",
     'adopted_not_in_force', "https://www.samenvoorzorgenveiligheid.nl/"),
    ("huisvestingswet", "Huisvestingswet 2014", "",
     "Urgentie voor huisvesting (als grondslag voor gegevensdeling niet geverifieerd: te bevestigen door de privacy officer).",
     'in_force', "https://wetten.overheid.nl/BWBR0035303"),
)

LEGACY_KEYS = {"consent": "avg_consent", "public_task": "avg_public_task", "vital_interest": "avg_vital_interest"}

STATUSES = ('in_force', 'bill', 'stalled_bill', 'adopted_not_in_force')


def upgrade():
    op.create_table(
        'legal_bases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('statute', sa.String(length=160), nullable=False),
        sa.Column('article', sa.String(length=120), nullable=False),
        sa.Column('allows', sa.String(length=600), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='basisstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('source_url', sa.String(length=300), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_legal_bases_team_id_teams')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_bases')),
        sa.UniqueConstraint('team_id', 'statute', 'article', name='uq_legal_bases_team_statute_article'),
    )
    with op.batch_alter_table('legal_bases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_bases_team_id'), ['team_id'], unique=False)
    op.create_table(
        'case_recipient_grounds',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('legal_basis_id', sa.Integer(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_recipient_grounds_case_id_cases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['legal_basis_id'], ['legal_bases.id'], name=op.f('fk_case_recipient_grounds_legal_basis_id_legal_bases')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_case_recipient_grounds_organisation_id_organisations')),
        sa.PrimaryKeyConstraint('case_id', 'organisation_id', name=op.f('pk_case_recipient_grounds')),
    )
    with op.batch_alter_table('case_recipient_grounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_recipient_grounds_legal_basis_id'), ['legal_basis_id'], unique=False)
    # SQLite rebuilds the table for the foreign key and would lose the expression index: drop and recreate it.
    op.drop_index('ix_cases_retention_due', table_name='cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referring_organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_referring_organisation_id_organisations'), 'organisations',
                                    ['referring_organisation_id'], ['id'])
    _retention_index()
    _migrate_data()


def _retention_index():
    where = sa.text("anonymised_at IS NULL")
    op.create_index('ix_cases_retention_due', 'cases', [sa.text("coalesce(closed_at, updated_at)")],
                    postgresql_where=where, sqlite_where=where)


def _migrate_data():
    conn = op.get_bind()
    bases = sa.table('legal_bases', *(sa.column(c) for c in ('id', 'team_id', 'statute', 'article', 'allows', 'status',
                                                               'source_url', 'key', 'active')))
    teams = sa.table('teams', sa.column('id'))
    cases = sa.table('cases', sa.column('id'), sa.column('team_id'), sa.column('owner_id'), sa.column('legal_ground'),
                     sa.column('referring_organisation_id'))
    memberships = sa.table('memberships', sa.column('user_id'), sa.column('team_id'), sa.column('role'),
                           sa.column('organisation_id'), sa.column('active'))
    involved = sa.table('case_organisations', sa.column('case_id'), sa.column('organisation_id'))
    grounds = sa.table('case_recipient_grounds', sa.column('case_id'), sa.column('organisation_id'),
                       sa.column('legal_basis_id'), sa.column('recorded_at'))
    for (team_id,) in conn.execute(sa.select(teams.c.id)).all():
        conn.execute(bases.insert(), [{'team_id': team_id, 'key': key, 'statute': statute, 'article': article, 'allows': allows,
                                           'status': status, 'source_url': url, 'active': True}
                                      for key, statute, article, allows, status, url in STARTING_LIST])
    owner_org = (sa.select(sa.func.min(memberships.c.organisation_id))
                 .where(memberships.c.user_id == cases.c.owner_id, memberships.c.team_id == cases.c.team_id,
                        memberships.c.role == 'case_owner', memberships.c.organisation_id.is_not(None))
                 .scalar_subquery())
    conn.execute(cases.update().values(referring_organisation_id=owner_org))
    now = sa.func.current_timestamp()
    for old, key in LEGACY_KEYS.items():
        basis = (sa.select(bases.c.id).where(bases.c.team_id == cases.c.team_id, bases.c.key == key)
                 .scalar_subquery())
        rows = (sa.select(involved.c.case_id, involved.c.organisation_id, basis, now)
                .select_from(involved.join(cases, cases.c.id == involved.c.case_id))
                .where(cases.c.legal_ground == old,
                       sa.or_(cases.c.referring_organisation_id.is_(None),
                              cases.c.referring_organisation_id != involved.c.organisation_id)))
        conn.execute(grounds.insert().from_select(['case_id', 'organisation_id', 'legal_basis_id', 'recorded_at'], rows))


def downgrade():
    op.drop_index('ix_cases_retention_due', table_name='cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_referring_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_column('referring_organisation_id')
    _retention_index()
    with op.batch_alter_table('case_recipient_grounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_recipient_grounds_legal_basis_id'))
    op.drop_table('case_recipient_grounds')
    with op.batch_alter_table('legal_bases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_bases_team_id'))
    op.drop_table('legal_bases')
