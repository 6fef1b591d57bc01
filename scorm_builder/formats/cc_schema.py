"""The Common Cartridge LTI link schema (IMS LTI CC 1.0.1, vendored in `schemas/cc13/`).

The vendored files are IMS's as published: their imports name IMS's URLs. A resolver maps those
URLs to the local copies, and the parser may not use the network, so compiling reaches nothing
outside the wheel. See `schemas/cc13/SOURCES.md` for which CC 1.3 schemas are (not yet) vendored.
"""

from __future__ import annotations

from functools import cache

from lxml import etree

from courseware.packaged import resource_dir
from scorm_builder.xsd import document_errors, offline_parser

CC13_DIR = resource_dir("scorm_builder", "schemas") / "cc13"
LTI_LINK_XSD = "imslticc_v1p0p1.xsd"
_IMS_LTI_BASE = "http://www.imsglobal.org/xsd/lti/ltiv1p0/"


class _LocalCopies(etree.Resolver):
    """IMS's LTI schema URLs answered from `schemas/cc13/`; any other URL is left to the parser,
    which may not fetch it (no_network), so a missing schema is an error, never a download."""

    def resolve(self, system_url, public_id, context):  # type: ignore[no-untyped-def]
        path = CC13_DIR / system_url.removeprefix(_IMS_LTI_BASE)
        if system_url.startswith(_IMS_LTI_BASE) and path.is_file():
            return self.resolve_filename(str(path), context)
        return None


@cache
def lti_link_schema() -> etree.XMLSchema:
    parser = offline_parser()
    parser.resolvers.add(_LocalCopies())
    return etree.XMLSchema(etree.parse(str(CC13_DIR / LTI_LINK_XSD), parser))


def lti_link_errors(document: bytes) -> list[str]:
    """`line: message` for each violation of a `cartridge_basiclti_link` file; empty when valid."""
    return document_errors(lti_link_schema(), document)
