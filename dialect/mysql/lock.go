package mysql

import "github.com/retortdb/retort/dialect"

// lockWait is how long GET_LOCK waits, in seconds (a year: in practice until the holder
// releases the lock or the caller's context ends, which closes the connection).
const lockWait = "31536000"

// SessionLockSQL returns GET_LOCK / RELEASE_LOCK on name: a named lock held by the
// connection, released by unlock or when the connection ends.
func (d *Dialect) SessionLockSQL(name string) (lock, unlock string) {
	lit := string(d.AppendStringLiteral(nil, name))
	return "SELECT GET_LOCK(" + lit + ", " + lockWait + ")", "SELECT RELEASE_LOCK(" + lit + ")"
}

var _ dialect.SessionLocker = (*Dialect)(nil)
