"""The one way the builders add an element to an lxml tree (manifests, cmi5.xml, QTI, cartridges).

Each builder binds its own default namespace (`functools.partial(element, ns=...)`), so documents in
different namespaces are still written by the same few lines.
"""

from __future__ import annotations

from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def element(parent: etree._Element, tag: str, text: str | None = None, *, ns: str, **attrs: str | None):
    """A child ``{ns}tag`` with the given attributes (None ones left out) and text."""
    child = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        child.text = text
    return child
