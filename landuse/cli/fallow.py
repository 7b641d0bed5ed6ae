"""``landuse fallow`` and ``landuse fallow-raster``: fallow cycles from histories and rasters."""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

from landuse.cli._common import overwrite_option


@click.command("fallow")
@click.option("--histories", "histories_path", required=True, type=click.Path(),
              help="Plot histories (CSV/XLSX: plot_id, year, status).")
@click.option("--parcels", "parcels_path", type=click.Path(),
              help="Parcels (parcel_id = plot_id, village_id, land_type) for villages, maps "
              "and land demand.")
@click.option("--out", "out", required=True, type=click.Path(), help="Output folder.")
@click.option("--target-fallow", type=float, default=8.0, show_default=True,
              help="Target fallow F* for the land demand [years].")
@click.option("--cropping-years", type=float, default=1.0, show_default=True,
              help="Cropping years per cycle C [years].")
@click.option("--growth-rate", type=float, default=None,
              help="Yearly population growth (e.g. 0.02) for the projection.")
@click.option("--other-as", type=click.Choice(["fallow", "break"]), default="fallow",
              show_default=True, help="How 'other' (forest) years count.")
@click.option("--fallow-classes", default="3,7,11", show_default=True,
              help="Upper bounds of the critical, short and adequate classes [years].")
@overwrite_option
def fallow(histories_path: str, parcels_path: str | None, out: str, target_fallow: float,
           cropping_years: float, growth_rate: float | None, other_as: str,
           fallow_classes: str, overwrite: bool) -> None:
    """Fallow cycles, plot and village summaries, charts and land demand from plot histories.

    Writes cycles.csv, fallow_spells.csv, plot_summary.csv, decade_summary.csv (Kaplan-Meier
    median and restricted mean per decade of clearing), survival_curves.csv,
    village_summary.csv (when villages are known: censoring-aware trend with its CI and
    status), fallow_trend.png and fallow_histogram.png; with --parcels also
    parcels_fallow.gpkg and land_demand.csv.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from landuse import fallow as lf
    from landuse.io import read_histories, read_parcels, write_table, write_vector

    try:
        bounds = [float(v) for v in fallow_classes.split(",")]
        if len(bounds) != 3:
            raise ValueError
    except ValueError:
        raise click.BadParameter("give three numbers, e.g. 3,7,11",
                                 param_hint="--fallow-classes") from None
    classes = lf.FallowClasses(*bounds)
    hist = read_histories(histories_path)
    parcels = read_parcels(parcels_path) if parcels_path else None
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    villages = parcels
    if villages is None and "village_id" in hist.columns:
        villages = hist[["plot_id", "village_id"]].drop_duplicates()

    cyc = lf.cycles(hist, other_as=other_as)
    summ = lf.plot_summary(hist, other_as=other_as, classes=classes)
    written = [
        write_table(cyc, out_dir / "cycles.csv", overwrite=overwrite),
        write_table(lf.fallow_spells(hist, other_as=other_as), out_dir / "fallow_spells.csv",
                    overwrite=overwrite),
        write_table(summ, out_dir / "plot_summary.csv", overwrite=overwrite),
        write_table(lf.survival_curves(hist, villages=villages, other_as=other_as),
                    out_dir / "survival_curves.csv", overwrite=overwrite),
        write_table(lf.decade_summary(hist, villages=villages, other_as=other_as),
                    out_dir / "decade_summary.csv", overwrite=overwrite),
    ]
    vs = None
    if villages is not None:
        vs = lf.village_summary(hist, villages=villages, other_as=other_as, classes=classes)
        written.append(write_table(vs.reset_index(), out_dir / "village_summary.csv",
                                   overwrite=overwrite))
    trend_fig = lf.plot_fallow_by_clearing_year(cyc, villages=villages)
    for name, fig in (("fallow_trend.png", trend_fig),
                      ("fallow_histogram.png", lf.plot_fallow_histogram(cyc))):
        written.append(_save_png(fig, out_dir / name, overwrite))
        plt.close(fig)
    if parcels is not None:
        written.append(write_vector(lf.parcel_fallow(parcels, summ),
                                    out_dir / "parcels_fallow.gpkg", layer="parcels_fallow",
                                    overwrite=overwrite))
        crop = lf.cropped_area_from_histories(hist, parcels)
        rot = lf.rotational_area_from_parcels(parcels)
        demand = lf.village_land_demand(
            crop, rot, cropping_years=cropping_years, target_fallow_years=target_fallow,
            growth_rate=growth_rate, classes=classes,
            base_year=int(hist["year"].max()) if growth_rate is not None else None)
        written.append(write_table(demand.reset_index(), out_dir / "land_demand.csv",
                                   overwrite=overwrite))
    n_short = int(summ["shortening"].sum())
    click.echo(f"{len(summ)} plots, {int((~cyc['censored']).sum())} complete cycles, "
               f"mean fallow {summ['mean_fallow_years'].mean():.1f} years, "
               f"{n_short} plots shortening ("
               f"{int((summ['trend_status'] == 'insufficient data').sum())} with too few spells "
               "for a plot trend)")
    if vs is not None:
        for vid, r in vs.iterrows():
            trend = (f" {r['trend_yr_per_decade']:+.1f} years/decade (95 % CI "
                     f"{r['trend_yr_per_decade_lo']:+.1f} to {r['trend_yr_per_decade_hi']:+.1f})"
                     if r["trend_yr_per_decade"] == r["trend_yr_per_decade"] else "")
            click.echo(f"  village {vid!s}: {r['status']}{trend}")
    for path in written:
        click.echo(f"  {path}")


def _save_png(fig, path: Path, overwrite: bool) -> Path:
    from landuse.io import atomic_output

    with atomic_output(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})
    return path


@click.command("fallow-raster")
@click.argument("stack", nargs=-1, required=True, type=click.Path())
@click.option("--classes", "classes_path", required=True, type=click.Path(),
              help="TOML: cultivated = [values], fallow = [values], other = [values] "
              "(optionally under a [classes] table).")
@click.option("--out", "out", required=True, type=click.Path(), help="Output folder.")
@click.option("--years", default=None,
              help="Comma-separated year of each file/band (default: from file names or "
              "band descriptions).")
@click.option("--dask", "use_dask", is_flag=True, help="Run the windows as dask tasks.")
@click.option("--scheduler", default=None,
              help="With --dask: address of a dask.distributed scheduler (tcp://host:8786).")
@click.option("--block-rows", type=int, default=None, help="Rows per window.")
@overwrite_option
def fallow_raster(stack: tuple[str, ...], classes_path: str, out: str, years: str | None,
                  use_dask: bool, scheduler: str | None, block_rows: int | None,
                  overwrite: bool) -> None:
    """Per-pixel fallow metrics of annual land-cover rasters (one GeoTIFF per year or a
    multi-band stack), written as GeoTIFFs on the same grid."""
    from landuse import fallow as lf
    from landuse.errors import DataReadError, RuleError

    path = Path(classes_path)
    if not path.exists():
        raise DataReadError("the classes file does not exist", source=str(path),
                            hint="write a TOML file such as: cultivated = [1]")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"invalid TOML ({exc})", source=str(path),
                        hint="check the quotes and brackets") from exc
    classes = doc.get("classes", doc)
    try:
        year_list = [int(y) for y in years.split(",")] if years else None
    except ValueError:
        raise click.BadParameter("give whole years separated by commas, e.g. 1991,1992",
                                 param_hint="--years") from None
    client = None
    if use_dask and scheduler:
        from distributed import Client

        client = Client(scheduler)
    try:
        paths = lf.fallow_raster(list(stack) if len(stack) > 1 else stack[0], classes=classes,
                                 out_dir=out, years=year_list, use_dask=use_dask,
                                 overwrite=overwrite, block_rows=block_rows)
    finally:
        if client is not None:
            client.close()
    for name, p in paths.items():
        click.echo(f"  {name:<32} {p}")


commands = [fallow, fallow_raster]
