"""One row-level scoping for every service: who reaches which rows, as SQL and for a row already read."""

import uuid

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.dialects import postgresql

from tic_shared.auth import Principal
from tic_shared.reach import EVERYTHING, Reach

rows = Table("rows", MetaData(), Column("district", String), Column("center_id", String), Column("dept", String))
CENTER = uuid.uuid4()


def sql(reach: Reach) -> str:
    clause = reach.where(district=rows.c.district, center_id=rows.c.center_id, department=rows.c.dept)
    return str(clause.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_bureau_staff_and_systems_reach_everything() -> None:
    assert Reach.of(Principal(subject="b", roles=frozenset({"bureau_admin"}))) is EVERYTHING
    assert Reach.of(Principal(subject="sys", scopes=frozenset({"registry:read"}))) is EVERYTHING
    assert sql(EVERYTHING) == "true"


def test_a_district_officer_reaches_its_district_only() -> None:
    reach = Reach.of(Principal(subject="d", roles=frozenset({"district_officer"}), district="330212", center_id=CENTER))
    assert reach == Reach(district="330212")
    assert sql(reach) == "rows.district = '330212'"
    assert reach.admits(district="330212") and not reach.admits(district="330203", center_id=CENTER)


def test_a_center_user_reaches_its_own_center_only() -> None:
    reach = Reach.of(Principal(subject="c", roles=frozenset({"center_user"}), district="330212", center_id=CENTER))
    assert reach == Reach(center_id=CENTER)
    assert reach.admits(center_id=CENTER) and not reach.admits(district="330212", center_id=uuid.uuid4())


def test_several_roles_reach_the_union() -> None:
    principal = Principal(
        subject="x", roles=frozenset({"district_officer", "expert"}), district="330212", department="kjj"
    )
    reach = Reach.of(principal)
    assert reach == Reach(district="330212", expert="x")
    clause = reach.where(district=rows.c.district, expert=lambda subject: rows.c.dept == subject)
    compiled = str(clause.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    assert compiled == "rows.district = '330212' OR rows.dept = 'x'"


def test_a_reach_the_table_cannot_express_reaches_nothing() -> None:
    reach = Reach(department="kjj")
    assert str(reach.where(district=rows.c.district)) == "false"
    assert sql(Reach()) == "false"
    assert not Reach().admits(district="330212", center_id=CENTER, department="kjj")
