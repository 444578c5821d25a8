package orm

import (
	"fmt"
	"strconv"
	"unsafe"

	"github.com/retortdb/retort/types"
)

// Status is the state of an object with respect to a session, as in SQLAlchemy.
type Status uint8

// The object states.
const (
	// Transient: not in any session and not in the database (a new struct).
	Transient Status = iota
	// Pending: added to a session, to be INSERTed at the next flush.
	Pending
	// Persistent: in the session's identity map, with a row in the database.
	Persistent
	// Deleted: persistent, marked for DELETE at the next flush (or deleted by a flush
	// whose transaction has not committed yet).
	Deleted
	// Detached: has (or had) a row in the database but belongs to no session (after
	// Expunge, Close, or the commit of its deletion).
	Detached
)

var statusNames = [...]string{"transient", "pending", "persistent", "deleted", "detached"}

// String returns the lower-case name of the state.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// state is what a session knows about one object.
type state struct {
	m    *mapper
	base unsafe.Pointer // the object (see object); nil once detached
	key  identityKey    // valid once the row exists (persistent, deleted)
	// snap holds the canonical value of each field (m.fields order) as last loaded from or
	// written to the database; nil while pending. Changed columns are found by comparing
	// the fields with it.
	snap []any
	// rx holds what only objects with loaded relationships need (see relExtra); nil
	// until then.
	rx  *relExtra
	seq uint64 // order of addition to the session
	// loaded has bit i set when relationship m.rels[i] was loaded (or assigned on a new
	// object): reading a relationship that was never loaded is an error, not an empty list.
	loaded relBits
	// grp is the result the object last came from (see Load's batching).
	grp *loadGroup

	// The process-wide registry of attachments (attach.go): the session tracking the
	// object (nil once detached; base is then cleared, so that the record does not keep
	// the object alive), the block of memory holding it and its slot there.
	owner *sessionRef
	blk   *block
	idx   int32

	// The small fields together (one word).
	// status is Pending, Persistent or Deleted while the session tracks the object.
	status Status
	// expired: the next query returning this row overwrites the fields (Refresh does at
	// once). Set for every object by Commit when expire_on_commit is on.
	expired bool
	// flushedDelete: the DELETE ran in the current transaction (the object becomes
	// detached at commit, returns to persistent at rollback).
	flushedDelete bool
	// detachedDeleted: the object's committed deletion made it detached.
	detachedDeleted bool
}

// object returns the *Model pointer of st's object as the application holds it (nil
// once detached).
func (st *state) object() any {
	if st.base == nil {
		return nil
	}
	return st.m.objectAt(st.base)
}

// relExtra is the part of a state that only objects with relationships use.
type relExtra struct {
	// rsnap[i] is what relationship m.rels[i] held when it was loaded or last flushed (a
	// copy of the collection, or the one related object), for IsModified and Dirty; nil
	// until a relationship is loaded.
	rsnap []relSnap
	// raise has bit i set when relationship m.rels[i] was marked raise by the query the
	// object last came from (see Raise).
	raise relBits
}

// relSnaps returns st's relationship snapshots (rsnap), nil until one is taken.
func (st *state) relSnaps() []relSnap {
	if st.rx == nil {
		return nil
	}
	return st.rx.rsnap
}

// setRelSnaps replaces st's relationship snapshots.
func (st *state) setRelSnaps(rs []relSnap) {
	if st.rx == nil {
		if rs == nil {
			return
		}
		st.rx = &relExtra{}
	}
	st.rx.rsnap = rs
}

// raised reports whether relationship i was marked raise by the object's last query.
func (st *state) raised(i int) bool { return st.rx != nil && st.rx.raise.has(i) }

// markRaise marks relationship i raise for the object (see Raise).
func (st *state) markRaise(i int) {
	if st.rx == nil {
		st.rx = &relExtra{}
	}
	st.rx.raise.set(i)
}

// relBits is a set of relationships of a model, by position (a model has at most
// maxRelationships).
type relBits uint64

// maxRelationships is the most relationships one model may declare.
const maxRelationships = 64

func (b relBits) has(i int) bool { return i < maxRelationships && b&(1<<i) != 0 }
func (b *relBits) set(i int)     { *b |= 1 << i }
func (b *relBits) clear(i int)   { *b &^= 1 << i }

// relSnap is the loaded content of one relationship: the collection of a one-to-many, the
// object of a many-to-one.
type relSnap struct {
	list []unsafe.Pointer
	one  unsafe.Pointer
}

// identityKey identifies a row: the mapper and its primary key. A single-column key is
// its canonical value ([]byte keys as strings, so that the key is comparable); a
// composite key is the concatenation of its encoded values.
type identityKey struct {
	m *mapper
	k any
}

// keyOf returns the identity key of the row whose field values are vals (in m.fields
// order, starting at off), and whether the key is complete (no NULL part).
func (m *mapper) keyOf(vals []any, off int) (identityKey, bool) {
	if len(m.pk) == 1 {
		v := vals[off+m.pk[0].pos]
		if v == nil {
			return identityKey{}, false
		}
		return identityKey{m: m, k: comparableKey(v)}, true
	}
	b := make([]byte, 0, 32)
	for _, f := range m.pk {
		v := vals[off+f.pos]
		if v == nil {
			return identityKey{}, false
		}
		b = appendKeyPart(b, v)
	}
	return identityKey{m: m, k: string(b)}, true
}

// keyOfObject returns the identity key of the object at base from its current fields.
func (m *mapper) keyOfObject(base unsafe.Pointer) (identityKey, bool, error) {
	if len(m.pk) == 1 {
		v, err := m.pk[0].get(base)
		if err != nil || v == nil {
			return identityKey{}, false, err
		}
		return identityKey{m: m, k: comparableKey(v)}, true, nil
	}
	b := make([]byte, 0, 32)
	for _, f := range m.pk {
		v, err := f.get(base)
		if err != nil || v == nil {
			return identityKey{}, false, err
		}
		b = appendKeyPart(b, v)
	}
	return identityKey{m: m, k: string(b)}, true, nil
}

// keyOfValues returns the identity key for primary key values given in key order
// (canonical values).
func (m *mapper) keyOfValues(pk []any) identityKey {
	if len(pk) == 1 {
		return identityKey{m: m, k: comparableKey(pk[0])}
	}
	b := make([]byte, 0, 32)
	for _, v := range pk {
		b = appendKeyPart(b, v)
	}
	return identityKey{m: m, k: string(b)}
}

func comparableKey(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case types.RawJSON:
		return string(x)
	}
	return v
}

// appendKeyPart appends an unambiguous encoding of one key value: a type letter, the
// length and the text.
func appendKeyPart(b []byte, v any) []byte {
	var s string
	var t byte
	switch x := v.(type) {
	case int64:
		t, s = 'i', strconv.FormatInt(x, 10)
	case string:
		t, s = 's', x
	case []byte:
		t, s = 'b', string(x)
	case types.UUID:
		t, s = 'u', x.String()
	case bool:
		t, s = 't', strconv.FormatBool(x)
	default:
		t, s = 'x', fmt.Sprint(v)
	}
	b = append(b, t)
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}
