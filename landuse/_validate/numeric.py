"""Numeric inputs of formula functions: scalars, arrays and Series in, the same kind out (private).

Formula functions (FAO-56 in :mod:`landuse.irrigation`, Manning in :mod:`landuse.irrigation.canal`)
accept ``numeric`` inputs the pvlib way: compute on float arrays, then return a float for
scalar inputs, an index-aligned Series if any input is a Series, else an array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["as_float_array", "like_inputs"]


def as_float_array(x: Any) -> np.ndarray:
    """*x* as a float64 array (scalars become 0-d arrays)."""
    return np.asarray(x, dtype=float)


def like_inputs(result: Any, *inputs: Any) -> Any:
    """Return *result* as the kind of the inputs: Series if any is, float if all are scalars.

    Examples
    --------
    >>> like_inputs(np.array(2.0), 1.0, 3)
    2.0
    >>> like_inputs(np.array([1.0, 2.0]), pd.Series([0, 0], index=["a", "b"])).to_dict()
    {'a': 1.0, 'b': 2.0}
    """
    for x in inputs:
        if isinstance(x, pd.Series):
            return pd.Series(np.asarray(result, dtype=float) * np.ones(len(x)), index=x.index)
    if all(np.ndim(x) == 0 for x in inputs if x is not None):
        return float(np.asarray(result))
    return np.asarray(result, dtype=float)
