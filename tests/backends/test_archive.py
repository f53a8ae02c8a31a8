"""Export archives: damaged zips are a clean BackendError, and secrets in list rows never leave in clear."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest

from flowbuilder import Flow
from flowbuilder.errors import BackendError
from flowbuilder.project import Project


def _document(name: str = "kept out") -> bytes:
    return Flow(name).source("Dev Raw Data Source").to("Trash").flow.to_json().encode()


def _zip(method: int = zipfile.ZIP_DEFLATED, name: str = "flows/a.json") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        archive.writestr(name, _document() * 4)
    return buffer.getvalue()


def _corrupt_stream(method: int) -> Callable[[], bytes]:
    """A zip whose member's compressed bytes are overwritten, headers and sizes left as they were."""

    def build() -> bytes:
        data = bytearray(_zip(method))
        info = zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0]
        name_length = len(info.filename.encode())
        start = info.header_offset + 30 + name_length + len(info.extra)
        for offset in range(start + 2, start + 40):
            data[offset] = 0xFF
        return bytes(data)

    return build


def _name_flagged_utf8_that_is_not() -> bytes:
    """A member name with the UTF-8 flag set whose bytes are not UTF-8 (a hand-edited or broken zip)."""
    data = bytearray(_zip(name="flows/\u00e9.json"))
    encoded = "\u00e9".encode()
    for position in range(len(data) - 1):
        if data[position : position + 2] == encoded:
            data[position : position + 2] = b"\xff\xfe"
    return bytes(data)


def _name_starting_with_nul() -> bytes:
    """A member whose stored name starts with a NUL byte, which zipfile reads as an empty name."""
    data = _zip(name="flows/a.json")
    return data.replace(b"flows/a.json", b"\x00lows/a.json")


def _truncated() -> bytes:
    data = _zip()
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    "damaged",
    [
        _corrupt_stream(zipfile.ZIP_DEFLATED),
        _corrupt_stream(zipfile.ZIP_LZMA),
        _corrupt_stream(zipfile.ZIP_BZIP2),
        _name_flagged_utf8_that_is_not,
        _name_starting_with_nul,
        _truncated,
    ],
    ids=["deflate", "lzma", "bzip2", "utf8-name", "nul-name", "truncated"],
)
def test_a_damaged_archive_is_a_400_naming_the_file_storing_nothing(damaged: Callable[[], bytes]) -> None:
    project = Project.memory()
    with pytest.raises(BackendError) as raised:
        project.backend.import_flows(damaged(), conflict_resolution="rename")
    assert raised.value.status == 400
    assert "flows.zip" in str(raised.value)
    assert list(project.flows) == []


def test_export_blanks_passwords_held_in_list_rows_unless_plain_text_is_asked_for() -> None:
    flow = Flow("rows")
    server = flow.add_stage("HTTP Server")
    server.configuration["basic_authentication_users"] = [{"username": "ada", "password": "s3cr3t-user"}]
    server.configuration["list_of_application_ids"] = [{"credential": "s3cr3t-app"}]
    server >> flow.add_stage("Trash")
    project = Project.memory()
    stored = project.create_flow(name="rows", flow=flow)

    def member(plain: bool) -> str:
        data = project.backend.export_flows([stored.flow_id], with_plain_text_credentials=plain)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(f"flows/{stored.flow_id}.json").decode()

    blanked = member(plain=False)
    assert "s3cr3t" not in blanked
    assert "ada" in blanked, "only the secret fields of a row are blanked"
    json.loads(blanked)
    plain = member(plain=True)
    assert "s3cr3t-user" in plain
    assert "s3cr3t-app" in plain


def test_a_member_that_is_not_a_flow_says_so_once() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("flows/a.json", json.dumps({"hello": 1}))
    with pytest.raises(BackendError) as raised:
        Project.memory().backend.import_flows(buffer.getvalue(), conflict_resolution="rename")
    message = str(raised.value)
    assert "flows.zip:flows/a.json" in message
    assert message.count("not a flow") == 1, message
