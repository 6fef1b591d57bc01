"""Request bodies are bounded (issue 8, point 9): MAX_CONTENT_LENGTH, 1 MiB unless configured.

A larger body (form, multipart upload, or chunked with no Content-Length) is answered 413 with the tool's
error page, never spooled to disk, never a traceback; ordinary launches stay far below the limit.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests

from lti_app.config import settings_from_environment

from .lti_harness import Lms, start_lms
from .test_lti_rejections import error_text

MIB = 1024 * 1024
STORAGE_STATE = "ps." + base64.urlsafe_b64encode(b"_parent").decode().rstrip("=") + ".state"


def test_default_is_one_mib_and_configurable(tmp_path):
    assert settings_from_environment(str(tmp_path), {})["MAX_CONTENT_LENGTH"] == MIB
    assert (
        settings_from_environment(str(tmp_path), {"MAX_CONTENT_LENGTH": "65536"})["MAX_CONTENT_LENGTH"]
        == 65536
    )


@pytest.fixture(scope="module")
def lms(tmp_path_factory) -> Iterator[Lms]:
    with start_lms(tmp_path_factory.mktemp("lms-limit")) as running:
        running.add_link("diagnostic")
        yield running


def assert_too_large(response: requests.Response) -> None:
    assert response.status_code == 413, (response.status_code, response.text[:2000])
    notice = error_text(response)
    assert "too large" in notice.lower() and "1 MiB" in notice
    assert "Traceback" not in response.text


def test_too_large_form_post_gets_413(lms: Lms):
    data = {"id_token": "x" * (2 * MIB), "state": "s"}
    assert_too_large(requests.post(f"{lms.tool_url}/lti/launch", data=data, timeout=30))


def test_too_large_multipart_upload_gets_413(lms: Lms):
    files = {"upload": ("big.bin", b"\0" * (2 * MIB), "application/octet-stream")}
    assert_too_large(requests.post(f"{lms.tool_url}/lti/launch", files=files, timeout=30))


def test_too_large_chunked_body_gets_413(lms: Lms):
    """No Content-Length to check up front: the limit holds while the body is read."""

    def chunks():
        for _ in range(32):
            yield b"id_token=" + b"x" * (64 * 1024)

    response = requests.post(
        f"{lms.tool_url}/lti/launch",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert_too_large(response)


def test_a_body_under_the_limit_is_read_whole(lms: Lms):
    """Under the limit, the body is read (Content-Length or chunked) and the launch is refused for what it
    says: a platform-storage state with an id_token that is no JWT, which only a fully parsed form shows."""
    fields = {"state": STORAGE_STATE, "id_token": "x" * (MIB // 2)}
    response = requests.post(f"{lms.tool_url}/lti/launch", data=fields, timeout=30)
    assert response.status_code == 400 and "the id_token is not a readable JWT" in error_text(response)

    def chunks():
        yield b"id_token="
        for _ in range(8):
            yield b"x" * (64 * 1024)
        yield b"&state=" + STORAGE_STATE.encode()  # last: lost if the body were cut short

    response = requests.post(
        f"{lms.tool_url}/lti/launch",
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )
    assert response.status_code == 400 and "the id_token is not a readable JWT" in error_text(response)
