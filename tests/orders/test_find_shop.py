"""Finding a calling shop by what the caller says: its name in hanzi, the initials, a phone's last digits, the
start of its code, its owner; inactive shops are not found."""

from __future__ import annotations

from sqlalchemy import Engine, insert

from db.tables import CUSTOMER
from orders.find_shop import load_shops, rank_shops, shop_hit

SHOPS = [
    shop_hit("430102000001", "张记烟酒店", "张伟", "0731-88861234", "芙蓉区"),
    shop_hit("430102000002", "李家便利店", "李芳", "13907315678", "天心区"),
    shop_hit("430103000003", "张家湾超市", "王强", "13800001111", "岳麓区"),
    shop_hit("430103000004", "好又多烟酒", "赵敏", "", None),
]


def codes(query: str) -> list[str]:
    return [s.code for s in rank_shops(SHOPS, query)]


def test_hanzi_name_finds_the_shop_and_a_name_start_ranks_first() -> None:
    assert codes("张记")[0] == "430102000001"
    assert set(codes("烟酒")) == {"430102000001", "430103000004"}
    assert codes("便利")[:1] == ["430102000002"]


def test_pinyin_initials_of_the_name_or_the_owner() -> None:
    assert codes("zjyjd")[0] == "430102000001"
    assert codes("zjw")[0] == "430103000003"  # 张家湾
    assert codes("lf")[0] == "430102000002"  # the owner 李芳


def test_the_last_digits_of_a_phone() -> None:
    assert codes("5678") == ["430102000002"]
    assert codes("1234") == ["430102000001"]
    assert codes("12") == []  # too few digits to mean a phone


def test_a_code_prefix_and_the_whole_code() -> None:
    assert set(codes("430103")) == {"430103000003", "430103000004"}
    assert codes("430102000002")[0] == "430102000002"


def test_owner_name_and_nothing_for_nonsense() -> None:
    assert codes("赵敏") == ["430103000004"]
    assert codes("qqqq") == []
    assert codes("  ") == []


def test_the_loader_reads_active_shops_only(engine: Engine) -> None:
    rows = [
        {"code": "A1", "name": "张记烟酒店", "tier": 5, "order_weekday": 1, "phone": "13900001234", "active": True},
        {"code": "A2", "name": "张记二店", "tier": 5, "order_weekday": 2, "phone": None, "active": False},
    ]
    with engine.begin() as conn:
        conn.execute(insert(CUSTOMER), rows)
    shops = load_shops(engine)
    assert [s.code for s in shops] == ["A1"]
    assert [s.code for s in rank_shops(shops, "zj")] == ["A1"]
    assert [s.code for s in rank_shops(shops, "1234")] == ["A1"]
