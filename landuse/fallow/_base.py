"""Fallow status classes and the plot-to-village mapping (private).

The bottom of the fallow room: :mod:`landuse.fallow.rotation`, the land-demand
formulas (:mod:`landuse.fallow._demand`) and the charts (:mod:`landuse.fallow._plots`)
use these pieces and import them from here. The public names are re-exported by
:mod:`landuse.fallow.rotation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import landuse._validate as _validate
from landuse.errors import SchemaError

#: Layer name of cultivation histories in messages.
_LAYER = "histories"

#: Upper bound of the ``critical`` fallow class [years]: the regime of three rotational
#: plots per household cropped one a year (two to three years of fallow), the mechanism of
#: fallow shortening described by Ducourtieux, Laffort & Sacklokham (2005), Land policy and
#: farming practices in Laos, Development and Change 36(3), 499-526.
CRITICAL_FALLOW_YEARS = 3.0
#: Upper bound of the ``short`` fallow class [years] (project default between the critical
#: and the adequate bounds; domain reference §7.3).
SHORT_FALLOW_YEARS = 7.0
#: Upper bound of the ``adequate`` fallow class [years]: the traditional Kammu rotation is
#: about 11 years (a chapter of Cairns, M. (ed.) (2007), Voices from the Forest, RFF Press,
#: doi:10.4324/9781936331840-8), and useful-plant richness of fallows peaks at 11-12 years.
ADEQUATE_FALLOW_YEARS = 11.0

@dataclass(frozen=True, slots=True)
class FallowClasses:
    """Upper bounds of the fallow status classes. [years]

    A fallow of ``F`` years is ``critical`` when ``F <= critical_max``, ``short`` when
    ``F <= short_max``, ``adequate`` when ``F <= adequate_max`` and ``long`` above.
    The defaults are :data:`CRITICAL_FALLOW_YEARS` (3: the three-plot regime after land
    allocation, Ducourtieux, Laffort & Sacklokham 2005, Development and Change 36(3)),
    :data:`SHORT_FALLOW_YEARS` (7, a project default) and :data:`ADEQUATE_FALLOW_YEARS`
    (11: the traditional Kammu rotation, Cairns (ed.) 2007, Voices from the Forest;
    useful-plant richness peaks at 11-12 years); forest-like regrowth needs more than
    8 years (Yamamoto, Oberthür & Lefroy 2009). See ``docs/fallow.md``.

    Examples
    --------
    >>> FallowClasses().classify([2, 3, 4, 7.5, 11, 12, float("nan")]).tolist()
    ['critical', 'critical', 'short', 'adequate', 'adequate', 'long', 'unknown']
    >>> FallowClasses(critical_max=2, short_max=5, adequate_max=9).classify([3]).tolist()
    ['short']
    """

    critical_max: float = CRITICAL_FALLOW_YEARS
    short_max: float = SHORT_FALLOW_YEARS
    adequate_max: float = ADEQUATE_FALLOW_YEARS

    def __post_init__(self) -> None:
        bounds = (self.critical_max, self.short_max, self.adequate_max)
        if not all(np.isfinite(b) and b >= 0 for b in bounds) or not (
            bounds[0] < bounds[1] < bounds[2]
        ):
            raise SchemaError(
                f"fallow class bounds {bounds} must be finite, >= 0 and increasing",
                source="FallowClasses",
                hint="e.g. FallowClasses(critical_max=3, short_max=7, adequate_max=11)",
            )

    def classify(self, fallow_years: Any) -> np.ndarray:
        """Return the class name of each fallow length (``'unknown'`` for NaN)."""
        f = np.asarray(fallow_years, dtype=float)
        return np.select(
            [np.isnan(f), f <= self.critical_max, f <= self.short_max, f <= self.adequate_max],
            ["unknown", "critical", "short", "adequate"],
            default="long",
        ).astype(object)


def _village_map(plot_ids: Any, histories: pd.DataFrame, villages: Any) -> pd.Series:
    """Return village_id per plot id from *villages* or a ``village_id`` column."""
    if villages is None:
        if "village_id" not in histories.columns:
            raise SchemaError(
                "no village for the plots: the histories have no village_id column and no "
                "villages mapping was given",
                source=_LAYER, column="village_id",
                hint="pass villages=parcels (parcel_id, village_id) or a Series plot_id -> "
                "village_id, or add a village_id column to the histories",
            )
        m = histories.assign(plot_id=histories["plot_id"].astype(str)).drop_duplicates(
            ["plot_id", "village_id"])
        dup = m["plot_id"].duplicated(keep=False)
        if dup.any():
            pid = m.loc[dup, "plot_id"].iloc[0]
            raise SchemaError("the plot is listed in more than one village", source=_LAYER,
                              feature_id=pid, column="village_id",
                              hint="give each plot one village_id")
        mapping = m.set_index("plot_id")["village_id"]
    elif isinstance(villages, pd.DataFrame):
        key = "plot_id" if "plot_id" in villages.columns else "parcel_id"
        _validate.require_columns(villages, (key, "village_id"), layer="villages mapping")
        mapping = pd.Series(villages["village_id"].to_numpy(),
                            index=villages[key].astype(str).to_numpy())
    else:
        mapping = pd.Series(villages)
        mapping.index = mapping.index.astype(str)
    mapping = mapping[~mapping.index.duplicated()]
    ids = pd.Index(np.asarray(plot_ids).astype(str))
    out = mapping.reindex(ids)
    if out.isna().any():
        pid = ids[np.flatnonzero(out.isna().to_numpy())[0]]
        raise SchemaError(
            f"{int(out.isna().sum())} plot(s) have no village in the mapping",
            source="villages mapping", feature_id=pid, column="village_id",
            hint="add the plots to the parcels layer or the plot -> village mapping",
        )
    return pd.Series(out.to_numpy(), index=ids, name="village_id")
