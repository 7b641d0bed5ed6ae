"""Exceptions and warnings raised by ``landuse``.

Every error derives from :class:`LanduseError`; each subclass also inherits the
matching builtin so that ``except ValueError`` keeps working for users who do not
know this package. Messages name the file or layer, the feature, the column, what
was found and how to fix it; build them with the keyword arguments of
:class:`LanduseError` so they read the same everywhere.

Examples
--------
>>> from landuse.errors import SchemaError
>>> err = SchemaError("required column is missing", source="parcels.gpkg",
...                   column="land_type", hint="add the column or rename an alias")
>>> print(err)
parcels.gpkg, column 'land_type': required column is missing. Fix: add the column or rename an alias
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "AllocationError",
    "CRSError",
    "DataReadError",
    "GeometryError",
    "IrrigationError",
    "KeyFileError",
    "LanduseError",
    "LanduseWarning",
    "OutputExistsError",
    "OutputFolderError",
    "RegisterError",
    "RasterError",
    "RuleError",
    "SchemaError",
]


class LanduseError(Exception):
    """Root of all errors raised by ``landuse``.

    Parameters
    ----------
    message : str
        What was found, in one sentence.
    source : str, optional
        The file or layer concerned (``"parcels.gpkg"``, ``"layer 'parcels'"``).
    feature_id : object, optional
        The id (or row number) of the offending feature.
    column : str, optional
        The column concerned.
    hint : str, optional
        How to fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        feature_id: object | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.feature_id = feature_id
        self.column = column
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.feature_id is not None:
            where.append(f"feature {self.feature_id!r}")
        if self.column:
            where.append(f"column {self.column!r}")
        text = ": ".join([", ".join(where), self.message]) if where else self.message
        text = text.rstrip(".") + "."
        if self.hint:
            text += f" Fix: {self.hint}"
        return text

    def __reduce__(self):  # keep pickling (dask workers) working with keyword args
        return (
            _rebuild,
            (type(self), self.message, self.source, self.feature_id, self.column, self.hint),
        )


def _rebuild(cls, message, source, feature_id, column, hint):
    return cls(message, source=source, feature_id=feature_id, column=column, hint=hint)


class CRSError(LanduseError, ValueError):
    """Missing, geographic where a projected CRS is needed, or mismatched CRS."""


class SchemaError(LanduseError, ValueError):
    """Missing or wrongly typed columns, unknown vocabulary values, duplicate ids."""


class GeometryError(LanduseError, ValueError):
    """Empty, invalid or wrongly typed geometries."""


class RasterError(LanduseError, ValueError):
    """A raster that cannot be used: wrong grid, no coverage, all nodata."""


class DataReadError(LanduseError, OSError):
    """A file that is missing, truncated, corrupt or of the wrong type."""


class OutputExistsError(LanduseError, FileExistsError):
    """An output exists and ``overwrite`` was not requested."""


class OutputFolderError(LanduseError, OSError):
    """An output folder that cannot be used now: locked by another run, not writable, disk full."""


class RuleError(LanduseError, ValueError):
    """An invalid rule file (zoning, entitlement, scheme): names the line and key."""


class AllocationError(LanduseError, RuntimeError):
    """The allocation model could not be built or solved."""


class IrrigationError(LanduseError, ValueError):
    """Physically impossible irrigation inputs or an infeasible design."""


class KeyFileError(LanduseError, ValueError):
    """A signing key file that is missing, unreadable, too open, or needs another passphrase."""


class RegisterError(LanduseError, RuntimeError):
    """A district register that is corrupt, has a broken hash chain, or is locked by another process."""


class LanduseWarning(UserWarning):
    """Warnings emitted by ``landuse``."""
