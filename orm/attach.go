package orm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"
)

// Which session holds an object, process-wide.
//
// SQLAlchemy keeps the owning session and the identity key on each object's instance
// state; a Go struct has no room for them, so the package keeps a registry from an
// object's address to the session's record of it (its *state). The registry serves two
// rules: Add of an object that another open session tracks is an error, and Add of a
// detached object (expunged, or from a closed session) re-attaches it as persistent, with
// the snapshot it had when it was detached, so that its changes become an UPDATE.
//
// While a session tracks an object, the record holds the object (the session does too).
// When the object is detached the record lets go of it and keeps only its address and a
// weak pointer to the allocation holding it (one per hydrated result, whose objects share
// one allocation, or one per object the application allocated): a record whose allocation
// was collected is stale (the address may belong to another object now) and is dropped.
// A session that is garbage collected without Close has its objects detached by a
// cleanup, so that nothing it held stays reachable through the registry.

// sessionRef is the registry's view of one session: its number (for error messages), and
// the objects it tracks (for the cleanup of a session dropped without Close).
type sessionRef struct {
	id     uint64
	states map[unsafe.Pointer]*state
}

var sessionIDs atomic.Uint64

// lifetime tells whether the allocation that holds an object still exists: a weak
// pointer to a hydration slab of objects, or to one object, made when the first object
// of the allocation is detached (until then the session holds its objects anyway).
type lifetime struct {
	once sync.Once
	p    unsafe.Pointer // the allocation, until the weak pointer is made
	wp   weak.Pointer[byte]
}

// weaken makes the weak pointer and lets go of the allocation.
func (l *lifetime) weaken() {
	l.once.Do(func() {
		l.wp = weak.Make((*byte)(l.p))
		l.p = nil
	})
}

// alive reports whether the allocation still exists. It is called only after weaken.
func (l *lifetime) alive() bool { return l != nil && l.wp.Value() != nil }

const regShards = 64

type regShard struct {
	mu    sync.Mutex
	m     map[uintptr]*state
	adds  int // insertions since the last sweep
	limit int // sweep when adds reaches it
}

var registry [regShards]regShard

func shardOf(addr uintptr) *regShard {
	return &registry[(addr>>4^addr>>12)%regShards]
}

// register records that the session of ref tracks st.
func register(ref *sessionRef, st *state) {
	addr := uintptr(st.base)
	sh := shardOf(addr)
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[uintptr]*state{}
		sh.limit = 1024
	}
	st.owner = ref
	sh.m[addr] = st
	sh.adds++
	if sh.adds >= sh.limit {
		sh.sweep()
	}
	sh.mu.Unlock()
}

// sweep drops the records of detached objects whose allocation was collected. The caller
// holds sh.mu.
func (sh *regShard) sweep() {
	for addr, st := range sh.m {
		if st.owner == nil && !st.life.alive() {
			delete(sh.m, addr)
		}
	}
	sh.adds = 0
	sh.limit = max(1024, 2*len(sh.m))
}

// unregister removes st's record (an object that became transient again).
func unregister(st *state) {
	addr := uintptr(st.base)
	sh := shardOf(addr)
	sh.mu.Lock()
	if sh.m[addr] == st {
		delete(sh.m, addr)
	}
	st.owner = nil
	sh.mu.Unlock()
}

// detach turns st's record into a detached object's: the session lets go of it, and the
// record keeps the identity and snapshot without holding the object. deleted marks an
// object whose deletion was committed (it cannot be re-attached).
func detach(st *state, deleted bool) {
	if st.base == nil {
		return
	}
	addr := uintptr(st.base)
	if st.life == nil {
		st.life = &lifetime{p: st.base}
	}
	st.life.weaken()
	sh := shardOf(addr)
	sh.mu.Lock()
	if sh.m[addr] == st && st.owner != nil {
		st.owner = nil
		st.detachedDeleted = deleted
		st.obj, st.base, st.addr = nil, nil, addr
	}
	sh.mu.Unlock()
}

// forgetDetached drops the record of a detached object that is new again (its INSERT was
// rolled back).
func forgetDetached(st *state) {
	sh := shardOf(st.addr)
	sh.mu.Lock()
	if sh.m[st.addr] == st {
		delete(sh.m, st.addr)
	}
	sh.mu.Unlock()
}

// lookupAttachment returns the record of the object at base: the state of the session that
// tracks it (owner set), or the record of a detached object (owner nil), or nil.
func lookupAttachment(base unsafe.Pointer) (st *state, owner *sessionRef) {
	addr := uintptr(base)
	sh := shardOf(addr)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st = sh.m[addr]
	if st == nil {
		return nil, nil
	}
	if st.owner != nil {
		return st, st.owner
	}
	if !st.life.alive() {
		delete(sh.m, addr) // the address belongs to another allocation now
		return nil, nil
	}
	return st, nil
}

// ErrAttached is wrapped by the error of Add for an object that another open session
// tracks (SQLAlchemy's "already attached to session"): expunge it there, or close that
// session, or use Merge.
var ErrAttached = fmt.Errorf("orm: object is already attached to another session")

// ErrDeletedObject is returned by Add for a detached object whose deletion was committed:
// its row is gone, so it cannot be re-attached as persistent.
var ErrDeletedObject = fmt.Errorf("orm: object was deleted (its deletion was committed); it cannot be added again as persistent")

// attachedError is the error of Add for an object that the session other tracks.
func (s *Session) attachedError(m *mapper, base unsafe.Pointer, other *sessionRef) error {
	return fmt.Errorf("%w: the %s at %p is attached to session %d (this is session %d)", ErrAttached, m.name, base, other.id, s.ref().id)
}

// sessionCleanup detaches the objects of a session that was garbage collected without
// Close.
func sessionCleanup(ref *sessionRef) {
	for _, st := range ref.states {
		detach(st, false)
	}
}

// newSessionRef returns the registry's record of s, with a cleanup for the case where s is
// dropped without Close.
func newSessionRef(s *Session) *sessionRef {
	ref := &sessionRef{id: sessionIDs.Add(1), states: s.states}
	runtime.AddCleanup(s, sessionCleanup, ref)
	return ref
}
