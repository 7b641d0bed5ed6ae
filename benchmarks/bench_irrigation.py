"""FAO-56 Penman-Monteith ET0 for one million days: landuse vs refet (ASCE daily), same run.

Both take numpy arrays of daily inputs (Tmax, Tmin, ea, Rs, wind at 2 m, elevation,
latitude, day of year) and return ET0 [mm/day]; the script prints both times, the ratio
landuse / refet and the largest difference (refet uses sigma = 4.901e-9 where FAO-56 uses
4.903e-9, so a difference of ~1e-3 mm/day is expected in hot, clear weather).

With ``--sensitivity`` it prints instead the design-duty sensitivity of the demo's three
schemes (``landuse.irrigation.design_sensitivity``: percolation 3/6/10 mm/day, conveyance and
field efficiency +-0.1, transplanting +-15 days, effective-rain method), with the old
monthly-maximum duty beside the peak design, as recorded in benchmarks/README.md.

Usage: ``.venv/bin/python benchmarks/bench_irrigation.py [--days 1000000] [--sensitivity]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from landuse import irrigation as irr


def main(n: int) -> None:
    import refet

    rng = np.random.default_rng(0)
    tmin = rng.uniform(5, 25, n)
    tmax = tmin + rng.uniform(3, 15, n)
    lat = rng.uniform(-40, 40, n)
    doy = rng.integers(1, 366, n)
    elev = rng.uniform(0, 2000, n)
    u2 = rng.uniform(0.5, 5, n)
    ea = irr.saturation_vapour_pressure_kpa(tmin) * rng.uniform(0.6, 1.0, n)
    ra = irr.extraterrestrial_radiation_mj_m2_day(lat_deg=lat, doy=doy)
    rs = ra * (0.75 + 2e-5 * elev) * rng.uniform(0.35, 1.0, n)

    t0 = time.perf_counter()
    ours = irr.et0_penman_monteith(tmax_c=tmax, tmin_c=tmin, lat_deg=lat, elevation_m=elev, doy=doy,
                                   u2_m_s=u2, ea_kpa=ea, rs_mj_m2_day=rs)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    theirs = refet.Daily(tmin=tmin, tmax=tmax, ea=ea, rs=rs, uz=u2, zw=2.0, elev=elev, lat=lat, doy=doy,
                         method="asce", rso_type="simple").eto()
    t_theirs = time.perf_counter() - t0
    diff = np.nanmax(np.abs(np.asarray(ours) - np.asarray(theirs)))
    print(f"{n:,} days: landuse {t_ours:.2f} s, refet {t_theirs:.2f} s, ratio landuse/refet {t_ours / t_theirs:.2f}")
    print(f"largest |landuse - refet| = {diff:.4f} mm/day")


def sensitivity() -> None:
    import pandas as pd

    from landuse import datasets, io
    from landuse import irrigation as scheme

    specs = scheme.read_schemes(datasets.get_path("schemes"))
    clim = io.read_climate(datasets.get_path("climate"))
    dem = io.read_raster(datasets.get_path("dem"))
    parcels = io.read_parcels(datasets.get_path("parcels"))
    t0 = time.perf_counter()
    out = scheme.size_schemes(specs, clim, dem=dem, parcels=parcels)
    elapsed = time.perf_counter() - t0
    print(f"sized {len(specs)} demo schemes with sensitivity in {elapsed:.1f} s\n")
    print("| scheme | area (ha) | peak design duty (l/s/ha) | design flow (l/s) | design period "
          "| largest monthly mean (l/s/ha) |")
    print("|---|---:|---:|---:|---|---:|")
    for r in out["results"]:
        s = r.summary
        print(f"| {s['scheme_id']} | {s['area_ha']:.2f} | {s['design_duty_l_s_ha']:.2f} | "
              f"{s['design_flow_l_s']:.1f} | {s['design_window']} | "
              f"{s['monthly_max_duty_l_s_ha']:.2f} |")
    sens = out["sensitivity"]
    wide = sens.pivot(index="case", columns="scheme_id", values="design_duty_l_s_ha")
    wide = wide.loc[pd.unique(sens["case"])]
    ids = list(wide.columns)
    print("\nDesign duty (l/s/ha) and change against the design:\n")
    print("| case | " + " | ".join(ids) + " |")
    print("|---|" + "---:|" * len(ids))
    chg = sens.pivot(index="case", columns="scheme_id", values="change_pct")
    for case, row in wide.iterrows():
        cells = [f"{row[i]:.2f} ({chg.loc[case, i]:+.0f} %)" for i in ids]
        print(f"| {case} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=1_000_000)
    ap.add_argument("--sensitivity", action="store_true")
    args = ap.parse_args()
    if args.sensitivity:
        sensitivity()
    else:
        main(args.days)
