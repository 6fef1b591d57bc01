"""The course as data: model, loader, validation. Pure Python: no web, no SQL, no SCORM."""

from courseware.errors import ContentError, ContentProblem, Location
from courseware.loader import load_content
from courseware.model import CourseContent

__all__ = ["ContentError", "ContentProblem", "CourseContent", "Location", "load_content"]
