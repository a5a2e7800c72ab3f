# listd: build, test, benchmark and demo. cgo is needed for SQLite; the sqlite_fts5
# tag turns on SQLite's full-text search.
GO      ?= go
TAGS    := sqlite_fts5
export CGO_ENABLED := 1

.PHONY: build test vet fuzz bench demo clean

build:
	$(GO) build -tags $(TAGS) -o listd ./cmd/listd

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }
	$(GO) vet -tags $(TAGS) ./...

# All tests: unit tests with the race detector, then the end-to-end tests that drive
# the built binary over real sockets (they build their own copy).
test: vet
	$(GO) test -tags $(TAGS) -race -shuffle=on -count=1 ./...

# A short run of every fuzz target (the corpus lives in each package's testdata/).
FUZZTIME ?= 20s
fuzz:
	@for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' internal | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$spec/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "== $$spec $$f"; $(GO) test -tags $(TAGS) -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./$$spec || exit 1; \
	  done; \
	done

bench: build
	$(GO) run -tags $(TAGS) ./bench -listd ./listd

# Starts listd on its built-in defaults with a fresh data dir and example lists.
demo: build
	./scripts/demo.sh

clean:
	rm -rf listd demo-data
