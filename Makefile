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

.PHONY: help install book vendor demo test lint unit nbval browser bench clean compare lab

help:
	@echo "make book   set up .venv and run the main job (see README)"
	@echo "make test   set up .venv, run ruff and the test suite"
	@echo "make bench  SASRec vs CausalRec seconds per epoch at the paper's shapes"
	@echo "make compare  every model of Table 2 on one dataset, one seed -> results/DATASET/compare.md"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Main job: the HTML book, built offline and strictly (any warning or failing cell fails).
# QUICK builds go to their own folder so their outputs never stand in for the full book.
BOOK_ARGS := $(if $(filter 1,$(CAUSALREC_QUICK)),--path-output _build/quick,)
BOOK_HTML := $(if $(filter 1,$(CAUSALREC_QUICK)),_build/quick/_build/html,_build/html)

book: $(STAMP) vendor
	$(ONE_THREAD) $(VENV)/bin/jupyter-book build . -W -n --keep-going $(BOOK_ARGS)
	@echo "The book: $(BOOK_HTML)/index.html"

vendor:
	bash scripts/vendor_js.sh

demo: $(STAMP)
	$(VENV)/bin/causalrec train --dataset synthetic --model sasrec --preset quick --out runs/demo/sasrec --no-progress
	$(VENV)/bin/causalrec train --dataset synthetic --model causalrec --preset quick --out runs/demo/causalrec --no-progress

lint: $(STAMP)
	$(VENV)/bin/ruff check causalrec tests

# One BLAS/OpenMP thread per process: two pytest workers share two cores, and the chapters'
# small models gain little from a second thread but lose minutes when another job holds a core.
ONE_THREAD := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

unit: $(STAMP)
	$(ONE_THREAD) $(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile tests --ignore=tests/browser

nbval: $(STAMP)
	CAUSALREC_QUICK=1 $(ONE_THREAD) $(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile --nbval-lax \
		--nbval-cell-timeout=600 --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider notebooks

browser: $(STAMP)
	CAUSALREC_BROWSER=1 CAUSALREC_BOOK_HTML=$(BOOK_HTML) $(PY) -m pytest -q tests/browser

test: lint unit nbval
	CAUSALREC_QUICK=1 $(MAKE) book
	CAUSALREC_QUICK=1 $(MAKE) browser

bench: $(STAMP)
	$(VENV)/bin/causalrec bench --dataset $(BENCH_DATASET) --preset paper --epochs 3 --no-progress \
		--out results/bench/$(BENCH_DATASET)-cpu.json
	@if [ -f "$(CAUSALREC_DATA)/ml-1m-seq/ml-1m.txt" ] || [ -f "$(CAUSALREC_DATA)/ml-1m/ratings.dat" ]; then \
	  $(VENV)/bin/causalrec bench --dataset ml-1m --preset paper --epochs 2 --max-steps 8 --no-progress \
	    --out results/bench/ml-1m-cpu-8steps.json; fi

clean:
	rm -rf $(VENV) runs _build .pytest_cache .ruff_cache

# Every model of the paper's Table 2 we rerun, one seed, one table (hours on a CPU for LastFM).
# Every model trains to early stopping: the paper's cap of 200 epochs is raised to 2000
# (on LastFM, GRU4Rec and SASRec still improve at epoch 200). One thread per process.
# Interrupted? Run it again with COMPARE_ARGS="--reuse --resume".
COMPARE_DATASET ?= $(BENCH_DATASET)
COMPARE_EPOCHS ?= 2000
COMPARE_ARGS ?=
compare: $(STAMP)
	$(ONE_THREAD) $(VENV)/bin/causalrec compare --dataset $(COMPARE_DATASET) --preset paper --seed 42 \
		--epochs $(COMPARE_EPOCHS) --out results/$(COMPARE_DATASET) $(COMPARE_ARGS)

# Causal-discovery lab (book chapters 2-3), single-threaded; writes results/lab/*.json.
LAB := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(VENV)/bin/causalrec lab
lab: $(STAMP)
	$(LAB) notears-bench --out results/lab/notears_bench.json
	$(LAB) notears-sweep --seeds 1 2 3 --seeds-large 1 2 --out results/lab/notears_sweep.json
	$(LAB) notears-sweep --ds 10 --graphs ER --conditions equal --seeds 1 2 3 \
		--acyclicity expm poly logdet spectral --out results/lab/notears_acyclicity.json
	$(LAB) identifiability --out results/lab/identifiability.json
	$(LAB) varsortability --out results/lab/varsortability.json
	$(LAB) acyclicity-cost --out results/lab/acyclicity_cost.json
	$(LAB) dag-targets --out results/lab/dag_targets.json
