package evolution

import (
	"hash/maphash"
	"iter"
	"sync"

	"github.com/readmostly/readmostly/asm"
)

// ShardedMap is the usual answer for workloads that write too often for
// sync.Map: github.com/orcaman/concurrent-map's idea of splitting one
// mutex-guarded map into shards, each a builtin map behind its own RWMutex,
// picked by a hash of the key (here hash/maphash, randomly seeded per map;
// before Go 1.24, which brought maphash.Comparable, only string and integer
// keys are spread, and keys of other types share one shard). Writers to
// different shards never meet, and a shard's mutex is held only for one map
// operation.
//
// Its flaw is the read side: every Load still writes its shard's RWMutex
// reader count, so readers of the same shard contend as on any RWMutex, and
// a hot key gains nothing from sharding. Unlike orcaman's, iteration here
// uses no goroutine or channel: Range and All copy one shard at a time under
// its read lock and call f outside it.
//
// The zero ShardedMap is empty and ready for use. It must not be copied after
// first use. It has sync.Map's methods and, as for sync.Map, a write
// operation synchronizes before any read operation that observes it.
type ShardedMap[K comparable, V any] struct {
	once   sync.Once
	seed   maphash.Seed
	shards []shard[K, V] // shardCount shards, allocated on first use
}

// shardCount is a power of two, as orcaman's default of 32 shards, large
// enough that a few dozen writing goroutines rarely meet.
const shardCount = 32

// A shard is a builtin map behind an RWMutex. ShardedMap's methods do on one
// shard what tests.MutexMap's do on a whole map, written again here because
// the package imports no test kit.
type shard[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V // nil until the shard's first store; requires mu
	_  asm.CacheLinePad
}

func (m *ShardedMap[K, V]) shardFor(key K) *shard[K, V] {
	m.once.Do(m.init)
	return &m.shards[shardHash(m.seed, key)&(shardCount-1)]
}

func (m *ShardedMap[K, V]) init() {
	m.seed = maphash.MakeSeed()
	m.shards = make([]shard[K, V], shardCount)
}

// storeLocked sets key to value; the caller holds s.mu for writing.
func (s *shard[K, V]) storeLocked(key K, value V) {
	if s.m == nil {
		s.m = make(map[K]V)
	}
	s.m[key] = value
}

// Load returns the value stored for key, and whether there is one.
func (m *ShardedMap[K, V]) Load(key K) (value V, ok bool) {
	s := m.shardFor(key)
	s.mu.RLock()
	value, ok = s.m[key]
	s.mu.RUnlock()
	return value, ok
}

// Store sets the value for key.
func (m *ShardedMap[K, V]) Store(key K, value V) {
	s := m.shardFor(key)
	s.mu.Lock()
	s.storeLocked(key, value)
	s.mu.Unlock()
}

// LoadOrStore returns the existing value for key if present. Otherwise, it
// stores and returns value. The loaded result is true if the value was
// loaded, false if stored.
func (m *ShardedMap[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	s := m.shardFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if actual, loaded = s.m[key]; loaded {
		return actual, true
	}
	s.storeLocked(key, value)
	return value, false
}

// LoadAndDelete deletes the value for key, returning the previous value if
// any. The loaded result reports whether the key was present.
func (m *ShardedMap[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	s := m.shardFor(key)
	s.mu.Lock()
	value, loaded = s.m[key]
	delete(s.m, key)
	s.mu.Unlock()
	return value, loaded
}

// Delete deletes the value for key.
func (m *ShardedMap[K, V]) Delete(key K) { m.LoadAndDelete(key) }

// Swap stores value for key and returns the previous value if any. The
// loaded result reports whether the key was present.
func (m *ShardedMap[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	s := m.shardFor(key)
	s.mu.Lock()
	previous, loaded = s.m[key]
	s.storeLocked(key, value)
	s.mu.Unlock()
	return previous, loaded
}

// CompareAndSwap swaps the old and new values for key if the value stored
// in the map is equal to old. It panics if V values are not comparable.
func (m *ShardedMap[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	s := m.shardFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.m[key]; !ok || !equal("CompareAndSwap", cur, old) {
		return false
	}
	s.m[key] = new
	return true
}

// CompareAndDelete deletes the entry for key if its value is equal to old. It
// panics if V values are not comparable.
func (m *ShardedMap[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	s := m.shardFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.m[key]; !ok || !equal("CompareAndDelete", cur, old) {
		return false
	}
	delete(s.m, key)
	return true
}

// All returns an iterator over the entries, one shard at a time: each shard
// is copied under its read lock, so the loop body may call any method of the
// map, and sees each shard as it was at some moment, not the whole map at
// one moment.
func (m *ShardedMap[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		m.once.Do(m.init)
		var batch []struct {
			k K
			v V
		}
		for i := range m.shards {
			s := &m.shards[i]
			batch = batch[:0]
			s.mu.RLock()
			for k, v := range s.m {
				batch = append(batch, struct {
					k K
					v V
				}{k, v})
			}
			s.mu.RUnlock()
			for _, kv := range batch {
				if !yield(kv.k, kv.v) {
					return
				}
			}
		}
	}
}

// Range calls f for each key and value present, stopping if f returns false,
// as All does.
func (m *ShardedMap[K, V]) Range(f func(key K, value V) bool) {
	for k, v := range m.All() {
		if !f(k, v) {
			return
		}
	}
}

// Clear deletes all the entries, one shard at a time.
func (m *ShardedMap[K, V]) Clear() {
	m.once.Do(m.init)
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}
