//go:build go1.24

package evolution

import "hash/maphash"

// shardHash picks a ShardedMap's shard for key.
func shardHash[K comparable](seed maphash.Seed, key K) uint64 {
	return maphash.Comparable(seed, key)
}
