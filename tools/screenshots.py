"""The README's pictures, from the current code: the HTML briefing and a dossier page, as a user gets them.

Runs ``liandong demo`` into a fresh folder (or uses ``--demo DIR`` when it holds one already), then:

* ``docs/images/report.png``: the briefing in headless Chromium at 1024 px (selenium, as the report's test);
* ``docs/images/dossier.png``: the first target's sheet of the dossier, printed by LibreOffice to PDF and its
  first page rendered by ``pdftoppm`` (poppler-utils).

Needs chromium and chromedriver (``apt-get install chromium chromium-driver fonts-wqy-microhei``), LibreOffice
(``apt-get install libreoffice-calc-nogui``) and poppler-utils. Says what is missing and exits 2 without them.

    python tools/screenshots.py                  # writes docs/images/report.png and dossier.png
    python tools/screenshots.py --demo ./liandong-demo
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NEEDS = {
    "chromium": "apt-get install chromium chromium-driver fonts-wqy-microhei",
    "chromedriver": "apt-get install chromium-driver",
    "soffice": "apt-get install libreoffice-calc-nogui",
    "pdftoppm": "apt-get install poppler-utils",
}


def _demo(folder: Path) -> None:
    if (folder / "report.html").exists() and (folder / "dossier.xlsx").exists():
        return
    subprocess.run([sys.executable, str(ROOT / "cli.py"), "demo", "--out", str(folder)], check=True)


def report_png(report: Path, out: Path, width: int = 1024, height: int = 1500) -> Path:
    """The top of the briefing as a reader first sees it, at ``width`` px."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
    try:
        driver.get(report.resolve().as_uri())
        time.sleep(2)  # plotly draws after load
        driver.save_screenshot(str(out))
    finally:
        driver.quit()
    return out


def dossier_png(dossier: Path, out: Path, work: Path) -> Path:
    """Page 1 of the first target's sheet, as LibreOffice prints it (landscape, fitted to the width)."""
    import openpyxl

    wb = openpyxl.load_workbook(dossier)
    # Sheet 1 is the summary; the first target's sheet follows it.
    target = wb.worksheets[1] if len(wb.worksheets) > 1 else wb.worksheets[0]
    for other in [ws for ws in wb.worksheets if ws.title != target.title]:
        wb.remove(other)
    single = work / "target.xlsx"
    wb.save(single)
    subprocess.run(
        ["soffice", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(work), str(single)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    stem = out.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(work / "target.pdf"), str(stem)],
        check=True,
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", type=Path, help="A folder 'liandong demo' wrote (default: a fresh one)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    missing = [f"{tool} ({how})" for tool, how in NEEDS.items() if not shutil.which(tool)]
    if missing:
        print("missing: " + "; ".join(missing), file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        demo = args.demo or Path(tmp) / "demo"
        _demo(demo)
        report = report_png(demo / "report.html", args.out / "report.png")
        dossier = dossier_png(demo / "dossier.xlsx", args.out / "dossier.png", Path(tmp))
    print(f"wrote {report} and {dossier}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
