# veil — build, test, benchmark and fuzz targets. `make help` lists them.
GO      ?= go
PKGS    := ./...
# Packages that run goroutines of their own; `make test` runs them under -race.
RACE_PKGS := ./groupsig/... ./storage/... ./chain/... ./consensus/... ./p2p/... ./api/... ./node/... ./console/... ./bft/...
FUZZTIME ?= 60s
# The release version `veil version` prints; the commit comes from the go
# command's own VCS stamp (-buildvcs, package version).
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X github.com/veilchain/veil/version.Version=$(VERSION)

.PHONY: help build test bench fuzz lint

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: ## build the veil binary into bin/
	$(GO) build -buildvcs=auto -ldflags "$(LDFLAGS)" -o bin/veil ./cmd/veil

test: ## run all tests, then the concurrent packages under the race detector
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 -race $(RACE_PKGS)

# The network phases' seconds (saturation; half saturation runs 2/3 of it)
# and leader kills per engine.
BENCH_SECS ?= 60
BENCH_REPS ?= 3
bench: build ## micro-benchmarks, 4-validator networks raft then bft (saturation, latency, failover); writes BENCHMARKS.md
	scripts/bench.sh bin/veil $(BENCH_SECS) $(BENCH_REPS)

fuzz: ## run every fuzz target for FUZZTIME each (default 60s)
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; \
	  done; \
	done

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

.PHONY: demo demo-bft
demo: build ## run the demo: a 4-node network, joins, votes, revocation, audit, threshold opening (KEEP=1: stay up)
	scripts/demo.sh bin/veil $(if $(KEEP),--keep)

demo-bft: build ## the same demo on a BFT chain (SmartBFT): 4 validators (f=1) + 1 observer; failover by view change (KEEP=1)
	scripts/demo.sh bin/veil --consensus bft $(if $(KEEP),--keep)

.PHONY: faults
faults: ## fault tests, long form, 3 rounds: kill -9, SIGSTOP, bad clients, network partitions, disk full, whole-network crash; BFT: crashes, more than f down, Byzantine validators, validator changes
	$(GO) test -count=1 -v -timeout 30m ./faults/ -args -rounds 3
