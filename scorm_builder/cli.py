"""`scorm-builder`: build the course in each format, validate any SCORM 1.2 or 2004 zip, play them."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from courseware import ContentError, load_content
from courseware.packaged import content_dir as packaged_content
from scorm_builder.banks.command import export_items
from scorm_builder.formats import FORMATS
from scorm_builder.package import BuildError
from scorm_builder.player import serve
from scorm_builder.validate import Severity, format_report, validate_package


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="skarp", message="%(prog)s %(version)s")
def main() -> None:
    """Build, check and play the Skarp course's packages (SCORM 1.2, SCORM 2004...)."""


@main.command()
@click.argument(
    "content_arg", metavar="[CONTENT_DIR]", required=False, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--content",
    "content_option",
    type=click.Path(file_okay=False, path_type=Path),
    help="The content folder (the same as CONTENT_DIR). Default: the course shipped with Skarp.",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    default=Path("dist"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder the zips are written to.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(sorted(FORMATS)),
    default="scorm12",
    show_default=True,
    help="Output format: " + "; ".join(f"{name}: {fmt.summary}" for name, fmt in FORMATS.items()) + ".",
)
@click.option("--multi-sco", is_flag=True, help="One SCO per part, so the LMS shows a table of contents.")
@click.option(
    "--tool-url",
    help="--format cc: the LTI tool's https address the links launch (a placeholder if omitted).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def build(
    content_arg: Path | None,
    content_option: Path | None,
    out_dir: Path,
    format_name: str,
    multi_sco: bool,
    tool_url: str | None,
    quiet: bool,
) -> None:
    """Build the chapter package and the knowledge-check package from CONTENT_DIR.

    CONTENT_DIR (or --content) defaults to the course content installed with Skarp. By default the
    chapter is one SCO with its own navigation (the layout that imports most reliably); --multi-sco
    makes one SCO per part. Nothing is written if the content is invalid.
    """
    if content_arg is not None and content_option is not None and content_arg != content_option:
        raise click.UsageError(f"two content folders given: {content_arg} and --content {content_option}")
    if tool_url is not None and format_name != "cc":
        raise click.UsageError("--tool-url is for --format cc (the cartridge's LTI links)")
    content_dir = content_option or content_arg or packaged_content()
    say = (lambda message: None) if quiet else (lambda message: click.echo(message, err=True))
    _check_output_folder(out_dir)
    say(f"loading content from {content_dir}")
    try:
        content = load_content(content_dir)
        extra = {"tool_url": tool_url} if tool_url is not None else {}
        built = FORMATS[format_name].build(content, out_dir, multi_sco=multi_sco, progress=say, **extra)
    except ContentError as error:
        raise click.ClickException(f"{error.summary()}\nNothing was written.") from None
    except BuildError as error:
        raise click.ClickException(f"{error}\nNothing was written.") from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise click.ClickException(f"cannot write to {out_dir}: {reason}") from None
    for package in built:
        click.echo(str(package.path))


def _check_output_folder(out_dir: Path) -> None:
    """Refuse up front an output folder that cannot be created, so no build work is wasted."""
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                raise click.ClickException(
                    f"cannot write to {out_dir}: {folder} is a file, not a folder. Nothing was written."
                )
            return


@main.command()
@click.argument("packages", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def validate(packages: tuple[Path, ...], strict: bool) -> None:
    """Check SCORM 1.2 and 2004 zips: schema, packaging, references, files, paths and external URLs.

    The version comes from each manifest (its namespace or schemaversion); the matching schema set is used.
    """
    failed = False
    for path in packages:
        report = validate_package(path)
        click.echo(format_report(report))
        has_warnings = any(f.severity is Severity.warning for f in report.findings)
        failed = failed or not report.ok or (strict and has_warnings)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("packages", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
def preview(packages: tuple[Path, ...], host: str, port: int) -> None:
    """Play packages in the local SCORM player (scorm-again, 1.2 and 2004) and show what the LMS receives.

    PACKAGES are zips or folders of zips (default: dist/).
    """
    zips = _zips(packages or (Path("dist"),))
    if not zips:
        raise click.ClickException("no .zip packages found: run `scorm-builder build` first")
    try:
        with serve(zips, host, port) as url:
            click.echo(f"SCORM player on {url}/ (Ctrl+C to stop)")
            threading.Event().wait()
    except (FileNotFoundError, OSError) as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        pass


def _zips(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found += sorted(path.glob("*.zip")) if path.is_dir() else [path]
    return found


main.add_command(export_items)

if __name__ == "__main__":
    main()
