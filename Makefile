# kubelab: one command sets up and runs the first lab (`make first-lab`), one runs the tests (`make test`).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
KUBELAB := $(VENV)/bin/kubelab
CACHE ?= $(or $(KUBELAB_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kubelab)
# KUBELAB_CLUSTER=<name>: a second cluster (build/cluster.sh), whose kubeconfig is kubeconfig-<name>.
export KUBECONFIG ?= $(CACHE)/kubeconfig$(addprefix -,$(filter-out kubelab,$(KUBELAB_CLUSTER)))
JUNIT ?= build-results/junit.xml
# the unit tests run on this many processes (pytest-xdist; worksteal: the long property tests do not hold up the rest):
# one more than this machine's 2 cores, as a third of their time is waiting (timeouts, subprocesses, servers),
# with bytecode cached in __pycache__ even where PYTHONDONTWRITEBYTECODE is set: each worker would otherwise compile
# and assertion-rewrite every module again (~2.5 s of CPU per worker)
UNIT_WORKERS ?= 3
export UNIT_WORKERS
UNIT_ENV := env -u PYTHONDONTWRITEBYTECODE
FIRST_LAB ?= pod

.PHONY: static verify test-any-cluster test-faults test-cases browser setup cluster cluster-down cluster-status node-image first-lab test test-unit test-cluster bench clean schema

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

# The install is editable (this tree is the package): compile its bytecode, as pip does for an installed wheel.
# Where PYTHONDONTWRITEBYTECODE is set (this machine, many container images) every command would otherwise
# compile every module it imports again: 0.1-0.2 s of CPU per command that loads the engine (README, CLI start).
$(VENV)/.bytecode: $(VENV)/.installed $(shell find runner -name '*.py')
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m compileall -q runner
	touch $@

setup: $(VENV)/.installed $(VENV)/.bytecode  ## Python environment with kubelab and its pinned dependencies

# The same entry point an installed kubelab uses (it runs build/cluster.sh).
cluster: setup  ## a ready kind cluster (reuses a healthy one; builds the node image when none can be pulled); BUNDLE=FILE: from an air-gapped bundle
	$(if $(BUNDLE),$(KUBELAB) bundle import $(abspath $(BUNDLE)),$(KUBELAB) cluster up)

cluster-down: setup
	$(KUBELAB) cluster down

cluster-status: setup
	$(KUBELAB) cluster status

node-image:  ## build kindest/node locally from Go modules and Debian packages
	bash build/node-image.sh

first-lab: setup cluster  ## set up everything and start the first lab in guided mode
	$(KUBELAB) run $(FIRST_LAB)

# pytest exits 5 when it ran no test: that is a failure here, never a pass. $(2): a command prefix (env ...).
define pytest
	$(2) $(PY) -m pytest $(1); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest ran no test: failing" >&2; exit 1; fi; exit $$rc
endef

static: setup  ## ruff on the runner and the tests, mypy --strict on the runner (config in pyproject.toml)
	$(VENV)/bin/ruff check runner tests
	$(VENV)/bin/mypy

test-unit: setup static
	$(call pytest,tests/unit -q -p xdist -n $(UNIT_WORKERS) --dist worksteal,$(UNIT_ENV))

test-cluster: setup cluster
	$(call pytest,tests/cluster -q)

verify: setup cluster  ## `kubelab verify` of every lab, 3 at a time
	$(PY) -m runner --plain verify --parallel 3

# The board's browser test drives Debian's chromium (no browser download is possible here).
browser:
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }

# Every lab is verified by its walk in tests/cluster/test_lab_cases.py (verify's must-fail phase, the solve, then
# `kubelab check`, with the lab's alternatives and mistakes on the way); `make verify` runs `kubelab verify`.
test: setup static cluster browser  ## unit tests + live cluster tests + every lab walked with its cases + the fault suite + three workshop learners verifying every lab, JUnit in $(JUNIT) (the others beside it)
	@mkdir -p $(dir $(JUNIT))
	bash build/test-all.sh $(PY) $(JUNIT) -- tests/cluster tests/fixtures/labs tests/fixtures/broken-labs -v -m 'not workshop_all and not any_cluster'  # beside it: tests/faults, the quick any_cluster items, workshop_all

# The fault suite alone (API server stopped, node restarted, Ctrl-C, kill -9, two processes): on its own
# disposable cluster kubelab-faults, never the shared one. KUBELAB_KEEP_FAULT_CLUSTER=1 keeps it for the next run.
test-faults: setup
	$(call pytest,tests/faults -v -m faults)

# Three learners verify every lab at once with their own kubeconfigs, 3 labs at a time each (issue 7's acceptance
# item), alone; `make test` runs it beside the main run (build/test-all.sh).
test-workshop: setup cluster
	$(call pytest,tests/cluster/test_workshop_verify.py -v -m workshop_all)

# Every lab on a second cluster, kubelab-alt (one node, no host port mappings, metrics-server only; created or
# reused by content key, deleted after unless KUBELAB_KEEP_ALT_CLUSTER=1): the labs it can run pass verify, the
# others are skipped with their reason (issue 7.6). make test runs the quick items of the same file.
test-any-cluster: setup
	$(call pytest,tests/cluster/test_any_cluster.py -v)

# Alternatives, mistakes and `kubelab check` after `kubelab solve` of every lab (tests/cluster/test_lab_cases.py),
# alone, e.g. make test-cases PYTEST_ARGS='-k gateway'; make test runs them all (docs/labs.md: how long).
test-cases: setup cluster
	$(call pytest,tests/cluster/test_lab_cases.py -v $(PYTEST_ARGS))

schema: setup  ## regenerate schema/lab.schema.json from runner/schema.py (after changing the lab format)
	$(PY) -m runner.schema_json

bench: setup cluster
	bash benchmarks/cluster.sh

clean:
	rm -rf $(VENV) build-results
