"""Land a sustainable rotation needs, per village (private; re-exported by :mod:`landuse.fallow`).

A rotation that crops ``C`` years then rests ``F*`` years needs ``(C + F*) / C`` times
the yearly cropped area. Compared with the rotational upland of a village this gives
the surplus or deficit, the longest fallow the land can sustain and, with a growth
rate, the year it falls into the critical class.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

import landuse._validate as _validate
from landuse.fallow._base import FallowClasses
from landuse.errors import SchemaError

def rotation_land_demand(cropped_area_ha: Any, *, cropping_years: float = 1.0,
                         target_fallow_years: float = 8.0) -> Any:
    """Rotational land needed to crop a yearly area with a target fallow.

    Parameters
    ----------
    cropped_area_ha : numeric
        Area cropped each year. [ha]
    cropping_years : numeric, default 1
        Cropping years per cycle ``C``. [years]
    target_fallow_years : numeric, default 8
        Target fallow ``F*``. [years]

    Returns
    -------
    numeric
        Rotational land ``A = A_crop (C + F*) / C``. [ha]

    Notes
    -----
    .. math:: A_{rot} = A_{crop} \\frac{C + F^*}{C}

    Each plot is cropped ``C`` years out of every ``C + F*`` (a steady rotation), so
    the village needs ``(C + F*) / C`` times the yearly cropped area.

    Examples
    --------
    >>> rotation_land_demand(10.0, cropping_years=1, target_fallow_years=9)
    100.0
    """
    c = np.asarray(cropping_years, dtype=float)
    f = np.asarray(target_fallow_years, dtype=float)
    if np.any(c <= 0) or np.any(f < 0):
        raise SchemaError("cropping_years must be > 0 and target_fallow_years >= 0",
                          source="rotation_land_demand", hint="e.g. cropping_years=1, "
                          "target_fallow_years=8")
    out = cropped_area_ha * ((c + f) / c)
    return float(out) if np.ndim(out) == 0 else out


def sustainable_fallow_years(rotational_area_ha: Any, cropped_area_ha: Any, *,
                             cropping_years: float = 1.0) -> Any:
    """Longest fallow the rotational land can sustain at the current cropped area.

    Notes
    -----
    .. math:: F_{max} = C \\left(\\frac{A_{rot}}{A_{crop}} - 1\\right)

    Returns ``F_max`` [years]; negative when the cropped area exceeds the land.

    Examples
    --------
    >>> sustainable_fallow_years(100.0, 10.0)
    9.0
    """
    out = cropping_years * (rotational_area_ha / cropped_area_ha - 1.0)
    return float(out) if np.ndim(out) == 0 else out


def year_fallow_becomes_critical(rotational_area_ha: float, cropped_area_ha: float, *,
                                 growth_rate: float, base_year: int,
                                 cropping_years: float = 1.0,
                                 critical_fallow_years: float = 3.0) -> float:
    """First year in which the sustainable fallow falls into the critical class.

    The cropped area grows with the population: ``A_crop(t) = A_crop (1 + g)^t``.

    Parameters
    ----------
    rotational_area_ha, cropped_area_ha : float
        Rotational land and area cropped in *base_year*. [ha]
    growth_rate : float
        Yearly growth rate of the population and cropped area ``g``. [year⁻¹]
    base_year : int
        Year of the cropped area.
    cropping_years : float, default 1
        ``C``. [years]
    critical_fallow_years : float, default 3
        Upper bound of the critical class. [years]

    Returns
    -------
    float
        The first whole year with ``F_max <= critical_fallow_years``: *base_year* if
        already critical; NaN if it never happens (``g <= 0``).

    Notes
    -----
    .. math::
        F_{max}(t) = C \\left(\\frac{A_{rot}}{A_{crop}(1+g)^t} - 1\\right) \\le F_c
        \\iff t \\ge \\frac{\\ln\\left(A_{rot} / (A_{crop}(1 + F_c/C))\\right)}{\\ln(1+g)}

    Examples
    --------
    >>> year_fallow_becomes_critical(100.0, 10.0, growth_rate=0.02, base_year=2020)
    2067.0
    """
    if cropped_area_ha <= 0 or rotational_area_ha <= 0 or cropping_years <= 0 or growth_rate <= -1:
        raise SchemaError("areas and cropping_years must be > 0 and growth_rate > -1",
                          source="year_fallow_becomes_critical",
                          hint="check the village's cropped and rotational areas")
    ratio = rotational_area_ha / (cropped_area_ha * (1.0 + critical_fallow_years / cropping_years))
    if ratio <= 1.0:
        return float(base_year)
    if growth_rate <= 0:
        return float("nan")
    t = math.log(ratio) / math.log1p(growth_rate)
    return float(base_year + math.ceil(t - 1e-9))


def cropped_area_from_households(households: pd.DataFrame, *, plot_size_ha: float,
                                 plots_per_year: float = 1.0) -> pd.Series:
    """Yearly cropped area per village as households x plot size.

    Parameters
    ----------
    households : pandas.DataFrame
        One row per household with ``village_id``.
    plot_size_ha : float
        Area one household crops in one plot. [ha]
    plots_per_year : float, default 1
        Plots each household crops per year.

    Returns
    -------
    pandas.Series
        ``cropped_area_ha`` by ``village_id`` (sorted). [ha]

    Examples
    --------
    >>> hh = pd.DataFrame({"household_id": ["a", "b", "c"], "village_id": ["V1", "V1", "V2"]})
    >>> cropped_area_from_households(hh, plot_size_ha=1.5).to_dict()
    {'V1': 3.0, 'V2': 1.5}
    """
    _validate.require_columns(households, ("village_id",), layer="households")
    if not plot_size_ha > 0 or not plots_per_year > 0:
        raise SchemaError(f"plot_size_ha={plot_size_ha!r} and plots_per_year={plots_per_year!r} "
                          "must be > 0", source="cropped_area_from_households",
                          hint="e.g. plot_size_ha=1.0 (a typical upland rice plot)")
    out = households.groupby("village_id").size().astype(float) * plot_size_ha * plots_per_year
    out.index.name = "village_id"
    return out.rename("cropped_area_ha").sort_index()


def rotational_area_from_parcels(parcels: Any, *, land_type: str = "upland") -> pd.Series:
    """Area of the rotational upland parcels of each village. [ha]

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"village_id": ["V", "V"], "land_type": ["upland", "paddy"]},
    ...                      geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
    ...                      crs="EPSG:32647")
    >>> rotational_area_from_parcels(p).to_dict()
    {'V': 1.0}
    """
    _validate.require_geodataframe(parcels, layer="parcels")
    _validate.require_projected(parcels, layer="parcels")
    _validate.require_columns(parcels, ("village_id", "land_type"), layer="parcels")
    sel = parcels[parcels["land_type"] == land_type]
    out = (sel.geometry.area / 1e4).groupby(sel["village_id"]).sum()
    out.index.name = "village_id"
    return out.rename("rotational_area_ha").sort_index()


def village_land_demand(cropped_area_ha: pd.Series, rotational_area_ha: pd.Series, *,
                        cropping_years: float = 1.0, target_fallow_years: float = 8.0,
                        growth_rate: float | None = None, base_year: int | None = None,
                        classes: Any = None) -> pd.DataFrame:
    """Compare each village's rotational land with the land a sustainable rotation needs.

    Parameters
    ----------
    cropped_area_ha : pandas.Series
        Area cropped per year, by village (e.g. :func:`cropped_area_from_histories`, or
        households x plot size). [ha]
    rotational_area_ha : pandas.Series
        Rotational upland zone area, by village (e.g.
        :func:`rotational_area_from_parcels` or the zoning table). [ha]
    cropping_years : float, default 1
        ``C``. [years]
    target_fallow_years : float, default 8
        ``F*``. [years]
    growth_rate : float, optional
        Yearly population growth; with *base_year*, adds ``year_critical``.
    base_year : int, optional
        Year of the cropped area.
    classes : FallowClasses, optional
        ``critical_max`` bounds the critical class for the projection.

    Returns
    -------
    pandas.DataFrame
        By village (union of both indexes, sorted): ``cropped_area_ha``,
        ``rotational_area_ha``, ``land_needed_ha``, ``surplus_ha`` (negative = deficit),
        ``sustainable_fallow_years`` ``F_max`` and ``sustainable_class``; plus
        ``year_critical`` with a growth rate.

    Examples
    --------
    >>> d = village_land_demand(pd.Series({"V1": 10.0}), pd.Series({"V1": 80.0}),
    ...                         target_fallow_years=9)
    >>> d[["land_needed_ha", "surplus_ha", "sustainable_fallow_years"]]
                land_needed_ha  surplus_ha  sustainable_fallow_years
    village_id
    V1                   100.0       -20.0                       7.0
    """
    classes = classes or FallowClasses()
    idx = cropped_area_ha.index.union(rotational_area_ha.index).sort_values()
    crop = cropped_area_ha.reindex(idx).astype(float)
    rot = rotational_area_ha.reindex(idx).fillna(0.0).astype(float)
    if crop.isna().any():
        vid = idx[np.flatnonzero(crop.isna().to_numpy())[0]]
        raise SchemaError("the village has rotational land but no cropped area",
                          source="cropped_area_ha", feature_id=vid,
                          hint="give a cropped area (0 if nothing is cropped)")
    out = pd.DataFrame({"cropped_area_ha": crop, "rotational_area_ha": rot})
    out["land_needed_ha"] = rotation_land_demand(crop, cropping_years=cropping_years,
                                                 target_fallow_years=target_fallow_years)
    out["surplus_ha"] = rot - out["land_needed_ha"]
    with np.errstate(divide="ignore", invalid="ignore"):
        fmax = sustainable_fallow_years(rot, crop.where(crop > 0), cropping_years=cropping_years)
    out["sustainable_fallow_years"] = fmax
    out["sustainable_class"] = classes.classify(fmax)
    if growth_rate is not None:
        if base_year is None:
            raise SchemaError("a growth_rate needs a base_year", source="village_land_demand",
                              hint="pass base_year=<year of the cropped area>")
        out["year_critical"] = [
            year_fallow_becomes_critical(r, c, growth_rate=growth_rate, base_year=base_year,
                                         cropping_years=cropping_years,
                                         critical_fallow_years=classes.critical_max)
            if c > 0 and r > 0 else (float(base_year) if c > 0 else np.nan)
            for r, c in zip(rot, crop, strict=True)
        ]
    out.index.name = "village_id"
    return out
