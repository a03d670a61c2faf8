"""Fixtures of the object-storage tests: a SeaweedFS server for the module, a fault proxy in
front of it, a WebSub hub, and a copy of the sample project configured for a bucket."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import FaultProxy, Hub, SeaweedFS


@pytest.fixture(scope="module")
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    server = SeaweedFS(tmp_path_factory.mktemp("weed"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def proxy(weed: SeaweedFS) -> Iterator[FaultProxy]:
    front = FaultProxy(weed.port)
    yield front
    front.close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    server = Hub()
    yield server
    server.close()
