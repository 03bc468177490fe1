# aifabric.emulation developer targets. Run as root on Debian 12+.
SHELL := /bin/bash
.NOTPARALLEL:
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/.venv/bin:$(PATH)

VENV := .venv/bin
KERNELS := bookworm trixie

.PHONY: help venv venv-ready test test-unit test-kernel test-lab test-multivm test-sanity test-lint demo demo-link bench clean

# pytest's cache needs a writable tree; without one (an unprivileged user in
# a root-owned checkout) run without it rather than warn on every run.
PYTEST_CACHE := $(shell { [ -d .pytest_cache ] && [ -w .pytest_cache ]; } || { [ ! -e .pytest_cache ] && [ -w . ]; } || echo "-p no:cacheprovider")

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

venv:  ## Install Debian packages and the pinned .venv (idempotent)
	tools/bootstrap

test: venv test-unit test-kernel test-sanity test-lint test-lab test-multivm  ## Run every test tier

# The unit tier needs only an existing .venv: no root, no apt, no pip.
venv-ready:
	@test -x $(VENV)/pytest || { echo "make: no $(VENV)/pytest: run 'make venv' (as root) first" >&2; exit 1; }
	@[ "$$(cat .venv/.requirements.sha 2>/dev/null)" = "$$(sha256sum requirements.txt | cut -d' ' -f1)" ] || \
	  echo "make: warning: .venv is older than requirements.txt; 'make venv' updates it" >&2

test-unit: venv-ready  ## Unit tests (no privileges, no kernel; needs only an existing .venv)
	$(VENV)/pytest -q $(PYTEST_CACHE) tests/unit

test-kernel: venv  ## Kernel tests in throwaway namespaces (root)
	$(VENV)/pytest -q -rs tests/kernel

# Tests about userspace, which both guests share, run on the first kernel only:
# the guard's SSH-with-become test (sshd, sudo, ansible's process tree), the
# TTL watchdogs (processes and timers; the netem change path they use is
# covered on both kernels by test_netem_lab) and the fabric impairments (the
# stager's netem overlay; netem itself is covered on both kernels).
LAB_ONCE := tests/lab/test_guard_ssh.py tests/lab/test_netem_ttl_lab.py tests/lab/test_fabric_impair_lab.py

test-lab: venv  ## Lab tests in the VM, on each Debian kernel
	first=1; for k in $(KERNELS); do \
	  if [ $$first = 1 ]; then skip=; else skip="$(addprefix --ignore ,$(LAB_ONCE))"; fi; first=0; \
	  tools/labvm --kernel $$k run -- $(VENV)/pytest -q -rs -p no:cacheprovider tests/lab $$skip || exit 1; \
	done

test-multivm: venv  ## Two lab VMs on a unix-socket link: soft-RoCE transfer, DSCP on the wire
	$(VENV)/pytest -q -rs -p no:cacheprovider tests/multivm

test-sanity: venv  ## ansible-test sanity on a copy of the collection
	tools/sanity

test-lint: venv  ## ansible-lint, production profile
	$(VENV)/ansible-lint

demo: venv  ## Stage a fabric in the lab VM, sweep it with a collective job, write the report
	tools/demo

demo-link: venv  ## Impair one link through a playbook and show the measured effect
	tools/demo_link

bench: venv  ## Benchmark netem accuracy
	tools/bench_netem

clean:  ## Remove test output and build artifacts
	rm -rf tests/output .pytest_cache build
