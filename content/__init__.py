"""The course content (YAML), shipped as the package `skarp_content`.

pyproject.toml maps this folder to that package so an installed wheel carries the chapter, the bank and
the blueprints: `scorm-builder build` and the LTI tool find them with
`importlib.resources.files("skarp_content")` instead of a path relative to a checkout. Authors keep
editing the YAML here; nothing imports Python from this folder.
"""
