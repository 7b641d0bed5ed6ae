"""Bad-input tests of the readers in landuse.io, alias mapping and Lao text round trips."""

from __future__ import annotations

import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Point, Polygon, box

from landuse import io
from landuse.errors import CRSError, DataReadError, GeometryError, LanduseError, SchemaError

UTM47 = "EPSG:32647"
X0, Y0 = 500_000.0, 2_290_000.0
LAO_NAMES = ["ບ້ານ ນາໝໍ້", "ບ້ານ ປ່າສັກ", "ຫ້ວຍ ຫົກ"]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "data-contracts.md"


def villages_gdf(crs=UTM47):
    return gpd.GeoDataFrame(
        {
            "village_id": ["V1", "V2", "V3"],
            "name_en": ["Na Mo", "Pasak", "Houay Hok"],
            "name_lo": LAO_NAMES,
        },
        geometry=[box(X0 + i * 300, Y0, X0 + (i + 1) * 300, Y0 + 200) for i in range(3)],
        crs=crs,
    )


def parcels_gdf():
    return gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], "village_id": ["V1", "V1"], "land_type": ["paddy", "upland"]},
        geometry=[box(X0, Y0, X0 + 100, Y0 + 100), box(X0 + 100, Y0, X0 + 200, Y0 + 100)],
        crs=UTM47,
    )


def households_df():
    return pd.DataFrame(
        {
            "household_id": ["H1", "H2"],
            "village_id": ["V1", "V1"],
            "head_name": ["ທ້າວ ບຸນມີ", "ນາງ ຄຳລາ"],
            "members": [5, 6],
            "labour_units": [3, 3.5],
        }
    )


def climate_df():
    return pd.DataFrame(
        {
            "month": range(1, 13),
            "tmax_c": [30.0] * 12,
            "tmin_c": [18.0] * 12,
            "rh_mean_pct": [80] * 12,
            "u2_m_s": [1.0] * 12,
            "sunshine_h": [6.0] * 12,
            "rain_mm": [100] * 12,
        }
    )


# -- unreadable files ------------------------------------------------------------------
def test_truncated_geopackage(tmp_path):
    good = tmp_path / "good.gpkg"
    parcels_gdf().to_file(good)
    bad = tmp_path / "parcels.gpkg"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    with pytest.raises(
        DataReadError, match=r"parcels.gpkg.*cannot read the parcels file.*Fix: .*re-export"
    ):
        io.read_parcels(bad)


def test_text_renamed_gpkg_and_png_renamed_tif(tmp_path):
    txt = tmp_path / "villages.gpkg"
    txt.write_text("village_id,name_en\nV1,Pasak\n")
    with pytest.raises(DataReadError, match=r"villages.gpkg.*cannot read the villages file"):
        io.read_villages(txt)
    png = tmp_path / "dem.tif"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(DataReadError, match=r"dem.tif.*cannot read the raster.*Fix: .*GeoTIFF"):
        io.read_raster(png)


def test_corrupt_geotiff(tmp_path):
    arr = np.arange(400 * 400, dtype="float32").reshape(400, 400)
    good = io.write_raster(
        arr, tmp_path / "good.tif", transform=Affine(20, 0, X0, 0, -20, Y0), crs=UTM47
    )
    raw = good.read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(raw[: len(raw) // 2])  # header intact, tiles missing
    with pytest.raises(DataReadError, match=r"cut.tif.*cannot read the raster"):
        io.read_raster(cut)
    garbled = tmp_path / "garbled.tif"
    garbled.write_bytes(raw[:8] + b"\x00" * (len(raw) - 8))
    with pytest.raises(DataReadError, match=r"garbled.tif.*cannot read the raster"):
        io.read_raster(garbled)


@pytest.mark.parametrize(
    ("reader", "name"),
    [
        (io.read_villages, "villages.gpkg"),
        (io.read_parcels, "parcels.geojson"),
        (io.read_households, "hh.csv"),
        (io.read_histories, "histories.xlsx"),
        (io.read_climate, "climate.csv"),
        (io.read_raster, "dem.tif"),
    ],
)
def test_empty_and_missing_files(tmp_path, reader, name):
    empty = tmp_path / name
    empty.write_bytes(b"")
    with pytest.raises(DataReadError, match=rf"{re.escape(name)}.*empty.*Fix: re-export"):
        reader(empty)
    with pytest.raises(DataReadError, match=r"not found.*Fix: check the path"):
        reader(tmp_path / "missing" / name)


def test_wrong_file_types(tmp_path):
    doc = tmp_path / "parcels.docx"
    doc.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataReadError, match=r"unsupported parcels file type '.docx'.*GeoPackage"):
        io.read_parcels(doc)
    pdf = tmp_path / "households.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(DataReadError, match=r"unsupported households file type '.pdf'.*CSV"):
        io.read_households(pdf)
    fake_xlsx = tmp_path / "households.xlsx"
    fake_xlsx.write_text("household_id\nH1\n")
    with pytest.raises(DataReadError, match=r"households.xlsx.*cannot read"):
        io.read_households(fake_xlsx)


def test_non_utf8_csv_is_a_clear_error(tmp_path):
    p = tmp_path / "households.csv"
    p.write_bytes(
        "household_id,village_id,head_name,members,labour_units\nH1,V1,ທ້າວ,5,3\n".encode("utf-16")
    )
    with pytest.raises(DataReadError, match=r"not UTF-8.*CSV UTF-8"):
        io.read_households(p)


def test_errors_are_landuse_errors_and_builtins(tmp_path):
    with pytest.raises(LanduseError):
        io.read_villages(tmp_path / "nope.gpkg")
    with pytest.raises(OSError):
        io.read_villages(tmp_path / "nope.gpkg")


# -- Lao text survives every format ----------------------------------------------------
@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb"])
def test_lao_text_survives_vector_formats(tmp_path, suffix):
    layer = "villages" if suffix == ".gpkg" else None
    path = io.write_vector(villages_gdf(), tmp_path / f"villages{suffix}", layer=layer)
    back = io.read_villages(path).sort_values(
        "village_id"
    )  # FlatGeobuf reorders by its spatial index
    assert back["name_lo"].tolist() == LAO_NAMES
    assert back.crs.to_epsg() == 32647


def test_lao_text_survives_shapefile(tmp_path):
    path = tmp_path / "villages.shp"
    villages_gdf().to_file(path, engine="pyogrio", encoding="utf-8")
    assert io.read_villages(path)["name_lo"].tolist() == LAO_NAMES


def test_write_vector_shapefile_round_trip(tmp_path):
    path = io.write_vector(villages_gdf(), tmp_path / "villages.shp")
    assert io.read_villages(path)["name_lo"].tolist() == LAO_NAMES
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "villages.cpg", "villages.dbf", "villages.prj", "villages.shp", "villages.shx"]
    with pytest.raises(LanduseError, match="exists already"):
        io.write_vector(villages_gdf(), path)
    io.write_vector(villages_gdf().iloc[:1], path, overwrite=True)
    assert len(io.read_villages(path)) == 1


def test_rewriting_a_geopackage_gives_the_same_bytes(tmp_path):
    """Overwriting the only layer writes afresh (a rerun is byte-identical); other layers are kept."""
    import pyogrio

    first = io.write_vector(villages_gdf(), tmp_path / "a.gpkg", layer="villages")
    fresh = first.read_bytes()
    io.write_vector(villages_gdf(), first, layer="villages", overwrite=True)
    assert first.read_bytes() == fresh
    io.write_vector(villages_gdf().iloc[:1], first, layer="other")
    io.write_vector(villages_gdf(), first, layer="villages", overwrite=True)
    assert sorted(pyogrio.list_layers(first)[:, 0]) == ["other", "villages"]


def test_write_vector_geopackage_without_layer_name(tmp_path):
    import pyogrio

    path = io.write_vector(villages_gdf(), tmp_path / "villages.gpkg")
    assert io.read_villages(path)["name_lo"].tolist() == LAO_NAMES
    assert list(pyogrio.list_layers(path)[:, 0]) == ["villages"]


def test_flatgeobuf_keeps_feature_order(tmp_path):
    gdf = villages_gdf().iloc[::-1].reset_index(drop=True)
    path = io.write_vector(gdf, tmp_path / "v.fgb")
    assert io.read_villages(path)["village_id"].tolist() == gdf["village_id"].tolist()


def test_climate_errors_name_the_month(tmp_path):
    p = tmp_path / "climate.csv"
    p.write_text("month,tmax_c,tmin_c,rh_mean_pct,u2_m_s,sunshine_h,rain_mm\n"
                 "1,25,15,80,1.2,6,10\n2,27,16,140,1.2,6,10\n", encoding="utf-8")
    with pytest.raises(LanduseError, match=r"feature 'month 2', column 'rh_mean_pct'"):
        io.read_climate(p)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_lao_text_survives_tables(tmp_path, suffix):
    path = io.write_table(households_df(), tmp_path / f"households{suffix}")
    back = io.read_households(path)
    assert back["head_name"].tolist() == ["ທ້າວ ບຸນມີ", "ນາງ ຄຳລາ"]
    assert back["household_id"].tolist() == ["H1", "H2"]
    assert back["members"].tolist() == [5, 6]


def test_csv_with_bom_from_excel(tmp_path):
    p = tmp_path / "households.csv"
    p.write_bytes(households_df().to_csv(index=False).encode("utf-8-sig"))
    assert io.read_households(p).columns[0] == "household_id"


# -- aliases ---------------------------------------------------------------------------
def test_aliases_are_mapped(tmp_path):
    v = villages_gdf().rename(
        columns={"village_id": "Vill_ID", "name_en": "Name_English", "name_lo": "ຊື່ບ້ານ"}
    )
    back = io.read_villages(io.write_vector(v, tmp_path / "v.gpkg", layer="villages"))
    assert {"village_id", "name_en", "name_lo"} <= set(back.columns)
    assert back["name_lo"].tolist() == LAO_NAMES

    p = (
        parcels_gdf()
        .rename(columns={"parcel_id": "Plot_ID", "land_type": "LandUse"})
        .assign(hh_id=["H1", None])
    )
    p["LandUse"] = ["Rice", "Swidden"]
    back = io.read_parcels(io.write_vector(p, tmp_path / "p.gpkg", layer="parcels"))
    assert back["land_type"].tolist() == ["paddy", "upland"]
    assert back["household_id"].tolist() == ["H1", None]

    h = households_df().rename(
        columns={"household_id": "HHID", "members": "hh_size", "labour_units": "Labor"}
    )
    back = io.read_households(io.write_table(h, tmp_path / "h.csv"))
    assert back[["household_id", "members", "labour_units"]].values.tolist() == [
        ["H1", 5, 3.0],
        ["H2", 6, 3.5],
    ]

    c = climate_df().rename(
        columns={
            "tmax_c": "Tmax",
            "tmin_c": "tn",
            "rh_mean_pct": "RH",
            "u2_m_s": "wind",
            "sunshine_h": "sunshine",
            "rain_mm": "Rainfall_mm",
            "month": "mon",
        }
    )
    back = io.read_climate(io.write_table(c, tmp_path / "c.csv"))
    assert list(back.index) == list(range(1, 13)) and back["tmin_c"].iloc[0] == 18.0

    hist = pd.DataFrame(
        {"Parcel_ID": ["P1", "P1"], "yr": [2020, 2021], "State": ["Cropped", "FALLOW"]}
    )
    back = io.read_histories(io.write_table(hist, tmp_path / "hist.csv"))
    assert back["status"].tolist() == ["cultivated", "fallow"] and back["plot_id"].tolist() == [
        "P1",
        "P1",
    ]


def test_integer_ids_from_spreadsheets_lose_the_trailing_zero(tmp_path):
    h = households_df().assign(household_id=[101.0, 102.0], village_id=[7.0, 7.0])
    back = io.read_households(io.write_table(h, tmp_path / "h.xlsx"))
    assert back["household_id"].tolist() == ["101", "102"] and back["village_id"].tolist() == [
        "7",
        "7",
    ]


def test_every_alias_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    missing = [
        f"{layer}.{col}: {alias}"
        for layer, cols in io.ALIASES.items()
        for col, alts in cols.items()
        for alias in alts
        if f"`{alias}`" not in text
    ]
    assert not missing, f"aliases not in docs/data-contracts.md: {missing}"
    for _layer, cols in io.REQUIRED.items():
        for col in cols:
            assert f"`{col}`" in text, col
    for spelling, _target in io.LAND_TYPE_ALIASES.items():
        assert f"`{spelling}`" in text, spelling


def test_every_check_code_and_scheme_key_is_documented():
    from landuse.check import CODES

    text = DOCS.read_text(encoding="utf-8")
    assert [c for c in CODES if f"`{c}`" not in text] == []
    from landuse.irrigation import REQUIRED_KEYS

    assert [k for k in REQUIRED_KEYS if f"`{k}`" not in text] == []


# -- readers reject bad content, naming file, feature, column and fix -------------------
def test_duplicate_ids_are_rejected(tmp_path):
    p = parcels_gdf().assign(parcel_id=["P1", "P1"])
    path = io.write_vector(p, tmp_path / "parcels.gpkg", layer="parcels")
    with pytest.raises(
        SchemaError,
        match=r"parcels \(parcels.gpkg\), feature 'P1', column 'parcel_id': "
        r"id 'P1' occurs 2 times.*Fix: give every feature a unique id",
    ):
        io.read_parcels(path)
    h = households_df().assign(household_id=["H1", "H1"])
    with pytest.raises(SchemaError, match=r"households.csv.*feature 'H1', column 'household_id'"):
        io.read_households(io.write_table(h, tmp_path / "households.csv"))


def test_unknown_land_type_is_rejected(tmp_path):
    p = parcels_gdf().assign(land_type=["paddy", "swamp"])
    with pytest.raises(
        SchemaError,
        match=r"parcels.gpkg\), feature 'P2', column 'land_type': value 'swamp' is not "
        r"allowed.*Fix: use one of paddy, upland, permanent",
    ):
        io.read_parcels(io.write_vector(p, tmp_path / "parcels.gpkg", layer="parcels"))
    # validate=False keeps the row for landuse check to report
    assert io.read_parcels(tmp_path / "parcels.gpkg", validate=False)["land_type"].tolist() == [
        "paddy",
        "swamp",
    ]


def test_labour_above_members_is_rejected(tmp_path):
    h = households_df().assign(labour_units=[3, 7])
    with pytest.raises(
        SchemaError,
        match=r"households.csv\), feature 'H2', column 'labour_units': labour_units 7 "
        r"exceed members 6.*Fix: labour units count working members",
    ):
        io.read_households(io.write_table(h, tmp_path / "households.csv"))


def test_tmin_above_tmax_is_rejected(tmp_path):
    c = climate_df()
    c.loc[3, "tmin_c"] = 35.0
    with pytest.raises(
        SchemaError,
        match=r"climate.csv\), feature 'month 4', column 'tmin_c': tmin_c 35.0 is above "
        r"tmax_c 30.0.*Fix: swap",
    ):
        io.read_climate(io.write_table(c, tmp_path / "climate.csv"))


def test_other_content_faults_are_rejected(tmp_path):
    c = climate_df().astype({"rh_mean_pct": object})
    c.loc[0, "rh_mean_pct"] = "humid"
    with pytest.raises(
        SchemaError, match=r"climate.csv.*column 'rh_mean_pct': value 'humid' is not a number.*Fix"
    ):
        io.read_climate(io.write_table(c, tmp_path / "climate.csv"))
    h = households_df().assign(members=[0, 6], labour_units=[0, 3])
    with pytest.raises(
        SchemaError, match=r"feature 'H1', column 'members': value .*0.* is not a number >= 1"
    ):
        io.read_households(io.write_table(h, tmp_path / "h.csv"))
    hist = pd.DataFrame({"plot_id": ["P1"], "year": [2020], "status": ["burnt"]})
    with pytest.raises(SchemaError, match=r"column 'status': value 'burnt' is not allowed"):
        io.read_histories(io.write_table(hist, tmp_path / "hist.csv"))
    v = villages_gdf().drop(columns="name_lo")
    with pytest.raises(
        SchemaError, match=r"required column 'name_lo' missing \(found: village_id, name_en\)"
    ):
        io.read_villages(io.write_vector(v, tmp_path / "v.gpkg", layer="villages"))


@pytest.mark.filterwarnings("ignore:'crs' was not provided:UserWarning")
def test_geometry_and_crs_faults_are_rejected(tmp_path):
    v = villages_gdf()
    no_crs = io.write_vector(
        v.set_crs(None, allow_override=True), tmp_path / "nocrs.gpkg", layer="villages"
    )
    with pytest.raises(CRSError, match=r"nocrs.gpkg.*no coordinate reference system.*Fix: set it"):
        io.read_villages(no_crs)
    pts = gpd.GeoDataFrame(
        {"village_id": ["V1"], "name_en": ["A"], "name_lo": ["ກ"]},
        geometry=[Point(X0, Y0)],
        crs=UTM47,
    )
    with pytest.raises(GeometryError, match=r"feature 'V1'.*wrong geometry type Point"):
        io.read_villages(io.write_vector(pts, tmp_path / "pts.gpkg", layer="villages"))
    bow = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    bad = parcels_gdf().set_geometry([bow, box(X0, Y0, X0 + 1, Y0 + 1)], crs=UTM47)
    with pytest.raises(
        GeometryError, match=r"feature 'P1'.*invalid geometry: Self-intersection.*make_valid"
    ):
        io.read_parcels(io.write_vector(bad, tmp_path / "bad.gpkg", layer="parcels"))


# -- whole-column text paths (issue 20: a province's 3 million history cells) ----------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELLS = st.one_of(st.none(), st.just(float("nan")),
                   st.text(alphabet=st.sampled_from(list("'=+-@\t\r a1.ບ")), max_size=6))


@settings(max_examples=200, deadline=None)
@given(st.lists(_CELLS, max_size=12))
def test_text_columns_escape_and_unescape_as_cell_by_cell(cells):
    s = pd.Series(cells, dtype=object)
    df = pd.DataFrame({"a": s, "n": np.arange(len(s))})
    escaped = io._escape_frame(df)
    expected = s.map(io.escape_cell, na_action="ignore")
    pd.testing.assert_series_equal(escaped["a"], expected, check_names=False)
    back = io._unescape_frame(escaped.copy())
    pd.testing.assert_series_equal(back["a"], escaped["a"].map(io.unescape_cell, na_action="ignore"),
                                   check_names=False)
    assert [x for x in back["a"] if isinstance(x, str)] == [x for x in cells if isinstance(x, str)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(float("nan")), st.text(max_size=5)), max_size=12))
def test_text_ids_are_cleaned_as_cell_by_cell(cells):
    s = pd.Series(cells, dtype=object, name="plot_id", index=np.arange(len(cells)) * 2)
    out = io._as_id(s)
    expected = [None if c is None or c != c else str(c).strip() for c in cells]
    assert out.tolist() == expected and out.dtype == object
    assert out.name == "plot_id" and out.index.equals(s.index)


def test_mixed_columns_keep_the_cell_by_cell_path():
    df = pd.DataFrame({"x": pd.Series([1, 2, "'=a"], dtype=object), "y": pd.Series([1, 2, 3], dtype=object)})
    out = io._unescape_frame(df.copy())
    assert out["x"].tolist() == [1, 2, "=a"]
    assert out["y"].dtype == np.int64  # as before: pandas infers the type of a mapped column
    assert io._as_id(pd.Series([1.0, "a ", None], dtype=object)).tolist() == ["1", "a", None]


def test_a_csv_without_quotes_reads_as_before(tmp_path):
    """No ' in the file: text cells are left as read, other columns still pass the cell map."""
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n=x,,1\nP-1,,2\n", encoding="utf-8")
    df = io.read_table(path)
    assert df["a"].tolist() == ["=x", "P-1"] and df["b"].dtype == np.float64  # all-empty: as before
    quoted = tmp_path / "q.csv"
    quoted.write_text("a,b\n'=x,\nP-1,\n", encoding="utf-8")
    assert io.read_table(quoted)["a"].tolist() == ["=x", "P-1"]


def test_read_once_parses_each_file_once_and_hands_out_copies(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text("a,b\nx,1\n", encoding="utf-8")
    calls = []
    real = io._read_table
    monkeypatch.setattr(io, "_read_table", lambda *a: calls.append(a) or real(*a))
    with io.read_once():
        first = io.read_table(path)
        first.loc[0, "a"] = "changed"
        second = io.read_table(path)
    assert len(calls) == 1 and second["a"].tolist() == ["x"]
    io.read_table(path)  # outside the block: read again
    path.write_text("a,b\ny,2\nz,3\n", encoding="utf-8")  # a changed file is read again, too
    with io.read_once():
        assert io.read_table(path)["a"].tolist() == ["y", "z"]
    assert len(calls) == 3


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(float("nan")),
                         st.sampled_from(["fallow", " Cropped", "FOREST ", "x", "", "ພັກ"])), max_size=15))
def test_per_distinct_equals_the_whole_column(cells):
    s = pd.Series(cells, dtype=object, name="status", index=np.arange(len(cells)) + 5)
    fn = lambda v: v.astype("string").str.strip().str.lower().replace({"cropped": "cultivated"}).astype(object)  # noqa: E731
    pd.testing.assert_series_equal(io.per_distinct(s, fn), fn(s))
    flag = lambda v: (~v.astype("string").str.strip().isin(["fallow"])).fillna(True)  # noqa: E731
    pd.testing.assert_series_equal(io.per_distinct(s, flag), flag(s))
    mixed = pd.Series([1, 1.0, True, "1"], dtype=object)
    pd.testing.assert_series_equal(io.per_distinct(mixed, fn), fn(mixed))


def test_atomic_write_bytes_replaces_only_when_asked_and_leaves_nothing_half_written(tmp_path):
    from landuse.errors import OutputExistsError

    target = tmp_path / "c.pdf"
    io.atomic_write_bytes(target, b"first")
    with pytest.raises(OutputExistsError):
        io.atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"first"
    io.atomic_write_bytes(target, b"second", overwrite=True)
    assert target.read_bytes() == b"second" and (target.stat().st_mode & 0o777) == 0o600
    with pytest.raises(TypeError):
        io.atomic_write_bytes(tmp_path / "bad.pdf", "not bytes", overwrite=True)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pdf"]  # no temporary, no half file
    # the temporary name taken (a killed run of the same pid): atomic_output writes it instead
    (tmp_path / f".d.{os.getpid()}.tmp.pdf").write_bytes(b"stale")
    io.atomic_write_bytes(tmp_path / "d.pdf", b"third")
    assert (tmp_path / "d.pdf").read_bytes() == b"third"
