package evolution

import (
	"cmp"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
)

// DMap is ianlancetaylor's distributed map from golang/go#17973: an
// insert-only binary search tree whose nodes are published with atomic
// pointers, plus a map of the keys looked up often, cached in an atomic
// pointer so that a hit costs one map lookup and no write to shared memory.
//
// A lookup that misses the cached map walks the tree and counts, in the
// node, that it had to. Once a node's count exceeds the cached map's length,
// the lookup publishes a copy of the map with that key added: the copies that
// caching costs are paid for by the walks it saves.
//
// Its flaws: keys can only be added (no delete, no overwrite; inserting a
// key again with another value panics); the tree is not balanced, so keys
// inserted in order make it a list; and two lookups that republish the map at
// once may each drop the other's key from it, which costs only a later copy,
// since every key stays in the tree.
//
// The zero DMap is empty and ready for use. A DMap must not be copied after
// first use. An Insert of a key synchronizes before every Lookup that finds
// it.
type DMap[K cmp.Ordered, V comparable] struct {
	// root is the tree's first node; nil while the map is empty.
	root atomic.Pointer[dmapNode[K, V]]
	// rootMu serializes the publication of root.
	rootMu sync.Mutex
	// cache maps the keys looked up often to their values; it is replaced,
	// never modified, and every key in it is also in the tree.
	cache atomic.Pointer[map[K]V]
}

type dmapNode[K cmp.Ordered, V comparable] struct {
	key K
	val V
	// left holds keys less than key, right greater; each is set once.
	left, right atomic.Pointer[dmapNode[K, V]]
	// mu serializes the publication of left and right.
	mu sync.Mutex
	// misses counts the lookups that found the node in the tree, not in
	// the cache.
	misses atomic.Uint32
}

// Insert adds key with value val. Inserting a key that is present again with
// an equal value does nothing; with a different value it panics, since the
// map is insert-only.
func (d *DMap[K, V]) Insert(key K, val V) {
	if actual, inserted := d.insert(key, val); !inserted && actual != val {
		panic(fmt.Sprintf("evolution: DMap.Insert of key %v with value %v, already inserted with value %v", key, val, actual))
	}
}

// insert adds key with value val unless it is present, and returns the value
// the map holds for key.
func (d *DMap[K, V]) insert(key K, val V) (actual V, inserted bool) {
	n := d.root.Load()
	if n == nil {
		if n = d.insertRoot(key, val); n == nil {
			return val, true
		}
	}
	for {
		c := cmp.Compare(key, n.key)
		if c == 0 {
			return n.val, false
		}
		child := &n.left
		if c > 0 {
			child = &n.right
		}
		if next := child.Load(); next != nil {
			n = next
			continue
		}
		if n.publish(child, key, val) {
			return val, true
		}
		// Another insert published this child first: descend into it.
	}
}

// insertRoot publishes a root node for key unless another insert did first,
// and returns the root that won, or nil if it was ours.
func (d *DMap[K, V]) insertRoot(key K, val V) *dmapNode[K, V] {
	d.rootMu.Lock()
	defer d.rootMu.Unlock()
	if r := d.root.Load(); r != nil {
		return r
	}
	d.root.Store(&dmapNode[K, V]{key: key, val: val})
	return nil
}

// publish sets n's child to a new node unless it is set already.
func (n *dmapNode[K, V]) publish(child *atomic.Pointer[dmapNode[K, V]], key K, val V) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if child.Load() != nil {
		return false
	}
	child.Store(&dmapNode[K, V]{key: key, val: val})
	return true
}

// Lookup returns the value inserted for key, and whether there is one.
func (d *DMap[K, V]) Lookup(key K) (val V, ok bool) {
	cache := d.cacheMap()
	if val, ok = cache[key]; ok {
		return val, true
	}
	return d.lookupSlow(cache, key)
}

func (d *DMap[K, V]) cacheMap() map[K]V {
	if p := d.cache.Load(); p != nil {
		return *p
	}
	return nil
}

// lookupSlow walks the tree, and caches the key once it has missed the cache
// more often than the cache has keys.
func (d *DMap[K, V]) lookupSlow(cache map[K]V, key K) (val V, ok bool) {
	for n := d.root.Load(); n != nil; {
		c := cmp.Compare(key, n.key)
		if c == 0 {
			if misses := n.misses.Add(1); misses > 1 && int64(misses) > int64(len(cache)) {
				d.cacheKey(cache, n)
			}
			return n.val, true
		}
		if c < 0 {
			n = n.left.Load()
		} else {
			n = n.right.Load()
		}
	}
	return val, false
}

// cacheKey publishes a copy of cache with n's key added. Another lookup may
// have published a newer map since cache was loaded; overwriting it loses
// its key from the cache, not from the map.
func (d *DMap[K, V]) cacheKey(cache map[K]V, n *dmapNode[K, V]) {
	next := make(map[K]V, len(cache)+1)
	maps.Copy(next, cache)
	next[n.key] = n.val
	d.cache.Store(&next)
}
