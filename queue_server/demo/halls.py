"""The demo: 楚雄州政务服务中心 (code cxz, open around the clock so it can be tried at any hour) with its
departments, 30 services from the annual report's areas, 24 windows, staff and priority categories, and the
county hall 禄丰市政务服务中心 (code lfs) with real opening hours and the 2026 holiday calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.access.credentials import hash_password
from queue_server.access.credentials import mint_token
from queue_server.catalogue import index
from queue_server.demo import guides
from queue_server.storage.models import CalendarDay
from queue_server.storage.models import Department
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService

ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(1, 8)}
OFFICE_HOURS = {**{str(d): [["09:00", "12:00"], ["13:00", "17:00"]] for d in range(1, 6)}, "6": [], "7": []}
DEMO_PASSWORD = "hallq-demo"  # printed by `make run`; demo data only, never a production default

# Department code -> name
DEPARTMENTS = {
    "scjg": "州市场监督管理局",
    "bdc": "州不动产登记中心",
    "ga": "州公安局",
    "rs": "州人力资源和社会保障局",
    "gjj": "州住房公积金管理中心",
    "sw": "州税务局",
    "fg": "州发展和改革委员会",
    "ggzy": "州公共资源交易中心",
    "zwfw": "州政务服务管理局",
}

# (code, name, prefix, department, standard minutes, extras)
# 网上预约 on three services people usually book (docs/booking.md): half-hour slots in office hours on weekdays.
OFFICE_BOOKING = {
    "days": {str(d): [{"start": "09:00", "end": "12:00", "minutes": 30, "capacity": 4},
                      {"start": "14:00", "end": "17:30", "minutes": 30, "capacity": 4}] for d in range(1, 6)},
    "horizon_days": 7, "cutoff_min": 60,
}
SERVICES: list[tuple[str, str, str, str, int, dict[str, object]]] = [
    ("qysl", "企业设立登记", "A", "scjg", 20, {"daily_cap": 200, "booking": OFFICE_BOOKING}),
    ("qybg", "企业变更登记", "B", "scjg", 15, {}),
    ("qyzx", "企业注销登记", "C", "scjg", 15, {}),
    ("gtgsh", "个体工商户登记", "D", "scjg", 10, {}),
    ("spjy", "食品经营许可", "E", "scjg", 15, {}),
    ("bdczy", "不动产转移登记", "F", "bdc", 25, {"person_limit": 2, "daily_cap": 300, "booking": OFFICE_BOOKING}),
    ("bdcdy", "不动产抵押登记", "G", "bdc", 20, {"person_limit": 2}),
    ("bdcsc", "不动产首次登记", "H", "bdc", 25, {}),
    ("bdccx", "不动产登记资料查询", "J", "bdc", 5, {}),
    ("hj", "户籍业务办理", "K", "ga", 10, {}),
    ("crj", "出入境证件办理", "L", "ga", 12, {"person_limit": 1, "booking": OFFICE_BOOKING}),
    ("jzz", "居住证办理", "M", "ga", 8, {}),
    ("cg", "机动车驾驶证业务", "N", "ga", 10, {"person_limit": 2}),
    ("sbdj", "社会保险登记", "P", "rs", 10, {}),
    ("sbzy", "社会保险关系转移", "Q", "rs", 15, {}),
    ("ylbx", "养老保险待遇申领", "R", "rs", 15, {}),
    ("syj", "失业保险金申领", "S", "rs", 12, {}),
    ("sbk", "社会保障卡办理", "T", "rs", 6, {}),
    ("gjjtq", "住房公积金提取", "U", "gjj", 10, {}),
    ("gjjdk", "住房公积金贷款", "V", "gjj", 30, {}),
    ("gjjjc", "住房公积金缴存登记", "W", "gjj", 10, {}),
    ("sszx", "涉税事项办理", "X", "sw", 15, {}),
    ("fply", "发票领用", "Y", "sw", 8, {}),
    ("qssb", "契税申报", "Z", "sw", 12, {}),
    ("tzxmba", "企业投资项目备案", "TA", "fg", 20, {}),
    ("tzxmhz", "企业投资项目核准", "TB", "fg", 30, {}),
    ("jyxmdj", "公共资源交易项目登记", "GA", "ggzy", 20, {}),
    ("bzjth", "投标保证金退还", "GB", "ggzy", 10, {}),
    ("zhzx", "综合咨询", "ZX", "zwfw", 5, {}),
    ("lstd", "重点项目绿色通道", "LS", "zwfw", 30, {"green_channel": True}),
]

# (number, name, zone, services with weights) — windows 1-4 are 综合窗口 (一窗受理)
GENERAL = ["qysl", "qybg", "qyzx", "gtgsh", "spjy", "sbdj", "sbk", "gjjtq", "zhzx"]
WINDOWS: list[tuple[int, str, str, list[tuple[str, int]]]] = [
    (1, "综合窗口", "一楼A区", [(c, 1) for c in GENERAL]),
    (2, "综合窗口", "一楼A区", [(c, 1) for c in GENERAL]),
    (3, "综合窗口", "一楼A区", [(c, 1) for c in GENERAL]),
    (4, "综合窗口", "一楼A区", [(c, 1) for c in GENERAL if c != "zhzx"] + [("zhzx", 2)]),
    (5, "市场监管窗口", "一楼A区", [("qysl", 2), ("qybg", 1), ("qyzx", 1), ("gtgsh", 1), ("spjy", 1)]),
    (6, "市场监管窗口", "一楼A区", [("spjy", 2), ("gtgsh", 1), ("qysl", 1)]),
    (7, "不动产登记窗口", "一楼B区", [("bdczy", 2), ("bdcdy", 1), ("bdcsc", 1), ("bdccx", 0)]),
    (8, "不动产登记窗口", "一楼B区", [("bdczy", 1), ("bdcdy", 2), ("bdcsc", 1)]),
    (9, "不动产登记窗口", "一楼B区", [("bdcsc", 2), ("bdczy", 1), ("bdcdy", 1)]),
    (10, "不动产查询窗口", "一楼B区", [("bdccx", 2), ("bdczy", 0)]),
    (11, "户政窗口", "二楼C区", [("hj", 2), ("jzz", 1)]),
    (12, "出入境窗口", "二楼C区", [("crj", 2)]),
    (13, "车驾管窗口", "二楼C区", [("cg", 2), ("jzz", 0)]),
    (14, "社保窗口", "二楼D区", [("sbdj", 1), ("sbzy", 2), ("ylbx", 1)]),
    (15, "社保窗口", "二楼D区", [("ylbx", 2), ("syj", 1), ("sbzy", 1)]),
    (16, "社保卡窗口", "二楼D区", [("sbk", 2), ("sbdj", 1)]),
    (17, "公积金窗口", "二楼D区", [("gjjtq", 2), ("gjjjc", 1)]),
    (18, "公积金贷款窗口", "二楼D区", [("gjjdk", 2), ("gjjtq", 0)]),
    (19, "税务窗口", "三楼E区", [("sszx", 2), ("fply", 1), ("qssb", 1)]),
    (20, "税务窗口", "三楼E区", [("fply", 2), ("sszx", 1)]),
    (21, "契税窗口", "三楼E区", [("qssb", 2), ("sszx", 1)]),
    (22, "投资项目窗口", "三楼F区", [("tzxmba", 2), ("tzxmhz", 1)]),
    (23, "公共资源交易窗口", "三楼F区", [("jyxmdj", 2), ("bzjth", 1)]),
    (24, "绿色通道窗口", "一楼A区", [("lstd", 2), ("tzxmhz", 1), ("tzxmba", 0)]),
]

PRIORITIES = [("junren", "军人依法优先", 4), ("laonian", "老年人", 3), ("canji", "残疾人", 3), ("yunfu", "孕妇", 3)]

# 2026 public holidays and adjusted working days (国务院办公厅 notice on the 2026 holiday arrangement).
HOLIDAYS_2026 = [
    ("2026-01-01", "2026-01-03", "元旦"), ("2026-02-15", "2026-02-23", "春节"), ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"), ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"), ("2026-10-01", "2026-10-07", "国庆节"),
]
WORKDAYS_2026 = [("2026-01-04", "元旦调休"), ("2026-02-14", "春节调休"), ("2026-02-28", "春节调休"),
                 ("2026-05-09", "劳动节调休"), ("2026-09-20", "国庆节调休"), ("2026-10-10", "国庆节调休")]


@dataclass(frozen=True)
class DemoCredentials:
    kiosk_token: str
    staff_token: str
    manager_token: str
    display_token: str
    rater_token: str = ""  # the rating tablet (评价器) of window 1


def _hall(session: Session, code: str, name: str, hours: dict[str, list[list[str]]]) -> Hall:
    hall = Hall(code=code, name=name, timezone="Asia/Shanghai", opening_hours=hours,
                person_salt="", event_seq=0)
    session.add(hall)
    session.flush()
    return hall


def _services(session: Session, hall: Hall, codes: list[str] | None = None) -> dict[str, Service]:
    departments = {}
    for code, name in DEPARTMENTS.items():
        departments[code] = Department(hall_id=hall.id, code=code, name=name)
        session.add(departments[code])
    session.flush()
    out = {}
    for code, name, prefix, dept, minutes, extra in SERVICES:
        if codes is not None and code not in codes:
            continue
        service = Service(hall_id=hall.id, department_id=departments[dept].id, code=code, name=name, prefix=prefix,
                          standard_duration_s=minutes * 60, guide_code=f"530000-{code}", warning_threshold=30,
                          **extra)
        session.add(service)
        out[code] = service
    session.flush()
    return out


def _windows(session: Session, hall: Hall, services: dict[str, Service],
             layout: list[tuple[int, str, str, list[tuple[str, int]]]]) -> dict[int, Window]:
    out = {}
    for number, name, zone, profile in layout:
        window = Window(hall_id=hall.id, number=number, name=name, zone=zone)
        window.profile = [WindowService(service_id=services[code].id, position=i, weight=weight)
                          for i, (code, weight) in enumerate(profile) if code in services]
        session.add(window)
        out[number] = window
    session.flush()
    return out


def load_demo(session: Session, now: datetime) -> DemoCredentials | None:
    """Create the demo halls; None when they exist already (loading twice changes nothing)."""
    if session.scalar(select(Hall).where(Hall.code == "cxz")) is not None:
        return None
    password = hash_password(DEMO_PASSWORD)
    hall = _hall(session, "cxz", "楚雄州政务服务中心", ALL_DAY)
    services = _services(session, hall)
    windows = _windows(session, hall, services, WINDOWS)
    for code, name, weight in PRIORITIES:
        session.add(PriorityCategory(hall_id=hall.id, code=code, name=name, weight=weight))
    staff = {}
    for number in windows:
        member = Staff(hall_id=hall.id, user_no=f"cx{1000 + number}", name=f"窗口{number}工作人员",
                       password_hash=password, role=Role.STAFF)
        session.add(member)
        staff[number] = member
    session.flush()
    for number, window in windows.items():
        window.staff_id = staff[number].id  # signed in for the demo, so screens show a 工号
    manager = Staff(hall_id=hall.id, user_no="cxmgr", name="大厅值班长", password_hash=password, role=Role.MANAGER)
    admin = Staff(hall_id=None, user_no="admin", name="系统管理员", password_hash=password, role=Role.ADMIN)
    # The centre's director watches the monitor and reports but changes nothing.
    viewer = Staff(hall_id=hall.id, user_no="cxview", name="中心主任", password_hash=password, role=Role.VIEWER)
    session.add_all([manager, admin, viewer])
    session.flush()
    # Every demo account has the printed password: the consoles show a red banner until each is changed.
    for account in session.scalars(select(Staff)):
        account.password_is_demo = True

    county = _hall(session, "lfs", "禄丰市政务服务中心", OFFICE_HOURS)
    county_services = _services(session, county, ["qysl", "bdczy", "hj", "sbdj", "gjjtq", "sszx", "zhzx"])
    _windows(session, county, county_services, [
        (1, "综合窗口", "大厅", [("qysl", 1), ("sbdj", 1), ("gjjtq", 1), ("zhzx", 1)]),
        (2, "不动产窗口", "大厅", [("bdczy", 1)]),
        (3, "户政窗口", "大厅", [("hj", 1)]),
        (4, "税务窗口", "大厅", [("sszx", 1)]),
    ])
    for code, name, weight in PRIORITIES:
        session.add(PriorityCategory(hall_id=county.id, code=code, name=name, weight=weight))
    for first, last, name in HOLIDAYS_2026:
        day = date.fromisoformat(first)
        while day <= date.fromisoformat(last):
            session.add(CalendarDay(hall_id=county.id, day=day, kind="holiday", name=name))
            day = date.fromordinal(day.toordinal() + 1)
    for day_text, name in WORKDAYS_2026:
        session.add(CalendarDay(hall_id=county.id, day=date.fromisoformat(day_text), kind="workday", name=name))
    session.flush()

    index.import_guides(session, guides.guides())
    index.import_disclosures(session, guides.disclosures())
    kiosk_token = mint_token(session, now, role=Role.KIOSK, hall=hall, device_name="一楼取号机1")
    kiosk = session.scalar(select(Device).where(Device.hall_id == hall.id, Device.name == "一楼取号机1"))
    assert kiosk is not None
    kiosk.printer = {"paper_mm": 80, "encoding": "gbk", "native_qr": True}  # the hall's usual 80 mm printer
    return DemoCredentials(
        kiosk_token=kiosk_token,
        staff_token=mint_token(session, now, role=Role.STAFF, hall=hall, window=windows[1], staff=staff[1]),
        manager_token=mint_token(session, now, role=Role.MANAGER, hall=hall, staff=manager),
        display_token=mint_token(session, now, role=Role.DISPLAY, hall=hall, device_name="一楼综合屏"),
        rater_token=mint_token(session, now, role=Role.RATER, hall=hall, window=windows[1],
                               device_name="1号窗口评价器"),
    )
