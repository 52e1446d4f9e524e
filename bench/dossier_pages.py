"""How many printed pages each sheet of the target dossier takes, rendered by LibreOffice.

Writes a dossier the way ``liandong demo`` does (a generated province, ingested, resolved, every detector the
dossier reads, the top 20 targets) — or takes a dossier you already have — then prints each sheet alone to PDF
with headless LibreOffice and counts its pages. The aim: at most 4 pages per target.

    python bench/dossier_pages.py                          # a generated small province, seed 1
    python bench/dossier_pages.py --scale tiny --seed 3
    python bench/dossier_pages.py path/to/dossier.xlsx     # an existing workbook

Needs LibreOffice's ``soffice`` on the PATH (Debian/Ubuntu: ``apt-get install libreoffice-calc-nogui``;
macOS: ``brew install --cask libreoffice``). Pages are counted with ``pypdf`` when it is installed, else by
counting the PDF's page objects (LibreOffice writes them uncompressed).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openpyxl  # noqa: E402

_INSTALL = (
    "LibreOffice is not installed (no 'soffice' on the PATH). Install it to render the dossier: "
    "apt-get install -y libreoffice-calc-nogui (Debian/Ubuntu), or brew install --cask libreoffice (macOS)"
)


def build_dossier(scale: str, seed: int, folder: Path, top: int = 20) -> Path:
    """A dossier of a generated province, as ``liandong demo`` writes it."""
    from analytics import GraphView, run_detectors
    from analytics.dossier import DOSSIER_DETECTORS, write_target_dossier
    from graphmodel import EmbeddedBackend
    from ingest.generator import generate
    from ingest.load import Ingester
    from ingest.resolve import Resolver

    generate(scale, seed, folder / "exports")
    truth = json.loads((folder / "exports" / "truth.json").read_text(encoding="utf-8"))
    backend = EmbeddedBackend(folder / "workspace", create=True)
    try:
        Ingester(backend, folder / "quarantine", secret_key=b"bench-key").ingest([folder / "exports"])
        Resolver(backend).run()
        view = GraphView(backend)
        names = list(DOSSIER_DETECTORS)
        results = run_detectors(view, names, as_of=truth["as_of"], errors="keep")
        return write_target_dossier(
            view, results, folder / "dossier.xlsx", title=f"下一轮巡察对象档案（{scale}, seed {seed}）", top=top
        )
    finally:
        backend.close()


def _pdf_pages(pdf: Path) -> int:
    try:
        from pypdf import PdfReader
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))
    return len(PdfReader(str(pdf)).pages)


def sheet_pages(dossier: Path, soffice: str, work: Path) -> dict[str, int]:
    """Pages per sheet: each sheet saved alone to its own workbook, all converted by one LibreOffice run."""
    names = openpyxl.load_workbook(dossier, read_only=True).sheetnames
    files = []
    for i, name in enumerate(names):
        wb = openpyxl.load_workbook(dossier)
        for other in [ws for ws in wb.worksheets if ws.title != name]:
            wb.remove(other)
        path = work / f"sheet{i:03d}.xlsx"
        wb.save(path)
        files.append(path)
    out = work / "pdf"
    subprocess.run(
        [soffice, "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(out), *map(str, files)],
        check=True,
        capture_output=True,
        timeout=1800,
    )
    return {name: _pdf_pages(out / f"{path.stem}.pdf") for name, path in zip(names, files, strict=True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dossier", nargs="?", type=Path, help="an existing dossier .xlsx (default: write one)")
    parser.add_argument("--scale", default="small", choices=["tiny", "small"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--limit", type=int, default=4, help="pages a target's sheet may take")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print(_INSTALL, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="dossier-pages-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        dossier = args.dossier or build_dossier(args.scale, args.seed, work / "world", args.top)
        built = time.perf_counter() - started
        pages = sheet_pages(dossier, soffice, work)
        rendered = time.perf_counter() - started - built
    targets = {n: p for n, p in pages.items() if re.match(r"^\d{2}", n)}
    over = {n: p for n, p in targets.items() if p > args.limit}
    figures = {
        "dossier": str(args.dossier) if args.dossier else f"generated {args.scale}, seed {args.seed}",
        "sheets": pages,
        "targets": len(targets),
        "target_pages_max": max(targets.values(), default=0),
        "target_pages_mean": round(sum(targets.values()) / len(targets), 2) if targets else 0,
        "total_pages": sum(pages.values()),
        "over_limit": over,
        "seconds_build": round(built, 1),
        "seconds_render": round(rendered, 1),
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    else:
        for name, n in pages.items():
            print(f"{n:>4}  {name}")
        print(
            f"{len(targets)} target sheets: max {figures['target_pages_max']} pages, mean "
            f"{figures['target_pages_mean']}; {figures['total_pages']} pages in all; "
            f"{len(over)} over {args.limit} (built in {built:.0f} s, rendered in {rendered:.0f} s)"
        )
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
