"""The offices' files: each office writes its unit directory, cadre roster, company register and bid list its own way.

Each of the 31 offices draws one layout per kind of file (header words, column
set, date style, CSV in UTF-8 or GBK, or XLSX with a title row) and numbers its
records with ids of its own. Nothing passes between offices: every name, number
and date is written from the true world by that office alone, with the variants
of :mod:`.names` at their documented rates.

Beside the files go the truth: which true entity each cell names
(``truth_entities.csv``), which record key each entity's records get from this
package's mappings (``truth_records.csv``), the look-alike pairs that are not
one entity (``decoys.csv``) and the variant counts (``variants.csv``).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ingest.parse import normalise_org_name, normalise_person_name

from .names import RATES, Variants, homophone, pick, slip
from .world import Company, Org, Person, Region, World

__all__ = ["render", "RenderReport", "LAYOUTS"]

# Layouts per kind of file: the file's format and the columns it has (the mapping of the same name reads it).
LAYOUTS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "directory": {
        "D1": ("csv-utf8", ("序号", "单位编码", "单位名称", "单位类别", "单位级别", "上级主管单位", "行政区划代码")),
        "D2": ("xlsx", ("编号", "机构全称", "机构层级", "机构性质", "隶属单位", "所属系统")),
        "D3": ("csv-gbk", ("单位代码", "单位", "级别", "主管部门")),
    },
    "roster": {
        "R1": (
            "csv-utf8",
            ("序号", "人员编号", "姓名", "性别", "出生年月", "身份证号", "工作单位", "职务", "任职时间", "免职时间"),
        ),
        "R2": (
            "xlsx",
            ("编号", "干部姓名", "性别", "出生日期", "公民身份号码", "单位名称", "职务名称", "任现职时间", "离任时间"),
        ),
        "R3": ("csv-gbk", ("工号", "姓名", "出生年月", "身份证号码", "所在单位", "担任职务", "任职日期", "离职日期")),
    },
    "register": {
        "C1": ("csv-utf8", ("企业编号", "企业名称", "统一社会信用代码", "法定代表人", "所属区县", "成立日期")),
        "C2": ("xlsx", ("登记编号", "市场主体名称", "信用代码", "法人代表", "住所", "成立时间")),
    },
    "bids": {
        "B1": (
            "csv-gbk",
            (
                "项目编号",
                "项目名称",
                "招标人",
                "投标单位",
                "统一社会信用代码",
                "法定代表人",
                "投标金额（元）",
                "是否中标",
            ),
        ),
        "B2": (
            "xlsx",
            (
                "标段编号",
                "采购项目名称",
                "采购单位",
                "供应商名称",
                "供应商统一社会信用代码",
                "供应商法人",
                "报价（万元）",
                "中标结果",
            ),
        ),
    },
}
_FILE_WORD = {"directory": "单位名录", "roster": "干部名册", "register": "企业名录", "bids": "投标记录"}
# Which column of each layout names which kind of entity: (column, kind).
_TIER_LABEL = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇"}
_TIER_SHORT = {"province": "省", "city": "市", "county": "县", "township": "乡镇"}
_KIND_LABEL = {
    "party_committee": "党委",
    "other": "其他",
    "discipline_commission": "纪委监委",
    "organisation_department": "组织部",
    "inspection_office": "巡视巡察办",
    "government_department": "政府部门",
    "public_institution": "事业单位",
    "township": "乡镇街道",
    "school": "学校",
    "hospital": "医院",
}
_STREETS = ("人民路", "解放路", "建设路", "中山路", "滨江路", "新华路", "胜利路", "文化路", "工业大道", "迎宾大道")
_LEADERSHIP = ("party", "gov", "discipline", "orgdept")


@dataclass
class RenderReport:
    files: dict[str, int] = field(default_factory=dict)  # file -> data rows
    layouts: dict[str, dict[str, str]] = field(default_factory=dict)  # office -> kind -> layout
    cells: list[tuple[str, str, int, str, str]] = field(default_factory=list)  # (kind, file, row, column, entity)
    records: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, record key) -> entity
    variants: Variants = field(default_factory=Variants)
    fallbacks: int = 0  # variants written in full because they would have named another entity in the office


@dataclass
class _Office:
    region: Region
    layouts: dict[str, str]
    rng: random.Random
    org_names: dict[str, str] = field(default_factory=dict)  # normalised written name -> entity
    bid_names: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)  # person -> local number
    people: dict[str, dict[str, str]] = field(default_factory=dict)  # person -> how this office writes them


class _Renderer:
    def __init__(self, world: World, out: Path, seed: int):
        self.w, self.out, self.seed = world, out, seed
        self.report = RenderReport()
        self.full_org_names = {normalise_org_name(o.full) for o in world.orgs.values()}
        self.registered_names = {normalise_org_name(self.registered(c)) for c in world.companies.values()}
        for c in world.companies.values():
            if c.planted is None and c.branch_of is None:  # planted decoys and branches are not drawn at the rates
                self.report.variants.note("company.registered_style", c.style)
                self.report.variants.note("company.registered_form", c.form)

    # --- units ---------------------------------------------------------------------------------------------------

    def org_name(self, office: _Office, org: Org, typed: bool) -> str:
        """How ``office`` writes ``org``; ``typed`` (rosters, bid lists) allows a slip."""
        rng = office.rng
        draw = _Draws(rng)
        notes = draw.notes

        r, s = org.region, org.region.suffix
        bare = r.code == office.region.code and draw("org.own_bare") == "bare"
        place = "" if bare else r.name
        role = org.role
        if role == "party":
            if bare:
                name = f"{s}委"
            else:
                name = {
                    "中共X委员会": f"中共{place}委员会",
                    "中共X委": f"中共{place}委",
                    "X委": f"{place}委",
                    "中国共产党X委员会": f"中国共产党{place}委员会",
                }[draw("org.party_form")]
        elif role == "gov":
            name = (s if bare else place) + draw("org.gov_form")
        elif role == "discipline":
            if bare:
                name = f"{s}纪委监委" if rng.random() < 0.7 else f"{s}纪委"
            else:
                name = {
                    "中共X纪律检查委员会": f"中共{place}纪律检查委员会",
                    "X纪委监委": f"{place}纪委监委",
                    "中共X纪委": f"中共{place}纪委",
                    "X纪委": f"{place}纪委",
                }[draw("org.discipline_form")]
        elif role == "orgdept":
            if bare:
                name = f"{s}委组织部"
            else:
                name = {
                    "中共X委员会组织部": f"中共{place}委员会组织部",
                    "中共X委组织部": f"中共{place}委组织部",
                    "X委组织部": f"{place}委组织部",
                }[draw("org.orgdept_form")]
        elif role == "inspection":
            word = "巡视" if r.tier == "province" else "巡察"
            if bare:
                name = f"{s}委{word}办"
            else:
                name = {"full": org.full, "X委巡察办": f"{place}委{word}办", "中共X委巡察办": f"中共{place}委{word}办"}[
                    draw("org.inspection_form")
                ]
        elif role == "dept":
            assert org.dept is not None
            full, short = org.dept.at(r.tier) or ("", None)
            part = short if short and draw("org.dept_form") == "short" else full
            name = place + part
        elif role == "town":
            assert org.town is not None
            v = draw("org.town_form")
            word = org.town[-2:] if org.town.endswith("街道") else org.town[-1]
            town = (
                org.town
                + {
                    "town": "",
                    "人民政府": "办事处" if word == "街道" else "人民政府",
                    "党委": "党工委" if word == "街道" else "党委",
                }[v]
            )
            name = place + town
        elif role == "school":
            name = (f"{s}" if bare else place) + "第一中学"
        elif role == "hospital":
            name = (f"{s}" if bare else place) + "人民医院"
        elif role == "tcm_hospital":
            name = (f"{s}" if bare else place) + "中医院"
        else:
            raise ValueError(role)
        if typed:
            v = draw("org.typo")
            if v == "typo" and len(name) >= 4:
                positions = range(len(name) - len(name) // 2, len(name) - 1)
                typo = homophone(rng, name, positions) or slip(rng, name, positions)
                if normalise_org_name(typo) not in self.full_org_names:
                    name = typo
        norm = normalise_org_name(name)
        assert norm is not None
        if office.org_names.get(norm, org.eid) != org.eid:
            # Another unit of this office is written so: write this one in full.
            name, notes = org.full, []
            norm = normalise_org_name(name)
            assert norm is not None
            self.report.fallbacks += 1
            if office.org_names.get(norm, org.eid) != org.eid:
                raise AssertionError(f"{office.region.code}: {name} names two units")
        for family, v in notes:
            self.report.variants.note(family, v)
        office.org_names[norm] = org.eid
        self.record("organisation", f"org:{office.region.code}:{norm}", org.eid)
        return name

    # --- companies -----------------------------------------------------------------------------------------------

    @staticmethod
    def compose(c: Company, style: str, form: str, trade: str, industry: str, full_width: bool = True) -> str:
        core = trade + industry
        if style == "prefix_first":
            name = c.place + core + form
        elif style == "bracketed":
            left, right = ("（", "）") if full_width else ("(", ")")
            name = f"{core}{left}{c.place}{right}{form}"
        else:
            name = core + form
        if c.branch_place:
            name += c.branch_place + "分公司"
        return name

    def registered(self, c: Company) -> str:
        return self.compose(c, c.style, c.form, c.trade, c.industry)

    def company_name(self, office: _Office, c: Company, context: str) -> str:
        rng = office.rng
        draw = _Draws(rng)
        notes = draw.notes

        style, form, trade, industry = c.style, c.form, c.trade, c.industry
        if context == "bids":
            v = draw("company.place_in_bids")
            if v == "dropped":
                style = "none"
            elif v == "other_style":
                style = "bracketed" if c.style == "prefix_first" else "prefix_first"
            if draw("company.form_in_bids") == "other_form":
                form = "有限公司" if c.form == "有限责任公司" else "有限责任公司"
            typo = draw("company.typo_in_bids")
        else:
            typo = draw("company.typo_in_register")
        full_width = style != "bracketed" or draw("company.brackets") == "full_width"
        if typo == "sound_alike":
            trade = homophone(rng, trade) or trade
        elif typo == "one_character":
            core = slip(rng, trade + industry, range(len(trade + industry)))
            trade, industry = core[: len(trade)], core[len(trade) :]
        name = self.compose(c, style, form, trade, industry, full_width)
        if typo != "none" and normalise_org_name(name) in self.registered_names - {
            normalise_org_name(self.registered(c))
        }:
            name = self.compose(c, style, form, c.trade, c.industry, full_width)  # the slip made another firm's name
        for family, v in notes:
            self.report.variants.note(family, v)
        return name

    # --- people --------------------------------------------------------------------------------------------------

    def person_view(self, office: _Office, p: Person) -> dict[str, str]:
        """How ``office`` writes ``p`` (one choice per person and office): number, name, birth, ID, gender."""
        found = office.people.get(p.eid)
        if found is not None:
            return found
        rng, layout = office.rng, office.layouts["roster"]
        variants = self.report.variants
        number = len(office.people) + 1
        staff = {"R1": f"RY{number:05d}", "R2": str(number), "R3": f"GH{office.region.code[2:4]}{number:04d}"}[layout]
        name = p.name
        if pick(rng, "person.name_typo", variants) == "sound_alike":
            name = homophone(rng, name, range(1, len(name))) or name
        precision = pick(rng, f"person.birth[{layout}]", variants)
        b = p.birth
        if layout == "R1":
            birth = f"{b.year}.{b.month:02d}" if rng.random() < 0.6 else f"{b.year}年{b.month}月"
        elif layout == "R2":
            birth = b.isoformat() if rng.random() < 0.6 else f"{b.year}/{b.month}/{b.day}"
        else:
            birth = f"{b.year}{b.month:02d}" if precision == "year_month" else f"{b.year}.{b.month:02d}.{b.day:02d}"
        shown = pick(rng, "person.id", variants)
        rid = {"full": p.rid, "masked": p.rid[:6] + "********" + p.rid[14:], "absent": ""}[shown]
        view = {"staff": staff, "name": name, "birth": birth, "rid": rid, "gender": p.gender}
        office.people[p.eid] = view
        norm = normalise_person_name(name)
        assert norm
        self.record("person", f"person:{office.region.code}:{staff}", p.eid)
        return view

    def post_text(self, office: _Office, org: Org, level: str) -> str:
        s = org.region.suffix
        alt = pick(office.rng, "person.post_form", self.report.variants) == "alternate"
        role = org.role
        if role == "party":
            std, other = {
                "head": ("书记", f"{s}委书记"),
                "deputy": ("副书记", f"{s}委副书记"),
                "standing": ("常委", f"{s}委常委"),
            }[level]
        elif role == "gov":
            std, other = {"head": (f"{s}长", f"{s}人民政府{s}长"), "deputy": (f"副{s}长", f"{s}人民政府副{s}长")}[level]
        elif role == "discipline":
            std, other = {"head": ("书记", "纪委书记、监委主任"), "deputy": ("副书记", "纪委副书记、监委副主任")}[level]
        elif role == "orgdept":
            std, other = {"head": ("部长", f"{s}委常委、组织部部长"), "deputy": ("副部长", "常务副部长")}[level]
        elif role == "inspection":
            std, other = "主任", ("巡视办主任" if org.region.tier == "province" else "巡察办主任")
        elif role == "dept":
            assert org.dept is not None
            head = org.dept.head
            std, other = {"head": (head, f"党组书记、{head}"), "deputy": (f"副{head}", f"党组成员、副{head}")}[level]
        elif role == "town":
            assert org.town is not None
            street = org.town.endswith("街道")
            word = "街道" if street else org.town[-1]
            if level == "head":
                std, other = ("党工委书记", "街道党工委书记") if street else ("党委书记", f"{word}党委书记")
            else:
                std, other = ("主任", "街道办事处主任") if street else (f"{word}长", f"{word}人民政府{word}长")
        elif role == "school":
            std, other = "校长", "党委书记、校长"
        else:
            std, other = "院长", "党委副书记、院长"
        return other if alt else std

    # --- bookkeeping ---------------------------------------------------------------------------------------------

    def record(self, kind: str, key: str, entity: str) -> None:
        known = self.report.records.setdefault((kind, key), entity)
        if known != entity:
            raise AssertionError(f"record {key} would name both {known} and {entity}")

    def cell(self, kind: str, file: str, row: int, column: str, entity: str) -> None:
        self.report.cells.append((kind, file, row, column, entity))

    def write(
        self, office: _Office, kind: str, rows: list[list[object]], entities: list[list[tuple[str, str, str]]]
    ) -> None:
        """Write one file; ``entities[i]`` lists (kind, column, entity) that row ``i`` names."""
        layout = office.layouts[kind]
        fmt, columns = LAYOUTS[kind][layout]
        ext = "xlsx" if fmt == "xlsx" else "csv"
        file = f"{_FILE_WORD[kind]}_{office.region.code}.{ext}"
        path = self.out / file
        if fmt == "xlsx":
            from openpyxl import Workbook

            wb = Workbook()
            ws = wb.active
            assert ws is not None
            ws.title = _FILE_WORD[kind]
            ws.append([f"{office.region.name}{_FILE_WORD[kind]}（导出）"])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
            ws.append(list(columns))
            for row in rows:
                ws.append(row)
            wb.properties.created = wb.properties.modified = dt.datetime(2024, 12, 31)
            wb.save(path)
            first = 3
        else:
            encoding = "gbk" if fmt == "csv-gbk" else "utf-8-sig"
            with open(path, "w", encoding=encoding, newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(columns)
                writer.writerows(rows)
            first = 2
        for i, named in enumerate(entities):
            for entity_kind, column, entity in named:
                self.cell(entity_kind, file, first + i, column, entity)
        self.report.files[file] = len(rows)

    # --- the four files --------------------------------------------------------------------------------------------

    def directory_units(self, office: _Office) -> list[Org]:
        w, r, rng = self.w, office.region, office.rng
        own = w.units_of(r.code)
        own_depts = {o.dept.key for o in own if o.dept}
        listed = list(own)

        def unit(region: str | None, key: str) -> Org | None:
            return w.orgs.get(f"O:{region}:{key}") if region else None

        def add(org: Org | None) -> None:
            if org is not None and org not in listed:
                listed.append(org)

        if r.tier == "county":
            for key in ("party", "gov", "discipline", "orgdept", "inspection"):
                add(unit(r.parent, key))
            for key in sorted(own_depts):
                if rng.random() < 0.35:
                    add(unit(r.parent, f"dept:{key}"))
            for key in ("party", "discipline"):
                if rng.random() < 0.5:
                    add(unit("360000", key))
        elif r.tier == "city":
            for key in ("party", "gov", "discipline", "inspection"):
                add(unit("360000", key))
            for key in sorted(own_depts):
                if rng.random() < 0.3:
                    add(unit("360000", f"dept:{key}"))
            for county in sorted(c for c, reg in w.regions.items() if reg.parent == r.code):
                for org in w.units_of(county):
                    roll = rng.random()
                    if (
                        org.role in ("party", "gov", "discipline")
                        or (org.role == "dept" and roll < 0.2)
                        or (org.role == "town" and roll < 0.1)
                        or (org.role in ("hospital", "tcm_hospital") and roll < 0.2)
                    ):
                        add(org)
        else:
            for city in sorted(c for c, reg in w.regions.items() if reg.tier == "city"):
                for org in w.units_of(city):
                    if org.role in ("party", "gov", "discipline") or (org.role == "dept" and rng.random() < 0.15):
                        add(org)
                for county in sorted(c for c, reg in w.regions.items() if reg.parent == city):
                    if rng.random() < 0.3:
                        add(unit(county, "party"))
        return listed

    def directory(self, office: _Office) -> None:
        layout = office.layouts["directory"]
        r = office.region
        rows: list[list[object]] = []
        entities: list[list[tuple[str, str, str]]] = []
        for n, org in enumerate(self.directory_units(office), start=1):
            name = self.org_name(office, org, typed=False)
            parent = ""
            named = []
            parent_org = self.w.orgs.get(org.parent) if org.parent else None
            # An office writes the parent of its own units (and its own party committee's and government's).
            if parent_org is not None and org.region.code == r.code:
                parent = self.org_name(office, parent_org, typed=False)
            if layout == "D1":
                rows.append(
                    [
                        n,
                        f"{r.code[:4]}{n:04d}",
                        name,
                        _KIND_LABEL[org.kind],
                        _TIER_LABEL[org.tier],
                        parent,
                        org.region.code,
                    ]
                )
                named = [("organisation", "单位名称", org.eid)]
                parent_column = "上级主管单位"
            elif layout == "D2":
                system = org.dept.system if org.dept and org.dept.system else ""
                rows.append([n, name, _TIER_SHORT[org.tier], _KIND_LABEL[org.kind], parent, system])
                named = [("organisation", "机构全称", org.eid)]
                parent_column = "隶属单位"
            else:
                rows.append([f"DW{n:03d}", name, _TIER_LABEL[org.tier], parent])
                named = [("organisation", "单位", org.eid)]
                parent_column = "主管部门"
            if parent_org is not None and parent:
                named.append(("organisation", parent_column, parent_org.eid))
            entities.append(named)
        self.write(office, "directory", rows, entities)

    def roster_posts(self, office: _Office) -> list[tuple[Person, int]]:
        w, r = self.w, office.region
        out = []
        for p in w.people.values():
            for i, post in enumerate(p.posts):
                org = w.orgs[post.org]
                if org.region.code == r.code:
                    out.append((p, i))
                    continue
                if post.end is not None:
                    continue
                leader = org.role in _LEADERSHIP and post.level in ("head", "deputy", "standing")
                if (
                    r.tier == "city"
                    and org.region.parent == r.code
                    and leader
                    or r.tier == "province"
                    and ((org.region.tier == "city" and leader) or (org.region.tier == "county" and p.province_listed))
                ):
                    out.append((p, i))
        return out

    def roster(self, office: _Office) -> None:
        layout = office.layouts["roster"]
        rng = office.rng
        rows: list[list[object]] = []
        entities: list[list[tuple[str, str, str]]] = []
        for n, (p, i) in enumerate(self.roster_posts(office), start=1):
            post = p.posts[i]
            org = self.w.orgs[post.org]
            v = self.person_view(office, p)
            unit = self.org_name(office, org, typed=True)
            title = self.post_text(office, org, post.level)
            if layout == "R1":

                def ym(d: dt.date | None) -> str:
                    return f"{d.year}.{d.month:02d}" if d else ""

                gender = v["gender"] if rng.random() < 0.9 else ""
                rows.append(
                    [n, v["staff"], v["name"], gender, v["birth"], v["rid"], unit, title, ym(post.start), ym(post.end)]
                )
                entities.append([("person", "姓名", p.eid), ("organisation", "工作单位", org.eid)])
            elif layout == "R2":

                def cn(d: dt.date | None) -> str:
                    return f"{d.year}年{d.month}月" if d else ""

                rows.append(
                    [
                        int(v["staff"]),
                        v["name"],
                        v["gender"],
                        v["birth"],
                        v["rid"],
                        unit,
                        title,
                        cn(post.start),
                        cn(post.end),
                    ]
                )
                entities.append([("person", "干部姓名", p.eid), ("organisation", "单位名称", org.eid)])
            else:

                def slash(d: dt.date | None) -> str:
                    return f"{d.year}/{d.month}/{d.day}" if d else ""

                rows.append(
                    [v["staff"], v["name"], v["birth"], v["rid"], unit, title, slash(post.start), slash(post.end)]
                )
                entities.append([("person", "姓名", p.eid), ("organisation", "所在单位", org.eid)])
        self.write(office, "roster", rows, entities)

    def register_companies(self, office: _Office) -> list[Company]:
        r, rng = office.region, office.rng
        out = []
        for c in self.w.companies.values():
            if r.tier == "county":
                listed = c.region.code == r.code
            elif r.tier == "city":
                listed = c.city.code == r.code and (
                    c.planted is not None or rng.random() < (0.3 if c.branch_of else 0.5)
                )
            else:
                listed = c.planted is not None or rng.random() < 0.12
            if listed:
                out.append(c)
        return out

    def register(self, office: _Office) -> None:
        layout = office.layouts["register"]
        rng = office.rng
        rows: list[list[object]] = []
        entities: list[list[tuple[str, str, str]]] = []
        for n, c in enumerate(self.register_companies(office), start=1):
            name = self.company_name(office, c, "register")
            given = pick(rng, f"company.uscc[{layout}]", self.report.variants) == "given"
            legal = pick(rng, f"company.legal[{layout}]", self.report.variants) == "given"
            if layout == "C1":
                number = f"QY{n:05d}"
                rows.append(
                    [
                        number,
                        name,
                        c.uscc if given else "",
                        c.legal if legal else "",
                        c.region.code,
                        c.established.isoformat(),
                    ]
                )
                entities.append([("company", "企业名称", c.eid)])
            else:
                number = f"DJ{office.region.code[2:]}{n:05d}"
                address = f"{c.region.name}{rng.choice(_STREETS)}{rng.randint(1, 300)}号"
                rows.append(
                    [
                        number,
                        name,
                        c.uscc if given else "",
                        c.legal if legal else "",
                        address,
                        f"{c.established.year}年{c.established.month}月{c.established.day}日",
                    ]
                )
                entities.append([("company", "市场主体名称", c.eid)])
            self.record("company", f"company:{office.region.code}:reg:{number}", c.eid)
        self.write(office, "register", rows, entities)

    def bids(self, office: _Office) -> None:
        layout = office.layouts["bids"]
        rng = office.rng
        rows: list[list[object]] = []
        entities: list[list[tuple[str, str, str]]] = []
        for t in self.w.tenders:
            if t.office != office.region.code:
                continue
            buyer_org = self.w.orgs[t.buyer]
            for company_id, amount, won in t.bids:
                c = self.w.companies[company_id]
                buyer = self.org_name(office, buyer_org, typed=True)
                bidder = self.company_name(office, c, "bids")
                norm = normalise_org_name(bidder)
                assert norm is not None
                if office.bid_names.get(norm, c.eid) != c.eid:
                    bidder = self.registered(c)  # another bidder of this office is written so
                    norm = normalise_org_name(bidder)
                    assert norm is not None
                    self.report.fallbacks += 1
                office.bid_names[norm] = c.eid
                self.record("company", f"company:{office.region.code}:bid:{norm}", c.eid)
                given = pick(rng, f"company.uscc[{layout}]", self.report.variants) == "given"
                legal = pick(rng, f"company.legal[{layout}]", self.report.variants) == "given"
                if layout == "B1":
                    number = f"JXZB{office.region.code[2:]}-{t.announced.year}-{t.number}"
                    rows.append(
                        [
                            number,
                            t.title,
                            buyer,
                            bidder,
                            c.uscc if given else "",
                            c.legal if legal else "",
                            f"{amount:.2f}",
                            "是" if won else "否",
                        ]
                    )
                    entities.append([("organisation", "招标人", buyer_org.eid), ("company", "投标单位", c.eid)])
                else:
                    number = f"{t.announced.year}-{t.number}标段"
                    rows.append(
                        [
                            number,
                            t.title,
                            buyer,
                            bidder,
                            c.uscc if given else "",
                            c.legal if legal else "",
                            round(amount / 10_000, 6),
                            "中标" if won else "未中标",
                        ]
                    )
                    entities.append([("organisation", "采购单位", buyer_org.eid), ("company", "供应商名称", c.eid)])
        self.write(office, "bids", rows, entities)


def render(world: World, out: Path, seed: int) -> RenderReport:
    """Write every office's four files into ``out`` and return what was written, with the truth."""
    out.mkdir(parents=True, exist_ok=True)
    renderer = _Renderer(world, out, seed)
    offices = world.offices()
    rng = random.Random(f"offices-layouts:{seed}")
    # Every layout is used: each kind deals its layouts round-robin over the offices, in a seeded order.
    assigned: dict[str, dict[str, str]] = defaultdict(dict)
    for kind, layouts in LAYOUTS.items():
        order = [o.code for o in offices]
        rng.shuffle(order)
        names = sorted(layouts)
        for i, code in enumerate(order):
            assigned[code][kind] = names[i % len(names)]
    for region in offices:
        office = _Office(region, dict(assigned[region.code]), random.Random(f"offices-office:{seed}:{region.code}"))
        renderer.report.layouts[region.code] = office.layouts
        renderer.directory(office)
        renderer.roster(office)
        renderer.register(office)
        renderer.bids(office)
    return renderer.report


assert all(abs(sum(r.values()) - 1) < 1e-9 for r in RATES.values())


class _Draws:
    """The variant draws made for one name, noted so that the drawn shares can be checked against the rates."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.notes: list[tuple[str, str]] = []

    def __call__(self, family: str) -> str:
        v = pick(self.rng, family)
        self.notes.append((family, v))
        return v
