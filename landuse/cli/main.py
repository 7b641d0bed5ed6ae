"""The ``landuse`` command group.

Each subcommand lives in its own module of :mod:`landuse.cli` and exposes a click
command named ``command`` (or a list ``commands``); modules are discovered at start-up,
so adding a command never touches this file. Library errors are turned into clean
messages with exit code 1, and so is any other error (an OSError names the file and the
fix: disk full, permission, read-only disk, name too long); usage errors exit with 2; a
traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys

import click

import landuse
from landuse.errors import LanduseError

_SKIP = {"main", "_common"}


class _Group(click.Group):
    """Click group that reports LanduseError without a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except LanduseError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - never a raw traceback: one line, exit 1
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {_one_line(exc)}", err=True)
            ctx.exit(1)


def _one_line(exc: Exception) -> str:
    """An unexpected error as one line naming the file and the fix (see DESIGN.md, Errors)."""
    from landuse.plan import environment_error, os_error_text

    env = exc if isinstance(exc, OSError) else environment_error(exc)
    if env is not None:
        msg, hint = os_error_text(env)
        return f"{msg}. Fix: {hint}"
    if isinstance(exc, UnicodeDecodeError):
        return (f"a file is not UTF-8 text ({exc.reason} at byte {exc.start}). "
                "Fix: save it as UTF-8 (in a spreadsheet: 'CSV UTF-8')")
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return (f"unexpected {type(exc).__name__}: {text}. Fix: run again with --debug to see where it "
            "happened, and report it with the command you ran")


def _print_version(ctx: click.Context, value: bool) -> None:
    # click.version_option would read the version (importlib.metadata) on every start
    if value and not ctx.resilient_parsing:
        click.echo(f"landuse, version {landuse.__version__}")
        ctx.exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _p, v: _print_version(ctx, v),
              help="Show the version and exit.")
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """landuse: village land-use planning and land allocation (northern Laos).

    Run `landuse demo --out out/demo` to see every step on the bundled Oudomxay demo.
    """
    ctx.ensure_object(dict)
    ctx.obj.update(verbose=verbose, quiet=quiet, debug=debug)
    level = logging.ERROR if quiet else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("landuse").setLevel(level)
    landuse.show_progress(not quiet)  # steps of more than a few seconds say "what i/n" on stderr
    if quiet:
        import warnings

        from landuse.errors import LanduseWarning

        warnings.simplefilter("ignore", LanduseWarning)


def _register() -> None:
    import landuse.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name in _SKIP:
            continue
        module = importlib.import_module(f"landuse.cli.{info.name}")
        cmds = getattr(module, "commands", None) or [getattr(module, "command", None)]
        for cmd in cmds:
            if cmd is not None:
                cli.add_command(cmd)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``landuse`` script."""
    cli.main(args=argv, prog_name="landuse", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
