"""Bundled XSD sets compiled once, offline, and validated against one document at a time.

Every schema the builder checks (SCORM 1.2, SCORM 2004, the CC LTI link, QTI 2.1) follows the same
rules, kept here once:

* compiling never reaches the network: the parser is ``no_network`` and a resolver answers the
  bundled files (a missing one is an error, never a download);
* a set that spans several namespaces is compiled from a wrapper schema importing each, so a
  manifest mixing them is checked against all;
* an ``XMLSchema``'s ``error_log`` belongs to the shared compiled instance, so validations are
  serialized by a lock instead of interleaving their errors.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from lxml import etree

# One lock for every compiled schema: validations are short, and a shared error_log must not interleave.
_VALIDATE_LOCK = threading.Lock()


class SchemaIssue(NamedTuple):
    """One XSD violation: the document line and libxml2's message (namespaces shortened)."""

    line: int
    message: str


def offline_parser() -> etree.XMLParser:
    """A parser that never fetches anything and never expands entities (schemas and documents alike)."""
    return etree.XMLParser(no_network=True, resolve_entities=False)


def validate(schema: etree.XMLSchema, document: etree._ElementTree | etree._Element) -> list[SchemaIssue]:
    """Every violation of ``document`` with its line; empty when it is valid."""
    with _VALIDATE_LOCK:
        if schema.validate(document):
            return []
        return [SchemaIssue(error.line, error.message) for error in schema.error_log]


def document_errors(schema: etree.XMLSchema, document: bytes) -> list[str]:
    """``line: message`` for each violation of a serialized document; empty when it is valid."""
    tree = etree.fromstring(document, offline_parser())
    return [f"{issue.line}: {issue.message}" for issue in validate(schema, tree)]


class SchemaSet:
    """XSDs bundled in ``directory``, compiled once from ``wrapper`` (a schema importing them by file
    name), with messages whose ``{namespace}`` spellings are replaced by ``readable_namespaces``' prefixes
    (libxml2 prints ``{uri}name``, which buries the element name).

    ``text_patches`` maps a file name to ``(old, new)`` bytes replaced in memory before compiling, so a
    file libxml2 rejects as published can still ship byte-exact; a patch that no longer matches fails
    loudly.
    """

    def __init__(
        self,
        directory: Path,
        files: tuple[Path, ...],
        wrapper: str,
        readable_namespaces: Mapping[str, str],
        text_patches: Mapping[str, tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.directory = directory
        self.files = files
        self._wrapper = wrapper
        self._readable = {f"{{{namespace}}}": prefix for namespace, prefix in readable_namespaces.items()}
        self._patches = dict(text_patches or {})

    def is_patched(self, name: str) -> bool:
        return name in self._patches

    def text(self, name: str) -> bytes:
        """The XSD as libxml2 can compile it (patched if it needs to be)."""
        path = self.directory / name
        data = path.read_bytes()
        if name in self._patches:
            old, new = self._patches[name]
            if old not in data:
                raise RuntimeError(f"{path}: expected text {old!r} to patch is missing")
            data = data.replace(old, new)
        return data

    @cached_property
    def schema(self) -> etree.XMLSchema:
        """Compiled on first use, once per process."""
        parser = offline_parser()
        parser.resolvers.add(_BundledFiles(self))
        base_url = (self.directory / "wrapper.xsd").as_uri()
        return etree.XMLSchema(
            etree.ElementTree(etree.fromstring(self._wrapper.encode(), parser, base_url=base_url))
        )

    def issues(self, document: etree._ElementTree) -> list[SchemaIssue]:
        """Every XSD violation in ``document`` with its line; empty when it is schema-valid."""
        found = validate(self.schema, document)
        return [SchemaIssue(line, self.readable(message)) for line, message in found]

    def readable(self, message: str) -> str:
        for qualified, prefix in self._readable.items():
            message = message.replace(qualified, prefix)
        return message


class _BundledFiles(etree.Resolver):
    """Serves a set's files for any system URL naming one of them (DTDs included)."""

    def __init__(self, schema_set: SchemaSet) -> None:
        super().__init__()
        self._set = schema_set
        self._names = frozenset(path.name for path in schema_set.files)

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> object:
        name = (system_url or "").replace("\\", "/").rsplit("/", 1)[-1]
        if name not in self._names:
            return None
        path = self._set.directory / name
        if self._set.is_patched(name):
            return self.resolve_string(self._set.text(name), context, base_url=path.as_uri())
        return self.resolve_filename(str(path), context)
