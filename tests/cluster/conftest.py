"""Fixtures for the live-cluster tests: an API client for kubelab's kind cluster and a scratch namespace."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client, config


def _kubeconfig() -> str:
    cache = Path(os.environ.get("KUBELAB_CACHE", Path.home() / ".cache" / "kubelab"))
    return os.environ.get("KUBELAB_KUBECONFIG", str(cache / "kubeconfig"))


@pytest.fixture(scope="session")
def api() -> client.ApiClient:
    path = _kubeconfig()
    if not Path(path).exists():
        pytest.fail(f"no kubeconfig at {path}: run `make cluster` first")
    return config.new_client_from_config(config_file=path)


@pytest.fixture(scope="session")
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def namespace(core: client.CoreV1Api) -> Iterator[str]:
    name = f"cluster-test-{uuid.uuid4().hex[:6]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)
