package drwmutex

// What rlockOwned and runlockOwned, the membarrier fence's biased read
// paths in assembly where there is any (owned_amd64.s), report.
const (
	ownedDone = iota // the read lock is taken, or released
	ownedMore        // RLock: it found a writer, or the mutex unbiased, and took itself out again; RUnlock: a writer sleeps
	ownedNot         // nothing done: the P's index is beyond the slots, or there is no assembly
)
