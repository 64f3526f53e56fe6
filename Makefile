# Two commands a newcomer needs: `make demo` (set up, run the main job) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup setup-ray browser demo test bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,export,tensorboard,parity]'
	touch $(STAMP)

# Ray (large: most of a full .venv) is optional: `--executor ray` for sweeps and claims, and its two tests,
# which skip without it. CI installs it (.ci/run).
setup-ray: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[ray]'

demo: setup
	$(BIN)/neuralab demo

test: setup browser
	$(BIN)/python -m pytest -q

# The report's browser test drives Debian's headless Chromium. Install it when we can (as root or
# with passwordless sudo); otherwise, or if the install fails, that one test skips and says why.
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then SUDO=none; \
	elif [ "$$(id -u)" -eq 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else SUDO=none; fi; \
	if [ "$$SUDO" = none ]; then \
	  echo "make: not installing $(BROWSER_PACKAGES) (needs apt-get as root or passwordless sudo);" \
	       "the browser test will skip"; exit 0; fi; \
	echo "make: installing $(BROWSER_PACKAGES) for the report's browser test"; \
	{ $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	  $$SUDO apt-get install -y -q $(BROWSER_PACKAGES); } >/dev/null \
	  || echo "make: installing $(BROWSER_PACKAGES) failed; the browser test will skip"

bench: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python bench/population.py

clean:
	rm -rf $(VENV) neuralab-runs report
