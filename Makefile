# listd: build, test, benchmark and demo. cgo is needed for SQLite; the sqlite_fts5
# tag turns on SQLite's full-text search.
GO      ?= go
TAGS    := sqlite_fts5
export CGO_ENABLED := 1

.PHONY: build test vet check cover fuzz bench demo clean

build:
	$(GO) build -tags $(TAGS) -o listd ./cmd/listd

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet -tags $(TAGS) ./...
	@for d in cmd/* internal/*; do grep -q "^| \`$$d\` |" ARCHITECTURE.md || { echo "ARCHITECTURE.md's package map does not name $$d"; exit 1; }; done

# Static analysis: staticcheck at a pinned version, run through the module proxy so
# nothing needs installing first.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
check:
	$(GO) run $(STATICCHECK) -tags $(TAGS) ./...

# Coverage of the unit tests and of the end-to-end tests together: the e2e tests
# drive a listd built with -cover, which writes its counters to GOCOVERDIR when it
# exits. Prints the total; coverage/cover.out has the detail
# (go tool cover -html=coverage/cover.out).
COVERDIR := $(CURDIR)/coverage
COVERPKG := ./cmd/...,./internal/...
# The unit-test packages and extra flags for the e2e run (e.g. E2EFLAGS='-run TestCLI').
COVERUNIT ?= ./cmd/... ./internal/...
E2EFLAGS ?=
cover:
	rm -rf $(COVERDIR) && mkdir -p $(COVERDIR)/unit $(COVERDIR)/e2e
	$(GO) test -tags $(TAGS) -count=1 -cover -coverpkg=$(COVERPKG) $(COVERUNIT) -args -test.gocoverdir=$(COVERDIR)/unit
	$(GO) build -tags $(TAGS) -cover -coverpkg=$(COVERPKG) -o $(COVERDIR)/listd ./cmd/listd
	GOCOVERDIR=$(COVERDIR)/e2e LISTD_BIN=$(COVERDIR)/listd $(GO) test -tags $(TAGS) -count=1 $(E2EFLAGS) ./e2e || echo "some e2e tests failed: the figures count what ran"
	$(GO) tool covdata textfmt -i=$(COVERDIR)/unit -o $(COVERDIR)/unit.out
	$(GO) tool covdata textfmt -i=$(COVERDIR)/unit,$(COVERDIR)/e2e -o $(COVERDIR)/cover.out
	@printf 'total, unit tests:         '; $(GO) tool cover -func=$(COVERDIR)/unit.out | tail -1 | awk '{print $$NF}'
	@printf 'total, unit and e2e tests: '; $(GO) tool cover -func=$(COVERDIR)/cover.out | tail -1 | awk '{print $$NF}'

# All tests: gofmt, vet and staticcheck, then unit tests with the race detector and the
# end-to-end tests that drive the built binary over real sockets (they build their own
# copy).
test: vet check
	$(GO) test -tags $(TAGS) -race -shuffle=on -count=1 ./...

# A short run of every fuzz target (the corpus lives in each package's testdata/).
FUZZTIME ?= 20s
fuzz:
	@for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' internal | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$spec/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$spec $$f"; $(GO) test -tags $(TAGS) -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./$$spec || exit 1; \
	  done; \
	done

# Flags for the benchmark driver, e.g. BENCHFLAGS='-only archive -posts 1000000'.
BENCHFLAGS ?=
bench: build
	$(GO) run -tags $(TAGS) ./bench -listd ./listd $(BENCHFLAGS)

# Starts listd on its built-in defaults with a fresh data dir and example lists.
demo: build
	./scripts/demo.sh

clean:
	rm -rf listd demo-data coverage
