"""Screenshot of the offline plan map for the docs (``docs/img/map.png``).

Opens a plan's ``map.html`` (default: the demo output, ``landuse demo --out out/demo``)
in headless Chromium with every network request refused, searches a household by part
of its Lao name (the search outlines its current allocation and opens its popup) and
saves a 1280 x 800 screenshot as an optimised palette PNG (well under 300 KB).

    python tools/map_screenshot.py [--map out/demo/map.html] [--out docs/img/map.png]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def screenshot(map_html: Path, out: Path, *, query: str | None = None, width: int = 1280,
               height: int = 800) -> Path:
    """Open *map_html* offline, search *query* (default: part of the first Lao household
    name found in the allocations) and write the view to *out* (PNG). Returns *out*."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url == map_html.resolve().as_uri() else r.abort())
        page.goto(map_html.resolve().as_uri(), wait_until="load")
        page.wait_for_selector("[data-landuse-ready]", timeout=60_000)
        if query is None:
            query = page.evaluate("""(() => { const st = landuse.maps[0];
                for (const e of st.layers) {
                  const c = e.spec.cols.findIndex(m => m[0] === 'head_name_lo');
                  if (c < 0) continue;
                  const col = e.spec.data[c], v = Array.isArray(col) ? col[40] : col.d[0];
                  if (v) return v.split(' ')[0];
                }
                return ''; })()""")
        if query:
            page.fill(".lu-search input", query)
            page.press(".lu-search input", "Enter")
            page.wait_for_selector(".leaflet-popup-content .lu-popup", timeout=10_000)
            page.evaluate("void landuse.maps[0].map.zoomOut(1, {animate: false})")
        page.wait_for_timeout(600)  # popup fade-in
        png = page.screenshot()
        context.close()
        browser.close()
    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, format="PNG", optimize=True)
    return out


def main() -> None:
    """Command line: ``--map``, ``--out``, ``--query``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--map", type=Path, default=Path("out/demo/map.html"))
    ap.add_argument("--out", type=Path, default=Path("docs/img/map.png"))
    ap.add_argument("--query", default=None, help="search text (default: part of a Lao household name)")
    args = ap.parse_args()
    path = screenshot(args.map, args.out, query=args.query)
    print(f"{path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
