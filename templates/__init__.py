"""The Jinja2 templates and static files shared by the SCORM pages and the LTI tool, as `skarp_templates`.

pyproject.toml maps this folder to that package so an installed wheel carries them: the builder and the
tool find them with `importlib.resources.files("skarp_templates")` instead of a path relative to a
checkout. Nothing imports Python from this folder.
"""
