"""Realistic field samples for the ``landuse.field`` tests and benchmark (seeded random).

Boundary walks are made by walking a known polygon's outline at ~1 point per
``step_m`` with GPS noise, stops (clusters of points at one place), spikes (single
points hundreds of metres off) and a missing closing stretch, written as GPX with
gpxpy. The Kobo-style export has group-prefixed headers, select_one codes, Lao text and
a ``members`` repeat-group sheet linked by ``_index``/``_parent_index``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def walk_points(polygon, *, step_m=15.0, noise_m=3.0, n_stops=3, stop_points=15, n_spikes=3,
                spike_m=400.0, missing_fraction=0.05, seed=0):
    """Walk *polygon*'s exterior; returns (n, 2) projected points in walking order."""
    rng = np.random.default_rng(seed)
    ring = polygon.exterior
    n = max(int(ring.length / step_m), 20)
    start = rng.uniform(0, ring.length)
    dist = (start + np.arange(n) * ring.length / n) % ring.length
    keep = int(round(n * (1 - missing_fraction)))
    dist = dist[:keep]
    pts = np.array([ring.interpolate(d).coords[0] for d in dist])
    pts = pts + rng.normal(0, noise_m, pts.shape)
    out = list(pts)
    for k in sorted(rng.choice(np.arange(5, len(out) - 5), n_stops, replace=False), reverse=True):
        cluster = out[k] + rng.normal(0, noise_m / 2, (stop_points, 2))
        out[k + 1:k + 1] = list(cluster)
    for k in sorted(rng.choice(np.arange(5, len(out) - 5), n_spikes, replace=False), reverse=True):
        ang = rng.uniform(0, 2 * np.pi)
        out.insert(k + 1, out[k] + spike_m * np.array([np.cos(ang), np.sin(ang)]))
    return np.asarray(out)


def write_gpx(points_xy, crs, path, *, name):
    """Write projected points as a GPX 1.1 track (lon/lat)."""
    import gpxpy.gpx
    from pyproj import Transformer

    tr = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(points_xy[:, 0], points_xy[:, 1])
    gpx = gpxpy.gpx.GPX()
    trk = gpxpy.gpx.GPXTrack(name=name)
    seg = gpxpy.gpx.GPXTrackSegment()
    seg.points = [gpxpy.gpx.GPXTrackPoint(float(a), float(b)) for a, b in zip(lat, lon)]
    trk.segments.append(seg)
    gpx.tracks.append(trk)
    Path(path).write_text(gpx.to_xml(), encoding="utf-8")
    return Path(path)


def kobo_export(path, *, n_households=30, villages=("0401015", "0401016"), seed=0):
    """A KoboToolbox-style XLSX export; returns (path, expected members, expected ages)."""
    rng = np.random.default_rng(seed)
    main, members = [], []
    ages_of = {}
    lao = ["ທ້າວ ບຸນມີ", "ນາງ ຄຳ", "ທ້າວ ສົມພອນ", "ທ້າວ ແກ້ວ"]
    for i in range(n_households):
        n = int(rng.integers(1, 10))
        ages = [int(rng.integers(16, 60))] + [int(a) for a in rng.integers(0, 85, n - 1)]
        hh = f"HH-{i + 1:04d}"
        ages_of[hh] = ages
        main.append({"start": "2026-03-01T08:00:00", "hh/hh_id": hh, "hh/village": villages[i % len(villages)],
                     "hh/head/head_name": f"Head {i + 1}", "hh/head/head_name_lo": lao[i % len(lao)],
                     "hh/ethnicity": str(int(rng.choice([1, 2, 3]))), "hh/landless": str(int(i % 7 == 0)),
                     "hh/n_members": n, "_id": 1000 + i, "_uuid": f"uuid-{i}", "_index": i + 1})
        for k, a in enumerate(ages):
            members.append({"members/member_name": f"M{k}", "members/age": a, "members/sex": k % 2 + 1,
                            "_index": len(members) + 1, "_parent_table_name": "household_survey",
                            "_parent_index": i + 1})
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        pd.DataFrame(main).to_excel(xw, sheet_name="household_survey", index=False)
        pd.DataFrame(members).to_excel(xw, sheet_name="members", index=False)
    return Path(path), ages_of
