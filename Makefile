# make demo   set up and start the demo hall (SQLite file + in-process channels; no servers needed)
# make test   set up and run the whole test suite (needs the local PostgreSQL and Redis)
# make perf   run the benchmarks under tests/perf and print their figures

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: the browser for page tests, a CJK font to render Chinese, espeak-ng for the voice,
# poppler-utils to read PDFs back, a TrueType CJK font (WenQuanYi Micro Hei) to embed in PDF tickets,
# libusb for pyusb (the USB printer driver's path to "no such printer").
DEBS   := chromium fonts-noto-cjk espeak-ng poppler-utils fonts-wqy-microhei libusb-1.0-0

.PHONY: demo test perf system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hall serve

system-deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile  # two workers, a test file to each at a time

perf: $(STAMP)
	$(BIN)/python -m tests.perf

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis test-artifacts
