"""The district's authoritative register of land-use certificates (a GeoPackage).

One register per district, kept apart from any run's output folder: runs come and go,
the register persists and only ever grows. It is a GeoPackage [1]_ (one SQLite file
[2]_, transactional, opens in QGIS) holding

* ``events``: append-only history, one row per event: ``issued``, ``reissued`` (a
  certificate that replaces another), ``superseded`` (replaced by ``successor``),
  ``transferred`` (transfer or inheritance: superseded by a certificate with a new
  holder), ``revoked``; with the time in the district's time zone, the actor, the
  reason, certificate number, parcel, household, the signed record (JSON) and the
  parcel's geometry. Each row carries the hash of the previous row (``prev_hash``)
  and its own (``row_hash``): ``row_hash = SHA-256(prev_hash ‖ canonical JSON of the
  row)`` [3]_, so an edited historic row breaks the chain from that row on
  (:meth:`Register.verify_chain` names it). SQLite triggers refuse ``UPDATE`` and
  ``DELETE`` on the table;
* ``current_certificates``: a feature layer (geometry ``geom``) of the certificates
  in force, rebuilt in the same transaction as the events; a parcel has at most one
  (a ``UNIQUE`` constraint);
* ``serial_counters``: the last number used per prefix and year. Certificate numbers
  are ``<village code>-<year>-<n>`` (n with 6 digits), never reused nor derived
  from positions;
* ``public_keys``: the district public keys certificates were signed with (so
  ``landuse verify --register`` finds them); ``register_meta``: district, time zone.

Every write runs in one ``BEGIN IMMEDIATE`` transaction behind an advisory file lock
(``<register>.lock``): a second process issuing at the same time gets a clear error
and nothing is half-written. CSV and XLSX are exports (:meth:`Register.export`),
never read back.

References
----------
.. [1] OGC 12-128r18, *GeoPackage Encoding Standard*, version 1.3.1, 2021.
.. [2] SQLite, *Atomic Commit In SQLite*, https://www.sqlite.org/atomiccommit.html.
.. [3] S. Haber and W. S. Stornetta, "How to time-stamp a digital document",
   *Journal of Cryptology* 3(2), 99-111, 1991.

Examples
--------
>>> import tempfile, pathlib, datetime
>>> path = pathlib.Path(tempfile.mkdtemp()) / "register.gpkg"
>>> reg = open_register(path, create=True, district="Xay")
>>> item = {"pid": "P1", "hid": "H1", "vil": "V1", "vn": "ປ່າສັກ / Pasak", "dis": "Xay",
...         "h": [["ບຸນມີ", "Bounmy"]], "lt": "paddy", "a": "1.0000", "g": "ab" * 16, "k": "",
...         "geometry_wkt": "POLYGON ((0 0, 100 0, 100 100, 0 100, 0 0))"}
>>> res = reg.sync([item], villages=["V1"], issue_date=datetime.date(2026, 1, 15),
...                valid_until=datetime.date(2029, 1, 15), actor="doctest", crs="EPSG:32647")
>>> res.records["P1"]["no"], res.issued
('V1-2026-000001', ['V1-2026-000001'])
>>> reg.sync([item], villages=["V1"], issue_date=datetime.date(2026, 2, 1),
...          valid_until=datetime.date(2029, 2, 1), actor="doctest").unchanged
['V1-2026-000001']
>>> reg.status("P1")["status"], reg.verify_chain()
('CURRENT', 1)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import sqlite3
import struct
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from landuse import io
from landuse.certificates.keys import canonical_record, key_id, public_key_from_spki_b64, public_key_spki_b64
from landuse.errors import RegisterError, SchemaError

__all__ = ["DEFAULT_TIMEZONE", "EVENTS", "Register", "SyncResult", "district_today", "open_register",
           "timezone_info"]

#: Default district time zone (Laos, UTC+7, no daylight saving).
DEFAULT_TIMEZONE = "Asia/Vientiane"
#: Event kinds of the ``events`` table.
EVENTS = ("issued", "reissued", "superseded", "transferred", "revoked")
#: Fields of a record that are its legal content (compared to decide whether a certificate changed).
LEGAL_FIELDS = ("pid", "hid", "vil", "vn", "dis", "h", "lt", "a", "g", "k")
_FORMAT = "landuse-register/1"
_GENESIS = "0" * 64
_EVENT_COLS = ("time", "event", "certificate_no", "parcel_id", "household_id", "village_id", "actor", "reason",
               "successor", "predecessor", "record", "geometry_wkt")

_SCHEMA = f"""
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined',
  'undefined cartesian coordinate reference system');
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined',
  'undefined geographic coordinate reference system');
INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",
  SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,
  AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]',
  'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE register_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ({", ".join(repr(e) for e in EVENTS)})),
  certificate_no TEXT NOT NULL, parcel_id TEXT NOT NULL, household_id TEXT NOT NULL, village_id TEXT NOT NULL,
  actor TEXT NOT NULL, reason TEXT NOT NULL, successor TEXT NOT NULL, predecessor TEXT NOT NULL,
  record TEXT NOT NULL, geometry_wkt TEXT NOT NULL, prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL UNIQUE);
CREATE INDEX events_certificate ON events (certificate_no);
CREATE INDEX events_parcel ON events (parcel_id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the events of a landuse register are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the events of a landuse register are append-only'); END;
CREATE TABLE current_certificates (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB,
  certificate_no TEXT NOT NULL UNIQUE, parcel_id TEXT NOT NULL UNIQUE, household_id TEXT NOT NULL,
  village_id TEXT NOT NULL, holder TEXT NOT NULL, holder_lo TEXT NOT NULL, land_type TEXT NOT NULL,
  area_ha TEXT NOT NULL, issue_date TEXT NOT NULL, valid_until TEXT NOT NULL, key_id TEXT NOT NULL,
  record TEXT NOT NULL, geometry_wkt TEXT NOT NULL);
CREATE TABLE serial_counters (prefix TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL,
  PRIMARY KEY (prefix, year));
CREATE TABLE public_keys (key_id TEXT PRIMARY KEY, spki_der_b64 TEXT NOT NULL, label TEXT NOT NULL,
  added TEXT NOT NULL);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
  VALUES ('current_certificates', 'features', 'current_certificates', 'certificates in force', -1);
INSERT INTO gpkg_geometry_columns VALUES ('current_certificates', 'geom', 'GEOMETRY', -1, 0, 0);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('events', 'attributes', 'events', 'append-only history (hash chain)');
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10301;
"""


def district_today(timezone: str = DEFAULT_TIMEZONE, *, now: _dt.datetime | None = None) -> _dt.date:
    """Today's date in the district's time zone (an early-morning issue in Laos is not yesterday's).

    Parameters
    ----------
    timezone : str, default "Asia/Vientiane"
        IANA time zone name.
    now : datetime.datetime, optional
        An aware instant instead of the clock.

    >>> import datetime
    >>> utc_evening = datetime.datetime(2026, 1, 14, 18, 30, tzinfo=datetime.timezone.utc)
    >>> district_today(now=utc_evening)  # 01:30 on the 15th in Vientiane (UTC+7)
    datetime.date(2026, 1, 15)
    """
    zone = timezone_info(timezone)
    return (now.astimezone(zone) if now is not None else _dt.datetime.now(zone)).date()


def timezone_info(name: str) -> ZoneInfo:
    """The IANA time zone *name* (the district's clock for issue dates and register times).

    Parameters
    ----------
    name : str
        An IANA time zone name such as ``"Asia/Vientiane"`` (:data:`DEFAULT_TIMEZONE`).

    Returns
    -------
    zoneinfo.ZoneInfo

    Raises
    ------
    SchemaError
        When *name* is not a known time zone (column ``timezone``; the hint names the
        ``tzdata`` package, which provides the zones where the system has none).
    """
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SchemaError(f"unknown time zone {name!r}", column="timezone",
                          hint="use an IANA name such as Asia/Vientiane (pip install tzdata)") from exc


_PRINTED_FILES_TABLE = (
    "CREATE TABLE IF NOT EXISTS printed_files (certificate_no TEXT NOT NULL, sha256 TEXT NOT NULL, "
    "time TEXT NOT NULL, PRIMARY KEY (certificate_no, sha256))")
_PRINTED_FILES_TRIGGERS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS printed_files_append_only_{op.lower()} BEFORE {op} ON printed_files "
    "BEGIN SELECT RAISE(ABORT, 'the printed files of a landuse register are append-only'); END"
    for op in ("UPDATE", "DELETE"))


def _row_hash(prev: str, values: Mapping[str, Any]) -> str:
    body = json.dumps([prev, *(str(values[c]) for c in _EVENT_COLS)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _gpkg_blob(wkt: str, srs_id: int) -> bytes | None:
    """GeoPackage binary geometry: header (magic, version, flags, srs id, xy envelope) + little-endian WKB."""
    import shapely

    if not wkt:
        return None
    g = shapely.from_wkt(wkt)
    minx, miny, maxx, maxy = g.bounds
    return (b"GP\x00\x03" + struct.pack("<i", srs_id) + struct.pack("<4d", minx, maxx, miny, maxy)
            + shapely.to_wkb(g, byte_order=1, output_dimension=2))


def _holder_text(h: list) -> tuple[str, str]:
    en = " / ".join(str(p[1]) for p in h if len(p) > 1 and p[1])
    lo = " / ".join(str(p[0]) for p in h if p and p[0])
    return en, lo


@dataclass
class SyncResult:
    """What :meth:`Register.sync` did.

    Attributes
    ----------
    records : dict
        Parcel id → the certificate's record (with ``no``, ``iss``, ``exp``) now in force.
    issued, superseded, revoked, unchanged : list of str
        Certificate numbers issued (new or replacing), superseded, revoked (parcel no
        longer allocated), kept as they were.
    """

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class Register:
    """An open district register (see :func:`open_register`); every write is one locked transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader: sqlite3.Connection | None = None
        self._keys: dict[str, Any] | None = None
        self._check()

    # -- plumbing ---------------------------------------------------------------------------
    def _read(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        """A read connection kept open (each statement sees the last committed state)."""
        if self._reader is None:
            self._reader = self._connect()
        return contextlib.nullcontext(self._reader)

    def close(self) -> None:
        """Close the read connection (writes always use their own)."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
        con.row_factory = sqlite3.Row
        return con

    def _fail(self, msg: str, hint: str) -> RegisterError:
        return RegisterError(msg, source=str(self.path), hint=hint)

    def _check(self) -> None:
        if not self.path.is_file():
            raise self._fail("register file not found", "give the district register, or create it with create=True "
                                                        "(landuse certificates --register creates it)")
        if self.path.stat().st_size == 0:
            raise self._fail("the register file is empty",
                             "restore it from the backup; delete it only to start a new, empty register")
        try:
            with contextlib.closing(self._connect()) as con:
                app = con.execute("PRAGMA application_id").fetchone()[0]
                tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
                meta = (dict(con.execute("SELECT key, value FROM register_meta").fetchall())
                        if "register_meta" in tables else {})
        except sqlite3.DatabaseError as exc:
            raise self._fail(f"not a readable register ({exc})",
                             "the file is damaged or not a GeoPackage: restore the register from its backup") from exc
        need = {"events", "current_certificates", "serial_counters", "public_keys", "register_meta"}
        if app != 1196444487 or not need <= tables or meta.get("format") != _FORMAT:
            raise self._fail("not a landuse district register (tables missing)",
                             "give the register.gpkg of the district, or restore it from its backup")
        self.district = meta.get("district", "")
        self.timezone = meta.get("timezone", DEFAULT_TIMEZONE)

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        import fcntl

        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise self._fail("another process is writing to this register now",
                                 "wait for the other issue to finish, then run again") from exc
            con = self._connect()
            try:
                try:
                    con.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    raise self._fail(f"the register is locked ({exc})",
                                     "close other programs writing to it (QGIS edit session) and run again") from exc
                try:
                    self._verify_chain(con)
                    con.execute(_PRINTED_FILES_TABLE)
                    for trig in _PRINTED_FILES_TRIGGERS:
                        con.execute(trig)
                    yield con
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            finally:
                con.close()
        finally:
            os.close(fd)

    def record_files(self, items: Iterable[tuple[str, str]]) -> int:
        """Record the SHA-256 of issued PDF files: (certificate no., sha256) pairs.

        Append-only (table ``printed_files``; a pair already recorded is kept once), in one
        transaction. :func:`landuse.certificates.verify_certificate` then refuses a PDF of a
        certificate whose bytes differ from every file the district issued for it, which
        catches edits the text and content checks cannot see (a changed glyph, a covered
        line). Returns the number of new pairs.
        """
        pairs = sorted({(str(no), str(sha)) for no, sha in items if no and sha})
        with self._write() as con:
            before = con.execute("SELECT COUNT(*) FROM printed_files").fetchone()[0]
            con.executemany("INSERT OR IGNORE INTO printed_files (certificate_no, sha256, time) VALUES (?, ?, ?)",
                            [(no, sha, self._now()) for no, sha in pairs])
            return int(con.execute("SELECT COUNT(*) FROM printed_files").fetchone()[0] - before)

    def file_hashes(self, certificate_no: str) -> set[str]:
        """SHA-256 of every PDF file the district issued for *certificate_no* (empty if none recorded)."""
        with self._read() as con:
            if not _first(con.execute("SELECT name FROM sqlite_master WHERE name = 'printed_files'")):
                return set()
            return {r[0] for r in con.execute("SELECT sha256 FROM printed_files WHERE certificate_no = ?",
                                              (str(certificate_no),))}

    def _now(self) -> str:
        return _dt.datetime.now(timezone_info(self.timezone)).isoformat(timespec="seconds")

    def _append(self, con: sqlite3.Connection, **values: Any) -> None:
        row = {c: values.get(c, "") for c in _EVENT_COLS}
        if row["event"] not in EVENTS:
            raise ValueError(row["event"])
        last = con.execute("SELECT row_hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        prev = last[0] if last else _GENESIS
        con.execute(f"INSERT INTO events ({', '.join(_EVENT_COLS)}, prev_hash, row_hash) "
                    f"VALUES ({', '.join('?' * len(_EVENT_COLS))}, ?, ?)",
                    [str(row[c]) for c in _EVENT_COLS] + [prev, _row_hash(prev, row)])

    def _srs(self, con: sqlite3.Connection) -> int:
        return int(con.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='current_certificates'"
                               ).fetchone()[0])

    def _set_crs(self, con: sqlite3.Connection, crs: Any) -> None:
        from pyproj import CRS

        c = CRS.from_user_input(crs)
        auth = c.to_authority()
        srs_id = int(auth[1]) if auth and auth[0] == "EPSG" else 100000
        old = self._srs(con)
        if old == srs_id:
            return
        if old != -1:
            raise self._fail(f"the register's parcels are in SRS {old}, these in {c.to_string()}",
                             "reproject the allocation to the register's CRS")
        con.execute("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
                    (c.name, srs_id, auth[0] if auth else "NONE", int(auth[1]) if auth else srs_id,
                     c.to_wkt("WKT1_GDAL"), c.name))
        con.execute("UPDATE gpkg_geometry_columns SET srs_id=? WHERE table_name='current_certificates'", (srs_id,))
        con.execute("UPDATE gpkg_contents SET srs_id=? WHERE table_name='current_certificates'", (srs_id,))

    def _insert_current(self, con: sqlite3.Connection, rec: dict, wkt: str, srs_id: int) -> None:
        en, lo = _holder_text(rec.get("h", []))
        con.execute("INSERT INTO current_certificates (geom, certificate_no, parcel_id, household_id, village_id, "
                    "holder, holder_lo, land_type, area_ha, issue_date, valid_until, key_id, record, geometry_wkt) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (_gpkg_blob(wkt, srs_id), rec["no"], rec["pid"], rec["hid"], rec["vil"], en, lo, rec["lt"],
                     rec["a"], rec["iss"], rec["exp"], rec.get("k", ""), _record_json(rec), wkt))

    def _next_serial(self, con: sqlite3.Connection, prefix: str, year: int) -> str:
        row = con.execute("SELECT last FROM serial_counters WHERE prefix=? AND year=?", (prefix, year)).fetchone()
        n = (row[0] if row else 0) + 1
        con.execute("INSERT INTO serial_counters VALUES (?, ?, ?) ON CONFLICT(prefix, year) DO UPDATE SET last=?",
                    (prefix, year, n, n))
        return f"{prefix}-{year}-{n:06d}"

    def _verify_chain(self, con: sqlite3.Connection) -> int:
        prev = _GENESIS
        n = 0
        for row in con.execute(f"SELECT seq, {', '.join(_EVENT_COLS)}, prev_hash, row_hash FROM events ORDER BY seq"):
            n += 1
            if row["prev_hash"] != prev or _row_hash(prev, row) != row["row_hash"]:
                raise RegisterError(f"hash chain broken at event {row['seq']} ({row['event']} of certificate "
                                    f"{row['certificate_no']}): the row was edited after it was written",
                                    source=str(self.path),
                                    hint="restore the register from its backup; do not issue until it is restored")
            prev = row["row_hash"]
        return n

    # -- reading ----------------------------------------------------------------------------
    def verify_chain(self) -> int:
        """Check the hash chain of every event; the number of events.

        Raises
        ------
        RegisterError
            Naming the first event whose hash does not match (an edited, inserted or
            deleted row).
        """
        with contextlib.closing(self._connect()) as con:
            return self._verify_chain(con)

    def current(self) -> pd.DataFrame:
        """The certificates in force (one row per certificate; no geometry, ``geometry_wkt`` as text)."""
        with self._read() as con:
            return pd.read_sql_query("SELECT * FROM current_certificates ORDER BY certificate_no", con).drop(
                columns=["geom", "fid"])

    def events(self) -> pd.DataFrame:
        """Every event, oldest first."""
        with self._read() as con:
            return pd.read_sql_query("SELECT * FROM events ORDER BY seq", con)

    def history(self, ident: str) -> pd.DataFrame:
        """Events of a certificate number or a parcel id, oldest first."""
        with self._read() as con:
            return pd.read_sql_query("SELECT seq, time, event, certificate_no, parcel_id, household_id, actor, reason, "
                                     "successor, predecessor FROM events WHERE certificate_no=? OR parcel_id=? "
                                     "ORDER BY seq", con, params=(ident, ident))

    def record(self, certificate_no: str) -> dict[str, Any] | None:
        """The record a certificate was issued with (as signed), or None if the register never issued it."""
        with self._read() as con:
            row = _first(con.execute("SELECT record FROM events WHERE certificate_no=? "
                                     "AND event IN ('issued', 'reissued') ORDER BY seq LIMIT 1", (certificate_no,)))
        return json.loads(row[0]) if row else None

    def status(self, ident: str) -> dict[str, Any]:
        """State of a certificate number (or of the current certificate of a parcel id).

        Returns
        -------
        dict
            ``status`` (``CURRENT``, ``SUPERSEDED``, ``TRANSFERRED``, ``REVOKED`` or
            ``UNKNOWN``), ``certificate_no``, ``parcel_id``, ``successor``, ``reason``,
            ``time`` of the last event.
        """
        with self._read() as con:
            cur = _first(con.execute("SELECT certificate_no, parcel_id FROM current_certificates "
                                     "WHERE certificate_no=? "
                              "OR parcel_id=?", (ident, ident)))
            no = cur["certificate_no"] if cur else ident
            last = _first(con.execute("SELECT * FROM events WHERE certificate_no=? ORDER BY seq DESC LIMIT 1",
                               (no,)))
            if last is None:
                last = _first(con.execute("SELECT * FROM events WHERE parcel_id=? ORDER BY seq DESC LIMIT 1",
                                   (ident,)))
        if last is None:
            return {"status": "UNKNOWN", "certificate_no": ident, "parcel_id": "", "successor": "", "reason": "",
                    "time": ""}
        state = "CURRENT" if cur else {"superseded": "SUPERSEDED", "transferred": "TRANSFERRED",
                                       "revoked": "REVOKED"}.get(last["event"], "CURRENT")
        return {"status": state, "certificate_no": last["certificate_no"], "parcel_id": last["parcel_id"],
                "successor": last["successor"], "reason": last["reason"], "time": last["time"]}

    def public_keys(self) -> dict[str, Any]:
        """Key id → public key of every key the district has signed with."""
        with self._read() as con:
            rows = con.execute("SELECT key_id, spki_der_b64 FROM public_keys").fetchall()
        if self._keys is None or set(self._keys) != {r[0] for r in rows}:
            self._keys = {r[0]: public_key_from_spki_b64(r[1]) for r in rows}
        return dict(self._keys)

    def public_key_rows(self) -> list[dict[str, str]]:
        """``{"key_id", "spki_der_b64", "label"}`` of every stored key (for the verifier page)."""
        with self._read() as con:
            return [dict(r) for r in con.execute("SELECT key_id, spki_der_b64, label FROM public_keys ORDER BY added")]

    def export(self, path: str | os.PathLike, *, what: str = "current", overwrite: bool = False) -> Path:
        """Write the current certificates (``what="current"``) or the events as CSV or XLSX.

        An export is for reading and sharing; it is never read back as the register.
        """
        if what not in ("current", "events"):
            raise SchemaError(f"what={what!r}", column="what", hint="use 'current' or 'events'")
        df = self.current() if what == "current" else self.events()
        return io.write_table(df, path, overwrite=overwrite, sheet_name=what)

    # -- writing ----------------------------------------------------------------------------
    def add_public_key(self, public_key: Any, *, label: str = "") -> str:
        """Store a public key (idempotent); its key id."""
        kid = key_id(public_key)
        with self._write() as con:
            con.execute("INSERT OR IGNORE INTO public_keys VALUES (?, ?, ?, ?)",
                        (kid, public_key_spki_b64(public_key), label or self.district, self._now()))
        return kid

    def sync(self, items: Iterable[Mapping[str, Any]], *, villages: Iterable[str], issue_date: _dt.date,
             valid_until: _dt.date, actor: str, reason: str = "allocation", crs: Any = None,
             public_key: Any = None, keep: Iterable[str] = ()) -> SyncResult:
        """Bring the register in line with an allocation, in one transaction.

        Parameters
        ----------
        items : iterable of dict
            One per allocated parcel: the record fields :data:`LEGAL_FIELDS` and
            ``geometry_wkt``.
        villages : iterable of str
            Villages the allocation covers: their current certificates whose parcel is
            not among *items* are revoked.
        issue_date, valid_until : datetime.date
            Dates of the certificates issued now (unchanged ones keep theirs).
        actor, reason : str
            Who and why, recorded with every event.
        crs : optional
            CRS of the geometries (set on the first sync).
        public_key : optional
            The signing key's public half, stored in ``public_keys``.
        keep : iterable of str
            Parcels left as they are (e.g. left out of this run because their geometry
            is broken): their current certificate is neither kept in *records* nor revoked.

        Returns
        -------
        SyncResult

        Notes
        -----
        A parcel whose legal content (:data:`LEGAL_FIELDS`: holders, household, land
        type, area, geometry hash, village, district, signing key) is unchanged keeps
        its certificate, number and dates. Otherwise the old certificate is superseded
        (naming its successor) and a new one issued with the next serial.
        """
        items = sorted(items, key=lambda it: str(it["pid"]))
        scope = {str(v) for v in villages}
        pids = [str(it["pid"]) for it in items]
        if len(set(pids)) != len(pids):
            raise SchemaError("a parcel appears twice in the allocation", column="parcel_id",
                              hint="give each parcel once")
        res = SyncResult()
        now = self._now()
        with self._write() as con:
            if public_key is not None:
                con.execute("INSERT OR IGNORE INTO public_keys VALUES (?, ?, ?, ?)",
                            (key_id(public_key), public_key_spki_b64(public_key), self.district, now))
            if crs is not None:
                self._set_crs(con, crs)
            srs_id = self._srs(con)
            current = {r["parcel_id"]: dict(r) for r in con.execute("SELECT * FROM current_certificates")}
            for it in items:
                pid = str(it["pid"])
                legal = {k: it[k] for k in LEGAL_FIELDS}
                old = current.get(pid)
                old_rec = json.loads(old["record"]) if old else None
                wkt = str(it.get("geometry_wkt", ""))
                if old_rec is not None and _record_json({k: old_rec.get(k) for k in LEGAL_FIELDS}) == \
                        _record_json(legal) and old["geometry_wkt"] == wkt:  # type: ignore[index]
                    res.records[pid] = old_rec
                    res.unchanged.append(old_rec["no"])
                    continue
                no = self._next_serial(con, str(it["vil"]), issue_date.year)
                rec = {"v": 1, **legal, "no": no, "iss": issue_date.isoformat(), "exp": valid_until.isoformat()}
                if old_rec is not None:
                    self._append(con, time=now, event="superseded", certificate_no=old_rec["no"], parcel_id=pid,
                                 household_id=old_rec["hid"], village_id=old_rec["vil"], actor=actor,
                                 reason=reason, successor=no, record=old["record"], geometry_wkt=old["geometry_wkt"])  # type: ignore[index]
                    con.execute("DELETE FROM current_certificates WHERE parcel_id=?", (pid,))
                    res.superseded.append(old_rec["no"])
                self._append(con, time=now, event="reissued" if old_rec else "issued", certificate_no=no,
                             parcel_id=pid, household_id=rec["hid"], village_id=rec["vil"], actor=actor,
                             reason=reason, predecessor=old_rec["no"] if old_rec else "", record=_record_json(rec),
                             geometry_wkt=wkt)
                self._insert_current(con, rec, wkt, srs_id)
                res.records[pid] = rec
                res.issued.append(no)
            kept = {str(k) for k in keep}
            gone = sorted(pid for pid, r in current.items()
                          if r["village_id"] in scope and pid not in res.records and pid not in kept)
            for pid in gone:
                old = current[pid]
                self._append(con, time=now, event="revoked", certificate_no=old["certificate_no"], parcel_id=pid,
                             household_id=old["household_id"], village_id=old["village_id"], actor=actor,
                             reason=f"{reason}: the parcel is no longer allocated", record=old["record"],
                             geometry_wkt=old["geometry_wkt"])
                con.execute("DELETE FROM current_certificates WHERE parcel_id=?", (pid,))
                res.revoked.append(old["certificate_no"])
        return res

    def _current_row(self, con: sqlite3.Connection, certificate_no: str) -> dict[str, Any]:
        row = con.execute("SELECT * FROM current_certificates WHERE certificate_no=?", (certificate_no,)).fetchone()
        if row is None:
            state = self.status(certificate_no)
            raise self._fail(f"certificate {certificate_no!r} is not in force ({state['status']})",
                             "give the number of a current certificate (landuse register status)")
        return dict(row)

    def revoke(self, certificate_no: str, *, reason: str, actor: str) -> None:
        """Revoke a certificate in force, with the reason (the parcel then has no certificate)."""
        if not str(reason).strip():
            raise SchemaError("a revocation needs a reason", column="reason", hint="say why, e.g. 'issued in error'")
        with self._write() as con:
            old = self._current_row(con, certificate_no)
            self._append(con, time=self._now(), event="revoked", certificate_no=certificate_no,
                         parcel_id=old["parcel_id"], household_id=old["household_id"], village_id=old["village_id"],
                         actor=actor, reason=reason, record=old["record"], geometry_wkt=old["geometry_wkt"])
            con.execute("DELETE FROM current_certificates WHERE certificate_no=?", (certificate_no,))

    def transfer(self, certificate_no: str, *, household_id: str, holders: list[list[str]], reason: str,
                 actor: str, issue_date: _dt.date, valid_until: _dt.date, seal: Any = None) -> dict[str, Any]:
        """Transfer or inheritance: supersede a certificate by a new one for another holder.

        Parameters
        ----------
        holders : list of [name_lo, name_en]
            The new holders.
        seal : callable, optional
            Function record → key id, to set ``k`` of the new record (the signing key).

        Returns
        -------
        dict
            The new certificate's record.
        """
        if not str(reason).strip():
            raise SchemaError("a transfer needs a reason", column="reason", hint="e.g. 'inheritance from Bounmy'")
        holders = [[str(a), str(b)] for a, b in holders]
        if not any(a or b for a, b in holders):
            raise SchemaError("a transfer needs the new holder's name", column="holder",
                              hint="give --holder-en and/or --holder-lo")
        with self._write() as con:
            old = self._current_row(con, certificate_no)
            old_rec = json.loads(old["record"])
            no = self._next_serial(con, str(old_rec["vil"]), issue_date.year)
            rec = {**old_rec, "no": no, "hid": str(household_id), "h": holders, "iss": issue_date.isoformat(),
                   "exp": valid_until.isoformat()}
            if seal is not None:
                rec["k"] = seal(rec)
            now = self._now()
            self._append(con, time=now, event="transferred", certificate_no=certificate_no,
                         parcel_id=old["parcel_id"], household_id=old["household_id"], village_id=old["village_id"],
                         actor=actor, reason=reason, successor=no, record=old["record"],
                         geometry_wkt=old["geometry_wkt"])
            con.execute("DELETE FROM current_certificates WHERE certificate_no=?", (certificate_no,))
            self._append(con, time=now, event="reissued", certificate_no=no, parcel_id=old["parcel_id"],
                         household_id=rec["hid"], village_id=rec["vil"], actor=actor, reason=reason,
                         predecessor=certificate_no, record=_record_json(rec), geometry_wkt=old["geometry_wkt"])
            self._insert_current(con, rec, old["geometry_wkt"], self._srs(con))
        return rec


def _first(cursor: sqlite3.Cursor) -> Any:
    """First row of a query, reading it to the end (no statement left open on a kept connection)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _record_json(rec: Mapping[str, Any]) -> str:
    return canonical_record(dict(rec)).decode("utf-8")


def open_register(path: str | os.PathLike, *, create: bool = False, district: str = "",
                  timezone: str = DEFAULT_TIMEZONE) -> Register:
    """Open the district register at *path* (a GeoPackage), creating it with ``create=True`` if absent.

    Parameters
    ----------
    path : path-like
        The register file (``.gpkg``), e.g. ``district/register.gpkg``; keep it apart
        from run output folders and back it up.
    create : bool, default False
        Create an empty register when the file does not exist.
    district : str
        District name recorded in a new register.
    timezone : str, default "Asia/Vientiane"
        IANA time zone of event times and issue dates, for a new register.

    Raises
    ------
    RegisterError
        Missing (without *create*), empty, corrupt or foreign file.
    """
    p = Path(path)
    if create and not p.exists():
        timezone_info(timezone)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.tmp")
        tmp.unlink(missing_ok=True)
        with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as con:
            con.executescript(_SCHEMA)
            con.executemany("INSERT INTO register_meta VALUES (?, ?)",
                            [("format", _FORMAT), ("district", str(district)), ("timezone", str(timezone))])
        os.replace(tmp, p)
    return Register(p)
