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

# The API docs' renderer, served by our own server (halls run on closed networks, no CDN):
# Swagger UI from the npm registry, pinned by version and by the package's sha512.
SWAGGER_UI     := 5.36.0
SWAGGER_SHA512 := Lt6/Kb0gXmLdiabLhvso4VdJP9V7qJWB0zh0gzeXUV3+CMOTzMmvpJRSXN7EAjfwixwmoi9ezDbLHiexC7lA9A==
VENDOR         := config/static/vendor/swagger-ui
VENDORED       := $(VENDOR)/.swagger-ui-$(SWAGGER_UI)

.PHONY: demo test perf system-deps vendor clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

vendor: $(VENDORED)

$(VENDORED):
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cd $(VENDOR) && npm pack --silent --pack-destination . swagger-ui-dist@$(SWAGGER_UI) >/dev/null
	$(PYTHON) -c "import base64, hashlib, sys; got = base64.b64encode(hashlib.sha512(open(sys.argv[1], 'rb').read()).digest()).decode(); sys.exit(0 if got == sys.argv[2] else 'swagger-ui-dist: checksum mismatch')" \
	  $(VENDOR)/swagger-ui-dist-$(SWAGGER_UI).tgz $(SWAGGER_SHA512)
	tar -xzf $(VENDOR)/swagger-ui-dist-$(SWAGGER_UI).tgz -C $(VENDOR) --strip-components=1 \
	  package/swagger-ui-bundle.js package/swagger-ui.css package/swagger-ui-standalone-preset.js package/LICENSE package/NOTICE
	rm $(VENDOR)/swagger-ui-dist-$(SWAGGER_UI).tgz
	touch $@

demo: $(STAMP) $(VENDORED)
	$(BIN)/hall serve

system-deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: $(STAMP) $(VENDORED) system-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile  # two workers, a test file to each at a time

perf: $(STAMP)
	$(BIN)/python -m tests.perf

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis test-artifacts $(VENDOR)
