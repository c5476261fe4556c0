"""Every inbox test starts with no conversion handler registered and can store files in a temporary folder."""

import pytest

from feedback import conversion


@pytest.fixture(autouse=True)
def no_conversions(monkeypatch):
    """Each test starts with no conversion handler registered (the sweep registers one of its own)."""
    monkeypatch.setattr(conversion, "_registry", {})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path
