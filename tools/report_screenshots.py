"""Screenshots of the plan reports for the docs (headless Chromium, no network).

    python tools/report_screenshots.py OUT [--village ID] [--dest docs/img]

OUT is the folder of a plan run (``landuse demo --out OUT`` or ``landuse run``). Writes
``report-village.png`` (the first page of a village report) and ``report-district.png``
(the district report) into *dest*: 820 px wide, palette PNG (a few hundred KB at most).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def _shrink(png: bytes, path: Path) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        small.save(path, format="PNG", optimize=True)


def main() -> None:
    """Open the reports of a run in headless Chromium and save the two screenshots."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder of a plan run")
    ap.add_argument("--village", help="village id (default: the first village report that needs attention)")
    ap.add_argument("--dest", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "img")
    args = ap.parse_args()
    reports = args.out / "reports"
    pages = sorted(p for p in reports.glob("*.html") if p.name != "index.html")
    if args.village:
        from landuse._validate.ids import id_filename

        village = reports / id_filename(args.village, ".html")
    else:
        village = next((p for p in pages if "data-status='needs attention'" in p.read_text(encoding="utf-8")),
                       pages[0])
    args.dest.mkdir(parents=True, exist_ok=True)
    from playwright import sync_api

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"])
        ctx = browser.new_context(viewport={"width": 820, "height": 1160}, offline=True)
        page = ctx.new_page()
        for src, name in ((village, "report-village.png"), (reports / "index.html", "report-district.png")):
            page.goto(src.resolve().as_uri())
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready")
            _shrink(page.screenshot(full_page=False), args.dest / name)
            print(args.dest / name, (args.dest / name).stat().st_size, "bytes")
        browser.close()


if __name__ == "__main__":
    main()
