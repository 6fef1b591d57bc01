"""`scorm-builder export-items`: the entry point of the question-bank exports (thin: load, export, write)."""

from __future__ import annotations

from pathlib import Path

import click

from courseware import ContentError, load_content
from courseware.packaged import content_dir as packaged_content
from scorm_builder.banks import BANK_FORMATS, build_bank, secure_pools
from scorm_builder.output import write_atomically
from scorm_builder.package import BuildError

DEFAULT_STEM = "question-bank"


@click.command("export-items")
@click.option(
    "--format",
    "format_name",
    required=True,
    type=click.Choice(sorted(BANK_FORMATS)),
    help="; ".join(f"{name}: {fmt.summary}" for name, fmt in sorted(BANK_FORMATS.items())) + ".",
)
@click.option(
    "--content",
    "content_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The content folder. Default: the course shipped with Skarp.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="The file to write, or a folder to write question-bank.<ext> into. Default: dist/.",
)
@click.option(
    "--include-secure-pools",
    is_flag=True,
    help="Also export the pools only the mock exam draws from (its questions stop being unseen).",
)
def export_items(
    format_name: str, content_dir: Path | None, output: Path | None, include_secure_pools: bool
) -> None:
    """Export the knowledge check and the open practice pool as a question bank for an LMS.

    Categories follow the objectives; every option keeps its rationale as feedback, difficulty and
    pool become tags. The mock exam's pool is left out unless --include-secure-pools is given.
    Nothing is written if the content is invalid.
    """
    fmt = BANK_FORMATS[format_name]
    target = _target(output or Path("dist"), fmt.suffix)
    try:
        content = load_content(content_dir or packaged_content())
    except ContentError as error:
        raise click.ClickException(f"{error.summary()}\nNothing was written.") from None
    if include_secure_pools:
        pools = secure_pools(content)
        count = sum(item.pool in pools for item in content.items)
        names = ", ".join(sorted(pool.value for pool in pools)) or "none"
        click.echo(
            f"warning: --include-secure-pools exports {count} secured item(s) (pool {names}); whoever "
            "can read the file sees the mock exam's questions before sitting it",
            err=True,
        )
    bank = build_bank(content, include_secure_pools=include_secure_pools)
    try:
        data = fmt.export(bank)
    except BuildError as error:
        raise click.ClickException(f"{error}\nNothing was written.") from None
    try:
        write_atomically(target, data)
    except OSError as error:
        raise click.ClickException(f"cannot write {target}: {error.strerror or error}") from None
    click.echo(f"{target} ({len(bank.items)} items in {len(bank.categories)} categories)")


def _target(output: Path, suffix: str) -> Path:
    """A folder (existing, or named without a suffix) gets the default file name inside it."""
    if output.is_dir() or (not output.exists() and not output.suffix):
        return output / f"{DEFAULT_STEM}{suffix}"
    for folder in output.parents:
        if folder.exists():
            if not folder.is_dir():
                raise click.ClickException(f"cannot write {output}: {folder} is a file, not a folder")
            break
    return output
