//go:build !(amd64 || arm64 || 386 || ppc64le || s390x)

package readindex

// wordLoads says whether the CPU loads 8 bytes from any address as fast as
// from an aligned one, which the hash and compare of short strings by words
// need (hashString, FindShortString, and the wide layout that keeps them).
const wordLoads = false
