"""SCORM 1.2 packages from the course content: render, manifest, package, validate."""
