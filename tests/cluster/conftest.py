"""Fixtures for the live-cluster tests: an API client for kubelab's kind cluster and a scratch namespace."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client, config

from runner.cluster.kubeconfig import resolve_context, resolve_kubeconfig


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("kubelab").addoption(
        "--kubelab-case-workers", type=int, default=6,
        help="lab cases (test_lab_cases.py) run at once, each in its own namespace")


@pytest.fixture(scope="session")
def api() -> client.ApiClient:
    path = resolve_kubeconfig()
    if not path:
        pytest.fail("no kubeconfig for the kubelab cluster: run `make cluster` first", pytrace=False)
    return config.new_client_from_config(config_file=path, context=resolve_context(path))


@pytest.fixture(scope="session")
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture
def namespace(core: client.CoreV1Api) -> Iterator[str]:
    name = f"cluster-test-{uuid.uuid4().hex[:6]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)
