# aifabric.emulation developer targets. Run as root on Debian 12+.
SHELL := /bin/bash
.NOTPARALLEL:
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/.venv/bin:$(PATH)

VENV := .venv/bin
KERNELS := bookworm trixie

.PHONY: help venv test test-unit test-kernel test-lab test-multivm test-sanity test-lint demo bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

venv:  ## Install Debian packages and the pinned .venv (idempotent)
	tools/bootstrap

test: venv test-unit test-kernel test-sanity test-lint test-lab test-multivm  ## Run every test tier

test-unit: venv  ## Unit tests (no privileges, no kernel)
	$(VENV)/pytest -q tests/unit

test-kernel: venv  ## Kernel tests in throwaway namespaces (root)
	$(VENV)/pytest -q -rs tests/kernel

test-lab: venv  ## Lab tests in the VM, on each Debian kernel
	for k in $(KERNELS); do \
	  tools/labvm --kernel $$k run -- $(VENV)/pytest -q -rs -p no:cacheprovider tests/lab || exit 1; \
	done

test-multivm: venv  ## Two lab VMs on a unix-socket link: soft-RoCE transfer, DSCP on the wire
	$(VENV)/pytest -q -rs -p no:cacheprovider tests/multivm

test-sanity: venv  ## ansible-test sanity on a copy of the collection
	tools/sanity

test-lint: venv  ## ansible-lint, production profile
	$(VENV)/ansible-lint

demo: venv  ## Stage and impair a demo fabric
	tools/demo

bench: venv  ## Benchmark netem accuracy
	tools/bench_netem

clean:  ## Remove test output and build artifacts
	rm -rf tests/output .pytest_cache build
