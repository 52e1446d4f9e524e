"""An office's own format at scale: `mapping check` on a large file, and ingest rows/s with user mappings.

Writes, into a scratch folder, an office's unit register and its problem list
in its own layout (the kind of file the mapping language is for: unit codes
of its own, a year and a month column put together by a template, categories
from keywords in free text, severity words through a map with a default, the
unit code extracted from "JX-0001（单位名称）", several problems in one cell
split into several findings), with the office's own taxonomy. Then it times:

* ``liandong mapping check`` (the library call behind it) on the problem list;
* ``ingest`` of both files with the user mappings into a fresh embedded
  workspace, and again into Neo4j when NEO4J_URI is set.

    python bench/user_mappings.py --rows 100000
    python bench/user_mappings.py --rows 100000 --out bench/results/user_mappings.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graphmodel import EmbeddedBackend, load_schema
from ingest.check import check_mapping
from ingest.load import Ingester
from ingest.mapping import load_mapping
from ingest.taxonomy import load_taxonomy

TAXONOMY = """
categories:
- {code: Z1, name: 政治建设方面}
- {code: Z1-01, name: 落实上级决策不力, parent: Z1, aliases: [贯彻不力]}
- {code: Z2, name: 廉洁方面}
- {code: Z2-01, name: 违规吃喝, parent: Z2, aliases: [大吃大喝]}
- {code: Z2-02, name: 串通投标, parent: Z2}
- {code: Z2-03, name: 违规发放津补贴, parent: Z2}
- {code: Z3, name: 作风方面}
- {code: Z3-01, name: 形式主义, parent: Z3}
systems:
- {code: gx, name: 供销合作, aliases: [供销社]}
- {code: jt, name: 交通运输}
- {code: jy, name: 教育}
"""

UNITS = """
format: office-units
title: 单位台账
headers: {required: [单位编码, 单位全称]}
file_vars:
  office: {pattern: '(\\d{6})', parse: region_code}
fields:
  unit: {column: 单位编码, required: true}
  name: {column: 单位全称, parse: org_name, required: true}
  system: {column: 所属系统, parse: system}
  tier: {which: {县区代码: county, 地市代码: city}, parse: {enum: Organisation.tier}}
  region: {column: [县区代码, 地市代码], parse: region_code, aliases: {市本级: '330400'}}
records:
  - node: Organisation
    key: "unit:{unit}"
    props: {name: name, system: system, tier: tier, region_code: region, office: office}
"""

PROBLEMS = """
format: office-problems
title: 问题台账
headers: {required: [问题序号, 单位, 问题摘要]}
file_vars:
  office: {pattern: '(\\d{6})', parse: region_code}
fields:
  seq: {column: 问题序号, required: true}
  unit: {column: 单位, extract: '^([A-Z]+-\\d+)', required: true}
  found: {template: '{年度}-{月份}-01', parse: date, required: true}
  severity: {column: 性质, map: {一般: minor, 严重: severe}, default: serious, parse: {enum: Finding.severity}}
each:
  - split: 问题摘要
    separator: "；;"
    parts: [text]
    fields:
      category: {column: text, keywords: {吃喝: Z2-01, 串标: Z2-02, 津补贴: Z2-03, 走过场: Z3-01}, default: 贯彻不力,
                 parse: category}
    records:
      - node: Finding
        key: "问题:{seq}:{_index}"
        props: {category: category, found_date: found, severity: severity}
      - rel: CONCERNS
        start: [Finding, "问题:{seq}:{_index}"]
        end: [Organisation, "unit:{unit}"]
      - rel: IN_CATEGORY
        start: [Finding, "问题:{seq}:{_index}"]
        end: [ProblemCategory, "{category}"]
"""

PHRASES = ["公款大吃大喝", "工程项目串标嫌疑", "违规发放津补贴", "学习走过场", "落实上级部署不到位", "其他问题"]


def write_office(folder: Path, rows: int, seed: int) -> tuple[Path, Path, Path, Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taxonomy.yaml").write_text(TAXONOMY, encoding="utf-8")
    (folder / "units.yaml").write_text(UNITS, encoding="utf-8")
    (folder / "problems.yaml").write_text(PROBLEMS, encoding="utf-8")
    exports = folder / "exports"
    exports.mkdir(exist_ok=True)
    n_units = max(50, rows // 50)
    with open(exports / "单位台账_330400.csv", "w", encoding="gbk", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["单位编码", "单位全称", "所属系统", "地市代码", "县区代码"])
        for i in range(1, n_units + 1):
            county = rng.random() < 0.6
            out.writerow(
                [
                    f"JX-{i:05d}",
                    f"嘉兴某单位{i}",
                    rng.choice(["供销社", "交通运输", "教育"]),
                    "330400",
                    rng.choice(["330402", "330411"]) if county else "",
                ]
            )
    with open(exports / "问题台账_330400.csv", "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["问题序号", "单位", "问题摘要", "年度", "月份", "性质"])
        for i in range(1, rows + 1):
            unit = rng.randint(1, n_units)
            text = "；".join(rng.sample(PHRASES, rng.choice([1, 1, 2])))
            out.writerow(
                [
                    i,
                    f"JX-{unit:05d}（嘉兴某单位{unit}）",
                    text,
                    rng.choice([2021, 2022, 2023, 2024]),
                    rng.randint(1, 12),
                    rng.choice(["一般", "严重", "较重"]),
                ]
            )
    return folder / "taxonomy.yaml", folder / "units.yaml", folder / "problems.yaml", exports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the problem list")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one, removed after)")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="liandong-user-mappings-"))
    schema = load_schema()
    figures: dict[str, object] = {"rows": args.rows, "machine": f"{os.cpu_count()} cores"}
    try:
        taxonomy_path, units, problems, exports = write_office(work / "office", args.rows, args.seed)
        taxonomy = load_taxonomy(taxonomy_path)
        mappings = [load_mapping(units, schema), load_mapping(problems, schema)]
        clock = time.perf_counter()
        (check,) = check_mapping(mappings[1], exports / "问题台账_330400.csv", schema, taxonomy=taxonomy)
        figures["check_seconds"] = round(time.perf_counter() - clock, 2)
        figures["check_rows_quarantined"] = check.rows_quarantined
        print(
            f"mapping check on {check.rows_read:,} rows: {figures['check_seconds']} s "
            f"({check.rows_quarantined:,} would be quarantined)"
        )
        with open(exports / "单位台账_330400.csv", encoding="gbk") as fh:
            total_rows = args.rows + sum(1 for _ in fh) - 1
        backends = [("embedded", lambda: EmbeddedBackend(work / "ws"))]
        if os.environ.get("NEO4J_URI"):
            from graphmodel.backends.neo4j_ import Neo4jBackend

            def neo4j() -> Neo4jBackend:
                b = Neo4jBackend()
                b.clear()
                return b

            backends.append(("neo4j", neo4j))
        for name, make in backends:
            backend = make()
            clock = time.perf_counter()
            # The problem list first: its links wait for the unit register, whatever the order.
            report = Ingester(backend, work / f"q-{name}", mappings=mappings[::-1], taxonomy=taxonomy).ingest(
                sorted(exports.iterdir(), reverse=True)
            )
            seconds = time.perf_counter() - clock
            counts = backend.counts() if hasattr(backend, "counts") else None
            figures[f"ingest_{name}_seconds"] = round(seconds, 2)
            figures[f"ingest_{name}_rows_per_s"] = round(total_rows / seconds)
            figures[f"ingest_{name}_quarantined"] = report.rows_quarantined
            figures[f"ingest_{name}_links_unresolved"] = report.links_unresolved
            print(
                f"ingest ({name}): {total_rows:,} rows in {seconds:.1f} s = {total_rows / seconds:,.0f} rows/s; "
                f"quarantined {report.rows_quarantined:,}, links unresolved {report.links_unresolved:,}"
                + (f"; {counts}" if counts else "")
            )
            backend.close()
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
