//go:build !go1.24

package evolution

import (
	"hash/maphash"
	"math/bits"
)

// shardHash picks a ShardedMap's shard for key. Go 1.23 has no hash for an
// arbitrary comparable type, so only strings and integers are spread; every
// other key goes to shard 0, which is correct but not sharded.
func shardHash[K comparable](seed maphash.Seed, key K) uint64 {
	var w uint64
	switch k := any(key).(type) {
	case string:
		return maphash.String(seed, k)
	case int:
		w = uint64(k)
	case int64:
		w = uint64(k)
	case int32:
		w = uint64(k)
	case uint:
		w = uint64(k)
	case uint64:
		w = k
	case uint32:
		w = uint64(k)
	default:
		return 0
	}
	hi, lo := bits.Mul64(w^uint64(maphash.String(seed, "")), 0x9e3779b97f4a7c15)
	return hi ^ lo
}
