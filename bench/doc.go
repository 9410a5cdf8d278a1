// Package bench measures the primitives of readmostly side by side with the
// standard library and the peers a Go engineer would otherwise pick
// (github.com/puzpuzpuz/xsync/v4, github.com/orcaman/concurrent-map/v2). It
// lives in a nested module so that the main module never depends on them.
//
// The harness reproduces bcmills' BenchmarkRWMutex from golang/go#17973 (it
// is tests.RunGated, which drwmutex's and evolution's benchmarks also use): a
// number of goroutines wait together on a gate, one release lets them all go,
// and they split n operations between them. For a lock workload the gate is
// the lock under test itself, held for writing while the goroutines start,
// so the first RLock of every goroutine blocks and the Unlock releases them
// at once, as in the issue. Each goroutine keeps its state on its own cache
// lines, so the harness adds no false sharing of its own; b.RunParallel's
// per-goroutine counters can share a line, which makes its results bimodal
// on small virtual machines.
//
// Implementations and workloads are registries (Impls, Workloads) shared by
// the package's benchmarks (go test -bench .) and by cmd/contention, which
// sweeps them over GOMAXPROCS and goroutine counts and draws charts. Impls is
// the repository's only list of implementations: this module's primitives,
// the designs of package evolution and the peers, each named, described and
// adapted to the kit's interfaces (tests.Map, sync.Locker) here.
package bench
