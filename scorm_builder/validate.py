"""The validator's public entry point (CLI, builder, tests); the code is in ``scorm_builder.validation``."""

from __future__ import annotations

from scorm_builder.validation import (
    Finding,
    Limits,
    Report,
    Severity,
    format_report,
    validate_files,
    validate_package,
)

__all__ = ["Finding", "Limits", "Report", "Severity", "format_report", "validate_files", "validate_package"]
