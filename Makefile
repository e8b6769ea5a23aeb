# causalrec: `make book` (main job) and `make test` set up .venv themselves.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Real datasets: $CAUSALREC_DATA if set, else ../shared/data when it exists.
SHARED_DATA := $(wildcard ../shared/data)
ifeq ($(origin CAUSALREC_DATA), undefined)
ifneq ($(SHARED_DATA),)
export CAUSALREC_DATA := $(abspath $(SHARED_DATA))
endif
endif
BENCH_DATASET ?= $(if $(wildcard $(CAUSALREC_DATA)/hetrec2011-lastfm-2k/user_artists.dat),lastfm,synthetic)
PYTEST_WORKERS ?= 2

.PHONY: help install book demo test lint unit bench clean

help:
	@echo "make book   set up .venv and run the main job (see README)"
	@echo "make test   set up .venv, run ruff and the test suite"
	@echo "make bench  SASRec vs CausalRec seconds per epoch at the paper's shapes"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Main job. Until the book chapters land it trains SASRec and CausalRec on the
# synthetic dataset (known causal graph) and prints their test metrics.
book: demo

demo: $(STAMP)
	$(VENV)/bin/causalrec train --dataset synthetic --model sasrec --preset quick --out runs/demo/sasrec --no-progress
	$(VENV)/bin/causalrec train --dataset synthetic --model causalrec --preset quick --out runs/demo/causalrec --no-progress

lint: $(STAMP)
	$(VENV)/bin/ruff check causalrec tests

unit: $(STAMP)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests

test: lint unit

bench: $(STAMP)
	$(VENV)/bin/causalrec bench --dataset $(BENCH_DATASET) --preset paper --epochs 3 --no-progress \
		--out results/bench/$(BENCH_DATASET)-cpu.json
	@if [ -f "$(CAUSALREC_DATA)/ml-1m-seq/ml-1m.txt" ] || [ -f "$(CAUSALREC_DATA)/ml-1m/ratings.dat" ]; then \
	  $(VENV)/bin/causalrec bench --dataset ml-1m --preset paper --epochs 2 --max-steps 8 --no-progress \
	    --out results/bench/ml-1m-cpu-8steps.json; fi

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
