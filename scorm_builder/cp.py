"""The IMS Content Packaging parts SCORM 1.2 and 2004 manifests build the same way.

Both versions give every SCO an item (in the one organization) and a resource, and every SCO's
resource depends on one shared asset resource listing the common files. Only the namespaces and
the spelling of ``adlcp:scormtype`` (1.2) / ``adlcp:scormType`` (2004) differ, so the callers pass
those in and add their version's own parts (mastery score, sequencing) through ``describe_item``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lxml import etree

from courseware.model import Course
from scorm_builder.layout import PackageLayout, Sco
from scorm_builder.xmltree import XSI, element

COMMON_RESOURCE = "RES-common"


def manifest_root(
    layout: PackageLayout,
    course: Course,
    *,
    nsmap: dict[str | None, str],
    schema_location: str,
    schema_version: str,
) -> tuple[etree._Element, etree._Element]:
    """The ``manifest`` element (in ``nsmap[None]``) and its ``metadata`` naming the SCORM version."""
    ns = nsmap[None]
    root = etree.Element(f"{{{ns}}}manifest", nsmap=nsmap)
    root.set("identifier", layout.identifier)
    root.set("version", course.version)
    root.set(f"{{{XSI}}}schemaLocation", schema_location)
    metadata = element(root, "metadata", ns=ns)
    element(metadata, "schema", "ADL SCORM", ns=ns)
    element(metadata, "schemaversion", schema_version, ns=ns)
    return root, metadata


def add_organization(
    root: etree._Element,
    layout: PackageLayout,
    *,
    ns: str,
    describe_item: Callable[[etree._Element, Sco], None],
) -> etree._Element:
    """The one organization (the default), titled, with one visible item per SCO pointing at the
    SCO's resource; ``describe_item`` adds the version's own parts to each item."""
    organizations = element(root, "organizations", ns=ns, default="ORG-1")
    organization = element(organizations, "organization", ns=ns, identifier="ORG-1")
    element(organization, "title", layout.title, ns=ns)
    for sco in layout.scos:
        # isvisible="true" is the spec's default, but Open edX's SCORM player keeps only items that say so.
        item = element(
            organization,
            "item",
            ns=ns,
            identifier=f"ITEM-{sco.id}",
            identifierref=f"RES-{sco.id}",
            isvisible="true",
        )
        element(item, "title", sco.title, ns=ns)
        describe_item(item, sco)
    return organization


def add_resources(
    root: etree._Element,
    layout: PackageLayout,
    sco_files: dict[str, list[str]],
    common_files: Iterable[str],
    *,
    ns: str,
    scorm_type: str,
) -> None:
    """A resource per SCO (its files, a dependency on the common one) and the shared asset resource.

    ``scorm_type`` is the qualified name of the version's ``adlcp:scormtype`` attribute.
    """
    resources = element(root, "resources", ns=ns)
    for sco in layout.scos:
        resource = element(
            resources, "resource", ns=ns, identifier=f"RES-{sco.id}", type="webcontent", href=sco.filename
        )
        resource.set(scorm_type, "sco")
        for path in sco_files[sco.id]:
            element(resource, "file", ns=ns, href=path)
        element(resource, "dependency", ns=ns, identifierref=COMMON_RESOURCE)
    common = element(resources, "resource", ns=ns, identifier=COMMON_RESOURCE, type="webcontent")
    common.set(scorm_type, "asset")
    for path in common_files:
        element(common, "file", ns=ns, href=path)
