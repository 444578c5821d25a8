package postgres

import (
	"hash/fnv"
	"strconv"

	"github.com/retortdb/retort/dialect"
)

// SessionLockSQL returns pg_advisory_lock / pg_advisory_unlock on a 64-bit key hashed
// (FNV-1a) from name: a session-level advisory lock, released by unlock or when the
// connection ends.
func (d *Dialect) SessionLockSQL(name string) (lock, unlock string) {
	h := fnv.New64a()
	h.Write([]byte(name))
	key := strconv.FormatInt(int64(h.Sum64()), 10)
	return "SELECT pg_advisory_lock(" + key + "), 1", "SELECT pg_advisory_unlock(" + key + ")"
}

var _ dialect.SessionLocker = (*Dialect)(nil)
