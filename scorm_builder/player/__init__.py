"""The SCORM player: a local LMS that plays built packages (SCORM 1.2 and 2004) against scorm-again.

`server.py` serves the packages beside the player pages in this folder (player.html, wrapper.html,
sync-player.html); `scorm-builder preview` and the browser tests use it.
"""

from scorm_builder.player.server import node_modules, prepare_web_root, serve

__all__ = ["node_modules", "prepare_web_root", "serve"]
