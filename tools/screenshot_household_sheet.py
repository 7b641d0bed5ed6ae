"""Screenshot of a household sheet for the docs: ``docs/img/household-sheet.png``.

Usage::

    python tools/screenshot_household_sheet.py [--run-out OUT] [--household ID] [--png PATH]

Makes the sheets of one village (from a run's output folder, ``landuse demo --out OUT``;
without one from the bundled demo data, the current holdings standing in for the
allocation) in a temporary folder, opens one sheet in headless Chromium (playwright,
``/usr/bin/chromium``) and saves the page as a PNG of at most 1280 px width.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_household_sheets import _inputs  # noqa: E402

from landuse._validate.ids import id_filename  # noqa: E402
from landuse.plan import _households as H  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-out", type=Path, default=None)
    ap.add_argument("--household", default=None, help="household id (default: the first with three land types)")
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "img" / "household-sheet.png")
    args = ap.parse_args()
    hh, alloc, parcels, villages, reg, certs = _inputs(args.run_out)
    hid = args.household
    if hid is None:
        kinds = alloc.groupby("household_id")["land_type"].nunique()
        hid = str(kinds[kinds == kinds.max()].index.sort_values()[0])
    vid = str(hh.loc[hh["household_id"] == hid, "village_id"].iloc[0])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "households"
        H.write_household_sheets(out, hh[hh["village_id"] == vid], alloc[alloc["village_id"] == vid],
                                 parcels=parcels[parcels["village_id"] == vid], villages=villages,
                                 register=reg, certificates_dir=certs, date="20260115")
        page_file = out / id_filename(vid) / f"{id_filename(hid)}.html"
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
            page = browser.new_page(viewport={"width": 860, "height": 700})
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready")
            loaded = page.evaluate("document.fonts.check('12px \"Noto Sans Lao\"', 'ກ')")
            args.png.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.png), full_page=True)
            browser.close()
    print(f"{args.png}: household {hid}, village {vid}, Lao font loaded: {loaded}, "
          f"{args.png.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
