"""Write the world down the way each tier's own system would export it, mess and all.

Each inspection office exports its own files: organisation directories, cadre
rosters, findings, rectification ledgers, teams, lead and transfer registers;
market regulators export company registries, and procurement centres export
bids. Formats differ by office (XLSX with a title row and merged headers, CSV in
UTF-8 with or without BOM or in GBK, JSON), and so do habits: abbreviated
names, full-width digits, typos, dates written four ways, missing and invalid
ID numbers. :func:`render` returns, for entity resolution's truth, which true
entity each row names.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import identity as ident
from .exports import Table, write_json, write_table
from .world import CATEGORY_NAMES, SYSTEMS, World

__all__ = ["render", "RenderReport", "TIER_LABELS", "SYSTEM_LABELS", "SEVERITY_LABELS"]

TIER_LABELS = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇", "village": "村社区"}
SYSTEM_LABELS = {
    "supply_marketing": "供销系统", "transport": "交通运输系统", "education": "教育系统", "health": "卫生健康系统",
    "urban_management": "城市管理系统", "natural_resources": "自然资源系统", "agriculture": "农业农村系统",
    "market_regulation": "市场监管系统", "human_resources": "人力社保系统", "water": "水利系统",
    "civil_affairs": "民政系统", "finance": "财政系统",
}  # fmt: skip
SEVERITY_LABELS = {"minor": "一般", "serious": "较重", "severe": "严重"}
STATUS_LABELS = {"completed": "已完成", "in_progress": "整改中", "overdue": "逾期未完成", "pending": "未启动"}
SOURCE_LABELS = {"petition": "信访举报", "tour": "巡视巡察移交", "audit": "审计移交", "big_data": "大数据比对",
                 "supervision": "监督检查"}  # fmt: skip
DISPOSITION_LABELS = {"registered": "已登记", "inquiry": "谈话函询", "verification": "初步核实", "pending": "暂存待查",
                      "closed": "予以了结", "case_opened": "立案审查"}  # fmt: skip
KIND_LABELS = {"regular": "常规", "special": "专项", "mobile": "机动", "relay": "接力", "cross": "交叉",
               "lookback": "回头看"}  # fmt: skip
RELATION_LABELS = {"spouse": "配偶", "child": "子女", "child_in_law": "子女配偶", "parent": "父母",
                   "sibling": "兄弟姐妹", "other": "其他"}  # fmt: skip
METHOD_LABELS = {"open": "公开招标", "invited": "邀请招标", "competitive_negotiation": "竞争性谈判",
                 "single_source": "单一来源", "inquiry": "询价", "other": "其他"}  # fmt: skip
ROLE_LABELS = {"legal_representative": "法定代表人", "supervisor": "监事", "manager": "经理", "director": "董事",
               "shareholder": "股东"}  # fmt: skip
assert set(SYSTEM_LABELS) == {code for code, *_ in SYSTEMS}


@dataclass
class RenderReport:
    """What was written: files with their row counts, and entity truth by row."""

    files: dict[str, int] = field(default_factory=dict)
    entities: dict[str, list[list[Any]]] = field(default_factory=lambda: defaultdict(list))


def _fresh() -> tuple[list[list[Any]], list[Any]]:
    # Rows of a table, and what each row refers to (for the entity truth).
    return [], []


class _Office:
    """One exporting office and its habits (format, encoding, date style, how it names things)."""

    def __init__(self, rng: random.Random, region: str, tier: str):
        self.region, self.tier = region, tier
        self.fmt = "xlsx" if tier == "province" else rng.choice(["csv", "csv", "xlsx"])
        self.encoding = rng.choice(["utf-8-sig", "gbk"]) if tier == "county" else "utf-8-sig"
        self.date_style = rng.choice(ident.DATE_STYLES)
        self.sloppy = {"province": 0.02, "city": 0.05, "county": 0.1}[tier]


class _Renderer:
    def __init__(self, w: World, out: Path, seed: int):
        self.w, self.out = w, out
        self.rng = random.Random(seed * 7919 + 17)
        self.report = RenderReport()
        self.region_names = sorted(w.region_names.values(), key=len, reverse=True)
        self.local_finding_ids: dict[str, str] = {}
        self.offices = {}
        for region in sorted(w.offices):
            tier = "province" if region.endswith("0000") else ("city" if region.endswith("00") else "county")
            self.offices[region] = _Office(self.rng, region, tier)

    # ------------------------------------------------------------ messy values
    def date(self, office: _Office, d: dt.date | None) -> str | dt.date | None:
        if d is None:
            return None
        if office.fmt == "xlsx" and self.rng.random() > office.sloppy * 3:
            return d  # a real Excel date
        style = office.date_style if self.rng.random() > office.sloppy * 2 else None
        return ident.format_date(self.rng, d, style)

    def org_name(self, office: _Office, org_id: str, directory: bool = False) -> str:
        name = self.w.orgs[org_id].name
        rng = self.rng
        if not directory:
            roll = rng.random()
            short = ident.abbreviate_org(name)
            if short and roll < 0.3:
                name = short
            elif roll < 0.4:
                stripped = ident.strip_region_prefix(name, self.region_names)
                # Only a unit's own office drops the place name: it is implied there.
                if stripped != name and self.w.orgs[org_id].region_code == office.region:
                    name = stripped
        if rng.random() < office.sloppy:
            name = ident.messy_full_width(rng, name, 0.5) if any(c.isdigit() for c in name) else name
        if rng.random() < office.sloppy / 2 and len(name) >= 4:
            name = ident.typo(rng, name)
        return name

    def person_name(self, office: _Office, pid: str) -> str:
        name = self.w.people[pid].name
        if self.rng.random() < office.sloppy / 2 and len(name) >= 2:
            name = ident.typo(self.rng, name)
        return name

    def id_number(self, office: _Office, number: str) -> str | None:
        roll = self.rng.random()
        if roll < office.sloppy:
            return None
        if roll < office.sloppy * 1.4:
            return ident.corrupt_check_character(self.rng, number)
        if roll < office.sloppy * 1.8:
            return ident.to_full_width(number)
        return number

    def entity(self, kind: str, file: str, row: int, column: str, true_id: str) -> None:
        self.report.entities[kind].append([file, row, column, true_id])

    def write(self, table: Table, name: str, office: _Office, fmt: str | None = None) -> tuple[str, int]:
        fmt = fmt or office.fmt
        file = f"{name}.{fmt}"
        try:
            write_table(table, self.out / file, fmt, encoding=office.encoding)
        except ValueError:
            if fmt != "csv" or office.encoding != "gbk":
                raise
            # A character GBK cannot hold: this office exports in GB18030 after all.
            write_table(table, self.out / file, fmt, encoding="gb18030")
        self.report.files[file] = len(table.rows)
        return file, self._first_row(table, fmt)

    @staticmethod
    def _first_row(table: Table, fmt: str) -> int:
        # Physical row of the first data row, as a person opening the file sees it.
        if fmt != "xlsx":
            return 2
        return 2 + (1 if table.title else 0) + (1 if table.header_groups else 0)

    def region_label(self, region: str) -> str:
        return self.w.region_names[region]

    # ------------------------------------------------------------------ files
    def jurisdiction(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for org in self.w.orgs.values():
            # The province inspects its own units and the city and county party committees.
            if org.tier == "province" or (org.kind == "party_committee" and org.tier in ("city", "county")):
                out[self.w.province_code].append(org.org_id)
            else:
                out[org.region_code].append(org.org_id)
        return out

    def directories(self, owned: dict[str, list[str]]) -> None:
        w = self.w
        for region, office in self.offices.items():
            rows, refs = _fresh()
            for n, org_id in enumerate(sorted(owned.get(region, [])), start=1):
                org = w.orgs[org_id]
                parent = self.org_name(office, org.parent) if org.parent else None
                rows.append(
                    [
                        n,
                        self.org_name(office, org_id, directory=True),
                        ident.abbreviate_org(org.name),
                        TIER_LABELS[org.tier],
                        org.region_code if self.rng.random() > office.sloppy else None,
                        SYSTEM_LABELS.get(org.system or ""),
                        parent,
                        self.date(office, org.reorganised),
                        self.org_name(office, org.successor) if org.successor else None,
                    ]
                )
                refs.append((org_id, org.parent, org.successor))
            table = Table(
                [
                    "序号",
                    "单位名称",
                    "单位简称",
                    "单位层级",
                    "行政区划代码",
                    "所属系统",
                    "上级单位",
                    "撤并时间",
                    "撤并后单位",
                ],
                rows,
                title=f"{self.region_label(region)}被巡视巡察单位名录" if office.fmt == "xlsx" else None,
            )
            file, first = self.write(table, f"单位名录_{region}", office)
            for i, (org_id, parent, successor) in enumerate(refs):
                self.entity("organisation", file, first + i, "单位名称", org_id)
                if parent:
                    self.entity("organisation", file, first + i, "上级单位", parent)
                if successor:
                    self.entity("organisation", file, first + i, "撤并后单位", successor)

    def rosters(self, owned: dict[str, list[str]]) -> None:
        w = self.w
        office_of = {org_id: region for region, ids in owned.items() for org_id in ids}
        rows_by_office: dict[str, list[tuple[list[Any], str, str]]] = defaultdict(list)
        for p in w.people.values():
            for post in p.posts:
                region = office_of[post.org_id]
                office = self.offices[region]
                row = [
                    self.person_name(office, p.person_id),
                    "男" if p.gender == "male" else "女",
                    self.date(office, p.birth_date),
                    self.id_number(office, p.resident_id),
                    w.region_names.get(p.native_place, p.native_place),
                    self.org_name(office, post.org_id),
                    post.title,
                    self.date(office, post.start),
                    self.date(office, post.end),
                    "是" if post.leading else "否",
                ]
                rows_by_office[region].append((row, p.person_id, post.org_id))
        for region, items in sorted(rows_by_office.items()):
            office = self.offices[region]
            table = Table(
                [
                    "姓名",
                    "性别",
                    "出生日期",
                    "身份证号",
                    "籍贯",
                    "工作单位",
                    "职务",
                    "任职时间",
                    "免职时间",
                    "是否班子成员",
                ],
                [r for r, _, _ in items],
                title=f"{self.region_label(region)}干部名册" if office.fmt == "xlsx" else None,
                header_groups=[("基本情况", 5), ("任职情况", 5)] if office.fmt == "xlsx" else None,
            )
            file, first = self.write(table, f"干部名册_{region}", office)
            for i, (_, pid, org_id) in enumerate(items):
                self.entity("person", file, first + i, "姓名", pid)
                self.entity("organisation", file, first + i, "工作单位", org_id)

    def inspections(self) -> None:
        w = self.w
        rect_of = {r.finding_id: r for r in w.rectifications.values()}
        office_of_round = {rid: r.office for rid, r in w.rounds.items()}
        tours_of: dict[str, list[Any]] = defaultdict(list)
        for t in w.tours.values():
            tours_of[office_of_round[t.round_id]].append(t)
        findings_of: dict[str, list[Any]] = defaultdict(list)
        for f in w.findings.values():
            findings_of[f.tour_id].append(f)
        for region, office in self.offices.items():
            word = "巡视" if office.tier == "province" else "巡察"
            tours = sorted(tours_of[w.offices[region]], key=lambda t: t.tour_id)
            findings = sorted((f for t in tours for f in findings_of[t.tour_id]), key=lambda f: f.finding_id)
            local = {f.finding_id: f"{region}-{n:05d}" for n, f in enumerate(findings, start=1)}
            self.local_finding_ids.update(local)
            rows, refs = _fresh()
            for f in findings:
                tour = w.tours[f.tour_id]
                category = CATEGORY_NAMES[f.category] if self.rng.random() > 0.15 else f.category
                relayed = [self.local_finding_ids.get(x) for x in tour.relayed_from][:1]
                rows.append(
                    [
                        local[f.finding_id],
                        w.rounds[tour.round_id].name,
                        tour.team_name,
                        KIND_LABELS[tour.kind],
                        self.org_name(office, f.org_id),
                        category,
                        f.description,
                        self.date(office, f.found),
                        SEVERITY_LABELS[f.severity],
                        f.amount,
                        relayed[0] if relayed else None,
                    ]
                )
                refs.append((f.org_id, f.finding_id, f.tour_id))
            groups = [("", 1), (f"{word}信息", 3), ("问题情况", 6), ("", 1)] if office.fmt == "xlsx" else None
            table = Table(
                [
                    "问题编号",
                    "轮次",
                    f"{word}组",
                    f"{word}类型",
                    f"被{word}单位",
                    "问题类别",
                    "问题描述",
                    "发现时间",
                    "严重程度",
                    "涉及金额",
                    "关联上级问题编号",
                ],
                rows,
                title=f"{self.region_label(region)}{word}发现问题清单" if office.fmt == "xlsx" else None,
                header_groups=groups,
            )
            file, first = self.write(table, f"{word}发现问题_{region}", office)
            for i, (org_id, finding_id, tour_id) in enumerate(refs):
                self.entity("organisation", file, first + i, f"被{word}单位", org_id)
                self.entity("finding", file, first + i, "问题编号", finding_id)
                self.entity("tour", file, first + i, f"{word}组", tour_id)
            # Rectification ledger (整改台账), by the same office.
            rows, refs = _fresh()
            for f in findings:
                r = rect_of[f.finding_id]
                responsible = self.person_name(office, r.responsible) if r.responsible else None
                rows.append(
                    [
                        local[f.finding_id],
                        self.org_name(office, f.org_id),
                        CATEGORY_NAMES[f.category],
                        f"针对{CATEGORY_NAMES[f.category]}问题制定整改措施",
                        responsible,
                        self.date(office, r.deadline),
                        self.date(office, r.reported),
                        STATUS_LABELS[r.status],
                        "是" if r.verified else "否",
                    ]
                )
                refs.append((f.org_id, r.responsible, r.rectification_id))
            table = Table(
                [
                    "问题编号",
                    "责任单位",
                    "问题类别",
                    "整改措施",
                    "整改责任人",
                    "整改时限",
                    "完成时间",
                    "整改状态",
                    "是否验收",
                ],
                rows,
                title=f"{self.region_label(region)}{word}整改台账" if office.fmt == "xlsx" else None,
            )
            file, first = self.write(table, f"整改台账_{region}", office)
            for i, (org_id, pid, rect_id) in enumerate(refs):
                self.entity("organisation", file, first + i, "责任单位", org_id)
                self.entity("rectification", file, first + i, "问题编号", rect_id)
                if pid:
                    self.entity("person", file, first + i, "整改责任人", pid)
            # Teams and their members.
            rows, refs = _fresh()
            for t in tours:
                for pid, role in t.members:
                    person = w.people[pid]
                    where = person.posts[-1].org_id
                    targets = "、".join(self.org_name(office, o) for o in t.targets[:20])
                    rows.append(
                        [
                            w.rounds[t.round_id].name,
                            t.team_name,
                            {"leader": "组长", "deputy": "副组长"}.get(role, "组员"),
                            self.person_name(office, pid),
                            self.id_number(office, person.resident_id),
                            self.org_name(office, where),
                            person.posts[-1].title,
                            targets,
                            self.date(office, t.start),
                            self.date(office, t.end),
                        ]
                    )
                    refs.append((pid, where, t.tour_id))
            table = Table(
                [
                    "轮次",
                    f"{word}组",
                    "组内职务",
                    "姓名",
                    "身份证号",
                    "工作单位",
                    "职务",
                    f"{word}对象",
                    "进驻时间",
                    "结束时间",
                ],
                rows,
            )
            file, first = self.write(table, f"{word}组人员_{region}", office, fmt="csv")
            for i, (pid, org_id, tour_id) in enumerate(refs):
                self.entity("person", file, first + i, "姓名", pid)
                self.entity("organisation", file, first + i, "工作单位", org_id)
                self.entity("tour", file, first + i, f"{word}组", tour_id)

    def leads(self) -> None:
        w = self.w
        by_dept: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for lead in sorted(w.leads.values(), key=lambda x: x.lead_id):
            for dept, received, record_id in lead.departments:
                by_dept[dept].append((lead, received, record_id))
        for dept, items in sorted(by_dept.items()):
            office = self.offices.get(w.orgs[dept].region_code) or self.offices[w.province_code]
            rows, refs = _fresh()
            for lead, received, record_id in items:
                subject = self.person_name(office, lead.subject_person) if lead.subject_person else None
                summary = lead.summary if self.rng.random() < 0.6 else lead.summary.replace("反映", "举报")
                petitioner = w.people[lead.petitioner] if lead.petitioner else None
                rows.append(
                    [
                        record_id,
                        self.date(office, received),
                        SOURCE_LABELS[lead.source],
                        self.org_name(office, lead.subject_org),
                        subject,
                        CATEGORY_NAMES[lead.category],
                        summary,
                        petitioner.name if petitioner else None,
                        self.id_number(office, petitioner.resident_id) if petitioner else None,
                        DISPOSITION_LABELS[lead.status],
                    ]
                )
                refs.append((lead.subject_org, lead.subject_person, lead.lead_id))
            table = Table(
                [
                    "线索编号",
                    "受理日期",
                    "线索来源",
                    "反映对象单位",
                    "反映对象",
                    "问题类别",
                    "主要内容",
                    "信访人",
                    "信访人身份证号",
                    "处置方式",
                ],
                rows,
            )
            kind = "纪委监委" if w.orgs[dept].kind == "discipline_commission" else "巡察办"
            file, first = self.write(table, f"问题线索台账_{w.orgs[dept].region_code}_{kind}", office, fmt="csv")
            for i, (org_id, pid, lead_id) in enumerate(refs):
                self.entity("organisation", file, first + i, "反映对象单位", org_id)
                self.entity("lead", file, first + i, "线索编号", lead_id)
                if pid:
                    self.entity("person", file, first + i, "反映对象", pid)
        # Transfer registers, kept by the department that first registered the lead.
        transfers: dict[str, list[Any]] = defaultdict(list)
        for lead in sorted(w.leads.values(), key=lambda x: x.lead_id):
            if lead.transfer is not None:
                transfers[lead.departments[0][0]].append(lead)
        for dept, leads in sorted(transfers.items()):
            office = self.offices.get(w.orgs[dept].region_code) or self.offices[w.province_code]
            rows, refs = _fresh()
            for lead in leads:
                t = lead.transfer
                rows.append(
                    [
                        t.transfer_id,
                        lead.departments[0][2],
                        self.date(office, t.transferred),
                        self.org_name(office, t.recipient),
                        self.date(office, t.deadline),
                        self.date(office, t.feedback),
                        "已反馈" if t.feedback else "未反馈",
                    ]
                )
                refs.append((t.recipient, t.transfer_id))
            kind = "纪委监委" if w.orgs[dept].kind == "discipline_commission" else "巡察办"
            table = Table(["移交编号", "线索编号", "移交日期", "接收单位", "反馈期限", "反馈日期", "反馈情况"], rows)
            file, first = self.write(table, f"线索移交台账_{w.orgs[dept].region_code}_{kind}", office, fmt="csv")
            for i, (org_id, transfer_id) in enumerate(refs):
                self.entity("organisation", file, first + i, "接收单位", org_id)
                self.entity("transfer", file, first + i, "移交编号", transfer_id)

    def declarations(self) -> None:
        w = self.w
        by_city: dict[str, list[dict[str, Any]]] = defaultdict(list)
        refs: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        roles_by_person: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for c in w.companies.values():
            for pid, role in c.officers:
                roles_by_person[pid].append((c.company_id, role))
            for pid, _share in c.shareholders:
                roles_by_person[pid].append((c.company_id, "shareholder"))
        for p in sorted(w.people.values(), key=lambda x: x.person_id):
            declared = [(rid, rel) for rid, rel, ok in p.relatives if ok]
            if not declared or not p.posts:
                continue
            city = w.orgs[p.posts[-1].org_id].region_code[:4] + "00"
            city = city if city in self.offices else w.province_code
            office = self.offices[city]
            members = []
            for rid, rel in declared:
                relative = w.people[rid]
                members.append(
                    {
                        "姓名": relative.name,
                        "称谓": RELATION_LABELS[rel],
                        "身份证号": self.id_number(office, relative.resident_id),
                        "从业情况": [
                            {
                                "企业名称": w.companies[cid].name,
                                "统一社会信用代码": w.companies[cid].uscc,
                                "职务": ROLE_LABELS[role],
                            }
                            for cid, role in roles_by_person.get(rid, [])
                        ],
                    }
                )
            by_city[city].append(
                {
                    "申报人": p.name,
                    "身份证号": self.id_number(office, p.resident_id),
                    "工作单位": self.org_name(office, p.posts[-1].org_id),
                    "申报年度": max(w.scale.years),
                    "家庭成员": members,
                }
            )
            refs[city].append((len(by_city[city]), p.person_id, p.posts[-1].org_id))
        for city, records in sorted(by_city.items()):
            file = f"个人有关事项_{city}.json"
            write_json(records, self.out / file, wrapper="data")
            self.report.files[file] = len(records)
            for n, pid, org_id in refs[city]:
                self.entity("person", file, n, "申报人", pid)
                self.entity("organisation", file, n, "工作单位", org_id)

    def market(self) -> None:
        w = self.w
        by_city: dict[str, list[str]] = defaultdict(list)
        for c in sorted(w.companies.values(), key=lambda x: x.company_id):
            by_city[c.region_code[:4] + "00"].append(c.company_id)
        for city, ids in sorted(by_city.items()):
            office = self.offices[city]
            rows, refs = _fresh()
            for cid in ids:
                c = w.companies[cid]
                legal = next((pid for pid, role in c.officers if role == "legal_representative"), None)
                lp = w.people[legal] if legal else None
                holders = ";".join(
                    f"{w.people[h].name if h in w.people else w.companies[h].name}:{share:.0%}"
                    for h, share in c.shareholders
                )
                staff = ";".join(
                    f"{w.people[pid].name}:{ROLE_LABELS[role]}"
                    for pid, role in c.officers
                    if role != "legal_representative"
                )
                uscc = c.uscc if self.rng.random() > 0.03 else ident.corrupt_check_character(self.rng, c.uscc)
                rows.append(
                    [
                        uscc,
                        c.name,
                        lp.name if lp else None,
                        self.id_number(office, lp.resident_id) if lp else None,
                        c.address,
                        c.phone,
                        self.date(office, c.established),
                        holders,
                        staff,
                    ]
                )
                refs.append(cid)
            table = Table(
                [
                    "统一社会信用代码",
                    "企业名称",
                    "法定代表人",
                    "法定代表人身份证号",
                    "注册地址",
                    "联系电话",
                    "成立日期",
                    "股东及出资比例",
                    "主要人员",
                ],
                rows,
            )
            file, first = self.write(table, f"企业登记信息_{city}", office, fmt="csv")
            for i, cid in enumerate(refs):
                self.entity("company", file, first + i, "企业名称", cid)
        by_city_t: dict[str, list[str]] = defaultdict(list)
        for t in sorted(w.tenders.values(), key=lambda x: x.tender_id):
            region = w.orgs[t.buyer].region_code
            by_city_t[region[:4] + "00" if not region.endswith("0000") else region].append(t.tender_id)
        for city, tids in sorted(by_city_t.items()):
            office = self.offices[city]
            rows, refs = _fresh()
            for tid in tids:
                t = w.tenders[tid]
                buyer = self.org_name(office, t.buyer)
                for bid in t.bids:
                    c = w.companies[bid.company_id]
                    name = c.name if self.rng.random() > 0.05 else ident.typo(self.rng, c.name)
                    rows.append(
                        [
                            t.tender_id,
                            t.title,
                            buyer,
                            t.budget,
                            self.date(office, t.announced),
                            self.date(office, t.awarded),
                            METHOD_LABELS[t.method],
                            name,
                            c.uscc if self.rng.random() > 0.1 else None,
                            bid.amount,
                            bid.rank,
                            "是" if bid.won else "否",
                        ]
                    )
                    refs.append((t.buyer, c.company_id, t.tender_id))
            table = Table(
                [
                    "项目编号",
                    "项目名称",
                    "采购人",
                    "预算金额",
                    "公告日期",
                    "开标日期",
                    "采购方式",
                    "投标人",
                    "投标人统一社会信用代码",
                    "投标报价",
                    "报价排名",
                    "是否中标",
                ],
                rows,
            )
            file, first = self.write(table, f"招投标_{city}", office, fmt="csv")
            for i, (buyer, cid, tender_id) in enumerate(refs):
                self.entity("organisation", file, first + i, "采购人", buyer)
                self.entity("company", file, first + i, "投标人", cid)
                self.entity("tender", file, first + i, "项目编号", tender_id)


def render(w: World, out: str | Path, seed: int) -> RenderReport:
    """Write every tier's exports of world ``w`` into folder ``out``.

    Returns
    -------
    RenderReport
        Files written with row counts, and ``entities``: for each kind
        (organisation, person, company) a list of ``[file, row, column, true id]``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    r = _Renderer(w, out, seed)
    owned = r.jurisdiction()
    r.directories(owned)
    r.rosters(owned)
    r.inspections()
    r.leads()
    r.declarations()
    r.market()
    return r.report
