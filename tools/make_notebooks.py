"""Write the tutorial notebooks in ``notebooks/`` (without outputs) from the cells below.

Run ``.venv/bin/python tools/make_notebooks.py`` after editing; the test suite executes
every notebook top to bottom on the bundled demo (``tests/test_notebooks.py``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parents[1] / "notebooks"

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_quickstart.ipynb": [
        ("md", "# Quick start: the Oudomxay demo\n\n"
               "`landuse` ships a demo of 7 villages in Xay district, Oudomxay: the **real** district "
               "boundary and village names (Lao and English), with **synthetic** terrain, parcels, "
               "households, cultivation histories, climate and irrigation schemes. This notebook loads it, "
               "audits it like `landuse check` does, and measures the parcels."),
        ("code", "import landuse\nfrom landuse import datasets\n\ndemo = datasets.load_demo()\n"
                 "demo.villages[['village_id', 'name_en', 'name_lo']]"),
        ("md", "## Check the data before planning\n\nEvery problem is a row with a severity, a stable code, "
               "the layer, the feature and a message that says how to fix it."),
        ("code", "from landuse.check import check_files\n\nreport = check_files(\n"
                 "    villages=datasets.get_path('villages'), parcels=datasets.get_path('parcels'),\n"
                 "    households=datasets.get_path('households'), dem=datasets.get_path('dem'))\n"
                 "assert (report['severity'] == 'error').sum() == 0\nreport['severity'].value_counts()"),
        ("md", "## Terrain: slope like `gdaldem`, streams and parcel statistics\n\n"
               "Statistics weight each DEM cell by the share of it the parcel covers (as exactextract)."),
        ("code", "from landuse import parcels, terrain\n\n"
                 "slope = terrain.slope(demo.dem, units='percent')\n"
                 "streams = terrain.streams(demo.dem, min_area_km2=0.5)\n"
                 "metrics = parcels.parcel_metrics(demo.parcels, demo.dem, streams=streams, villages=demo.villages)\n"
                 "metrics[['area_ha', 'slope_mean_deg', 'share_slope_gt_30pct', 'distance_to_stream_m']].describe().round(2)"),
        ("code", "by_type = metrics.join(demo.parcels['land_type']).groupby('land_type')['slope_mean_deg'].mean()\n"
                 "assert by_type['paddy'] < by_type['upland']\nby_type.round(1)"),
        ("md", "## The whole plan in one call\n\n`landuse run PLAN.toml --out DIR` (or `landuse.plan.run_plan`) "
               "runs check → terrain → zoning → allocation → fallow → irrigation → maps → certificates; "
               "`make demo` runs it on this demo."),
        ("code", "from landuse.plan import load_plan\n\nplan = load_plan(datasets.get_path('plan'))\n"
                 "plan.options"),
    ],
    "02_zoning_and_allocation.ipynb": [
        ("md", "# Zoning and household allocation\n\nDraft the zoning of one village from the Lao PLUP default "
               "rules, check the parcels against it, compute the households' entitlements and allocate plots "
               "with a min–max fair integer programme (HiGHS)."),
        ("code", "from landuse import datasets, zoning, allocation\n\ndemo = datasets.load_demo()\n"
                 "vid = demo.households['village_id'].value_counts().idxmin()  # the smallest village\n"
                 "village = demo.villages[demo.villages['village_id'] == vid]\n"
                 "parcels = demo.parcels[demo.parcels['village_id'] == vid]\n"
                 "households = demo.households[demo.households['village_id'] == vid]\n"
                 "village[['village_id', 'name_en', 'name_lo']]"),
        ("code", "z = zoning.zone_villages(village, demo.dem, forest=demo.forest)\nz.table"),
        ("code", "total = z.table['area_ha'].sum()\nassert abs(total - village.area.sum() / 1e4) < 1e-4 * total\n"
                 "pz = zoning.parcel_zones(parcels, z.zones, dem=demo.dem)\n"
                 "pz.loc[pz['conflict'], ['parcel_id', 'land_type', 'dominant_zone', 'conflict_reason']].head()"),
        ("md", "The objective is lexicographic: first the largest *relative* shortfall (the share of a "
               "household's entitlement it does not get), then the total shortfall, then fragmentation.\n\n"
               "## Entitlements\n\nEach figure comes with the sentence that produced it, to be read out in "
               "the village meeting."),
        ("code", "ent = allocation.entitlements(households)\nent.head(6)"),
        ("code", "res = allocation.allocate(parcels, households, villages=village, time_limit_s=20)\n"
                 "{k: res.metrics[k] for k in ('status', 'mip_gap', 'max_shortfall_ha', 'total_shortfall_ha', 'gini')}"),
        ("code", "base = allocation.greedy_baseline(parcels, households, villages=village)\n"
                 "print('gini  optimal %.3f  greedy %.3f' % (res.metrics['gini'], base.metrics['gini']))\n"
                 "print('largest relative shortfall  optimal %.3f  greedy %.3f' % (res.metrics['max_relative_shortfall'], base.metrics['max_relative_shortfall']))\n"
                 "assert res.metrics['max_relative_shortfall'] <= base.metrics['max_relative_shortfall'] + 1e-6"),
        ("code", "res.allocations[['parcel_id', 'household_id', 'land_type', 'area_ha', 'certificate_no']].head()"),
    ],
    "03_fallow_cycles.ipynb": [
        ("md", "# Fallow cycles\n\nFrom plot histories (1990–2025 in the demo) to cycles, plot and village "
               "summaries, the shortening of fallows, and the land a sustainable rotation needs."),
        ("code", "from landuse import datasets, fallow\n\ndemo = datasets.load_demo()\n"
                 "cyc = fallow.cycles(demo.histories)\ncyc.head()"),
        ("code", "summary = fallow.plot_summary(demo.histories)\nsummary['status_class'].value_counts()"),
        ("md", "## Censoring-aware fallow lengths\n\nA fallow still open when the record ends is only known to "
               "last *at least* the years seen, so the fallows that ended (complete cycles) are biased short, "
               "most of all for recent clearings. `fallow_spells` keeps the open ones as censored spells; "
               "`decade_summary` gives the Kaplan-Meier median and restricted mean per decade of clearing, "
               "with 95 % intervals, or says `insufficient follow-up` (see `docs/fallow.md`)."),
        ("code", "spells = fallow.fallow_spells(demo.histories)\n"
                 "spells[['observed', 'start_known']].value_counts()"),
        ("code", "dec = fallow.decade_summary(demo.histories, villages=demo.parcels)\n"
                 "dec[['village_id', 'decade', 'n_spells', 'median_fallow_years', 'median_fallow_years_lo',\n"
                 "     'median_fallow_years_hi', 'mean_fallow_years', 'status']].head(8)"),
        ("md", "## Is the fallow getting shorter?\n\nEach clearing period is followed for the same 10 years, "
               "then a Weibull accelerated-failure-time regression on the clearing year gives the trend in "
               "years per decade with its interval; `shortening` needs p < 0.05 **and** a drop of at least "
               "1 year per decade."),
        ("code", "vs = fallow.village_summary(demo.histories, villages=demo.parcels)\n"
                 "print(vs[['trend_yr_per_decade', 'trend_yr_per_decade_lo', 'trend_yr_per_decade_hi', "
                 "'p_value', 'status']].round(3))\nassert (vs['status'] == 'shortening').all()"),
        ("code", "import matplotlib.pyplot as plt\n\ncurves = fallow.survival_curves(demo.histories, villages=demo.parcels)\n"
                 "one = curves[curves['village_id'] == curves['village_id'].iloc[0]]\nfig, ax = plt.subplots()\n"
                 "for dec_, g in one.groupby('decade'):\n"
                 "    ax.step(g['time_years'], g['survival'], where='post', label=f'cleared in the {dec_}s')\n"
                 "ax.set_xlabel('fallow length t [years]'); ax.set_ylabel('share of fallows longer than t'); ax.legend()"),
        ("code", "cropped = fallow.cropped_area_from_histories(demo.histories, demo.parcels)\n"
                 "rot = fallow.rotational_area_from_parcels(demo.parcels)\n"
                 "fallow.village_land_demand(cropped, rot, target_fallow_years=8, growth_rate=0.02, base_year=2025)"),
        ("code", "fig = fallow.plot_fallow_by_clearing_year(cyc, villages=demo.parcels)"),
    ],
    "04_irrigation_schemes.ipynb": [
        ("md", "# Irrigation schemes\n\nFAO-56 reference evapotranspiration, the paddy water balance, the "
               "design duty, the dependable low flow of the catchment above each intake and the canal, for "
               "the demo's three candidate schemes (about 21.5 ha and 32 families)."),
        ("code", "from landuse import datasets, irrigation\n\ndemo = datasets.load_demo()\n"
                 "et0 = irrigation.et0_monthly(demo.climate, lat_deg=20.69, elevation_m=640.0)\net0.round(2)"),
        ("md", "FAO-56 Example 18 (Uccle, 6 July) as a check: 3.88 mm/day."),
        ("code", "round(float(irrigation.et0_penman_monteith(tmax_c=21.5, tmin_c=12.3, lat_deg=50.8, elevation_m=100,\n"
                 "    doy=187, u2_m_s=2.078, rh_max_pct=84, rh_min_pct=63, sunshine_h=9.25)), 2)"),
        ("code", "specs = irrigation.schemes_from_dict(demo.schemes)\nresults = [irrigation.size_scheme(s, demo.climate, dem=demo.dem, parcels=demo.parcels) for s in specs]\n"
                 "import pandas as pd\ntable = pd.DataFrame([{k: r.summary[k] for k in ('scheme_id', 'area_ha', 'families', 'design_duty_l_s_ha', 'design_flow_l_s', 'dependable_flow_l_s', 'source_sufficient')} for r in results])\ntable"),
        ("code", "# designed on the peak 10-day requirement: never below the largest monthly mean\n"
                 "assert all(r.summary['design_duty_l_s_ha'] >= r.summary['monthly_max_duty_l_s_ha'] for r in results)\n"
                 "assert table['design_duty_l_s_ha'].max() <= 4.0\nprint(table['area_ha'].sum(), table['families'].sum())"),
        ("code", "print(results[0].report())"),
    ],
    "05_maps_and_certificates.ipynb": [
        ("md", "# Maps and certificates\n\nAn interactive map that works offline (one HTML file, no network "
               "request), a static plan map for print, and bilingual land-use certificates that can be "
               "verified against the register."),
        ("code", "import tempfile, pathlib\nfrom landuse import datasets, maps\n\ndemo = datasets.load_demo()\n"
                 "vid = demo.households['village_id'].value_counts().idxmin()\n"
                 "parcels = demo.parcels[demo.parcels['village_id'] == vid]\n"
                 "m = maps.interactive_map({'villages': demo.villages, 'parcels': parcels}, dem=demo.dem, title='Demo')\n"
                 "out = pathlib.Path(tempfile.mkdtemp())\npath = maps.save_html(m, out / 'map.html')\n"
                 "html = path.read_text(encoding='utf-8')\n"
                 "assert '<script src' not in html and '<link' not in html  # everything is inline\n"
                 "print(f'{path.stat().st_size / 1e6:.2f} MB, offline')"),
        ("code", "m  # the same map inline"),
        ("code", "fig = maps.plan_map(demo.villages[demo.villages['village_id'] == vid], parcels=parcels, dem=demo.dem,\n"
                 "                     title='Village plan (demo)')"),
        ("code", "from landuse import allocation, certificates\n"
                 "village = demo.villages[demo.villages['village_id'] == vid]\n"
                 "res = allocation.allocate(parcels, demo.households[demo.households['village_id'] == vid], villages=village, time_limit_s=10)\n"
                 "few = res.allocations.sort_values('certificate_no').head(3)\n"
                 "from landuse.certificates import keys\n"
                 "key = keys.init_keys(out / 'district' / 'demo-key.pem')  # the district's signing key (keep it secret)\n"
                 "batch = certificates.write_certificates(few, households=demo.households, villages=demo.villages,\n"
                 "    parcels=demo.parcels, out_dir=out / 'certificates', issue_date='2026-01-15',\n"
                 "    key_file=key.private_path, register=out / 'district' / 'register.gpkg')\n"
                 "print(certificates.verify_certificate(batch.files[0], register=out / 'district' / 'register.gpkg'))\n"
                 "sorted(p.name for p in (out / 'certificates').rglob('*.pdf'))"),
    ],
}


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                    for kind, src in cells]
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{Path(name).stem[:2]}-{i:02d}"
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    main()
