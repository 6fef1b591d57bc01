"""cmi5: one course zip (`cmi5.xml` + an AU page each) for an LMS with an LRS (xAPI).

The course has an AU for the chapter (or, with --multi-sco, one per part) and the knowledge check
AU. The pages are the SCORM pages with another API layer: `cmi5-runtime.js` (on `@xapi/cmi5`, see
`static/cmi5.umd.js.LICENSE.txt`) runs the cmi5 launch sequence and reports as xAPI statements, and
keeps the learner's progress in the xAPI State API. `cmi5.xml` is checked against the cmi5
CourseStructure.xsd before anything is written; the zip is deterministic like the SCORM ones.

IRIs: the course, its AUs and objectives are named `urn:skarp:<course identifier>[:au:<id>|:objective:<id>]`,
stable across builds, so an LMS re-importing a new version keeps its learners' records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, partial
from pathlib import Path

from lxml import etree

from courseware.model import CourseContent, ExercisePart, Part, QuizPart, Tracking
from scorm_builder import layout as layouts
from scorm_builder import xmltree
from scorm_builder.formats import Format, register
from scorm_builder.layout import Sco
from scorm_builder.output import Written, write_reported, zip_bytes
from scorm_builder.package import STATIC_DIR, BuildError
from scorm_builder.render import TEMPLATES_DIR, render_sco
from scorm_builder.schema import SCHEMA_DIR

CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
SCHEMA_FILE = SCHEMA_DIR / "CourseStructure.xsd"
STRUCTURE_FILE = "cmi5.xml"
#: Files every AU loads, shipped once under assets/ (the library's licence travels with it).
ASSETS = {
    "assets/skarp.css": TEMPLATES_DIR / "static" / "skarp.css",
    "assets/cmi5.umd.js": STATIC_DIR / "cmi5.umd.js",
    "assets/cmi5.umd.js.LICENSE.txt": STATIC_DIR / "cmi5.umd.js.LICENSE.txt",
    "assets/cmi5-transport.js": STATIC_DIR / "cmi5-transport.js",
    "assets/cmi5-runtime.js": STATIC_DIR / "cmi5-runtime.js",
    "assets/suspend-data.js": STATIC_DIR / "suspend-data.js",
    "assets/pass-rule.js": STATIC_DIR / "pass-rule.js",
    "assets/sco-activities.js": STATIC_DIR / "sco-activities.js",
    "assets/sco-quizzes.js": STATIC_DIR / "sco-quizzes.js",
    "assets/sco-app.js": STATIC_DIR / "sco-app.js",
}
MOVE_ON_GRADED = "Passed"  # the knowledge check counts once passed
MOVE_ON_LESSON = "CompletedOrPassed"  # a lesson counts once done (or passed, if tracking says so)


@dataclass(frozen=True)
class Au:
    sco: Sco
    description: str
    tracking: Tracking

    @property
    def move_on(self) -> str:
        return MOVE_ON_GRADED if self.sco.mastery_score is not None else MOVE_ON_LESSON


@dataclass(frozen=True)
class CourseLayout:
    name: str  # the zip's file stem
    iri: str
    title: str
    description: str
    aus: tuple[Au, ...]


BuiltCourse = Written[CourseLayout]


def course_iri(content: CourseContent) -> str:
    return f"urn:skarp:{content.course.identifier}"


def au_iri(content: CourseContent, sco: Sco) -> str:
    return f"{course_iri(content)}:au:{sco.id}"


def objective_iri(content: CourseContent, objective_id: str) -> str:
    return f"{course_iri(content)}:objective:{objective_id}"


def _cmi5_tracking(tracking: Tracking) -> Tracking:
    """cmi5 makes the AU use the LMS's masteryScore (LMS.LaunchData), whatever course.yaml says."""
    return tracking.model_copy(update={"honour_lms_mastery_score": True})


def course_layout(content: CourseContent, multi_sco: bool) -> CourseLayout:
    """The AUs: each part (multi) or the chapter without its quizzes, and the knowledge check."""
    course = content.course
    stem = f"ch{course.chapter_number:02d}-service-value-chain-cmi5"
    check = layouts.knowledge_check(content)
    blueprint, graded = layouts.knowledge_check_blueprint(content), check.scos[0]
    check_sco = Sco(blueprint.id, graded.title, graded.pages, graded.mastery_score)
    check_au = Au(check_sco, check.description, _cmi5_tracking(course.tracking.knowledge_check))
    if multi_sco:
        multi = layouts.multi_sco(content)
        tracking = _cmi5_tracking(course.tracking.multi)
        aus = tuple(
            check_au
            if sco.id == check_sco.id
            else Au(sco, f"{sco.title}: part of {course.chapter_title}", tracking)
            for sco in multi.scos
        )
        return CourseLayout(f"{stem}-multi-au", course_iri(content), multi.title, course.description, aus)
    lessons = tuple(part for part in content.chapter.parts if not isinstance(part, QuizPart))
    chapter = Sco("chapter", course.chapter_title, lessons, None)
    chapter_au = Au(chapter, course.description, _cmi5_tracking(course.tracking.single))
    return CourseLayout(
        stem, course_iri(content), course.chapter_title, course.description, (chapter_au, check_au)
    )


def _part_objectives(part: Part) -> list[str]:
    ids = list(getattr(part, "objectives", []))
    if isinstance(part, QuizPart):
        ids.append(part.item.objective)
    if isinstance(part, ExercisePart):
        ids += [step.answer for step in part.steps]
    for entry in [*getattr(part, "cards", []), *getattr(part, "terms", [])]:
        if getattr(entry, "objective", None):
            ids.append(entry.objective)
    return ids


def au_objectives(sco: Sco, content: CourseContent) -> list[str]:
    """The objectives an AU's parts teach or test, in the content's order."""
    used = {objective_id for part in sco.pages for objective_id in _part_objectives(part)}
    return [objective.id for objective in content.objectives if objective.id in used]


_el = partial(xmltree.element, ns=CMI5_NS)


def _text(parent: etree._Element, tag: str, text: str, language: str) -> None:
    _el(_el(parent, tag), "langstring", lang=language).text = text


def build_course_structure(layout: CourseLayout, content: CourseContent) -> bytes:
    """cmi5.xml: the course, the content's objectives, then one AU each, with relative URLs."""
    language = content.course.language
    root = etree.Element(f"{{{CMI5_NS}}}courseStructure", nsmap={None: CMI5_NS})
    course = _el(root, "course", id=layout.iri)
    _text(course, "title", f"{content.course.title}: {layout.title}", language)
    _text(course, "description", layout.description, language)
    objectives = _el(root, "objectives")
    for objective in content.objectives:
        element = _el(objectives, "objective", id=objective_iri(content, objective.id))
        _text(element, "title", objective.title, language)
        _text(element, "description", objective.purpose, language)
    for au in layout.aus:
        attrs = {"id": au_iri(content, au.sco), "moveOn": au.move_on, "launchMethod": "AnyWindow"}
        if au.sco.mastery_score is not None:
            attrs["masteryScore"] = str(Decimal(au.sco.mastery_score) / 100)
        element = _el(root, "au", **attrs)
        _text(element, "title", au.sco.title, language)
        _text(element, "description", au.description, language)
        refs = au_objectives(au.sco, content)
        if refs:
            wrapper = _el(element, "objectives")
            for objective_id in refs:
                _el(wrapper, "objective", idref=objective_iri(content, objective_id))
        _el(element, "url").text = au.sco.filename
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@cache
def course_structure_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def check_course_structure(data: bytes, files: set[str]) -> list[str]:
    """Problems with a cmi5.xml, as `cmi5.xml:LINE: message`: the XSD, unique IRIs, AU URLs present."""
    try:
        document = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        return [f"{STRUCTURE_FILE}:{error.lineno}: not well-formed XML: {error.msg}"]
    schema = course_structure_schema()
    problems = []
    if not schema.validate(document):
        problems = [f"{STRUCTURE_FILE}:{e.line}: {e.message}" for e in schema.error_log]
    seen: dict[str, int] = {}
    named = (f"{{{CMI5_NS}}}{tag}" for tag in ("course", "au", "block", "objective"))
    for element in document.iter(*named):
        iri = element.get("id")
        if iri is None:
            continue
        if iri in seen:
            line = element.sourceline
            problems.append(f"{STRUCTURE_FILE}:{line}: id {iri!r} is used twice (line {seen[iri]})")
        seen[iri] = element.sourceline
    for url in document.iter(f"{{{CMI5_NS}}}url"):
        if (url.text or "").strip() not in files:
            problems.append(f"{STRUCTURE_FILE}:{url.sourceline}: url {url.text!r} is not in the package")
    return problems


def course_files(layout: CourseLayout, content: CourseContent) -> dict[str, bytes]:
    """Every file of the zip, by its path inside it."""
    files = {path: source.read_bytes() for path, source in ASSETS.items()}
    for au in layout.aus:
        html = render_sco(au.sco, content, package_title=au.sco.title, tracking=au.tracking, runtime="cmi5")
        files[au.sco.filename] = html.encode("utf-8")
    files[STRUCTURE_FILE] = build_course_structure(layout, content)
    return files


def build_cmi5(
    content: CourseContent,
    out_dir: Path,
    *,
    multi_sco: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> list[BuiltCourse]:
    """Build and check the course zip; raise BuildError before writing if cmi5.xml is invalid."""
    layout = course_layout(content, multi_sco)
    progress(f"rendering {layout.name} ({len(layout.aus)} AUs)")
    files = course_files(layout, content)
    problems = check_course_structure(files[STRUCTURE_FILE], set(files))
    if problems:
        raise BuildError("the built cmi5.xml is invalid:\n" + "\n".join(problems))
    data = zip_bytes(files)
    path = out_dir / f"{layout.name}.zip"
    return [BuiltCourse(layout, path, write_reported(path, data, progress))]


FORMAT = register(
    Format(
        name="cmi5",
        summary="a cmi5 course zip (cmi5.xml, xAPI statements) for an LMS with an LRS",
        build=build_cmi5,
    )
)
