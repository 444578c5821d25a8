package orm

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
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
// The registry records allocations, not objects: a block is the memory of the objects of
// one hydrated result (allocated together as a []T), or of one object the application
// allocated, with one record slot per object. Blocks are found by the memory pages they
// cover, so registering the hundred objects of a result costs a few map insertions, not
// a hundred. While a session tracks an object, the slot holds the session's state (which
// holds the object). When the object is detached, its state lets go of it and keeps only
// the identity and snapshot, and the block keeps a weak pointer to its memory instead of a
// pointer: once the memory is collected the block is stale (the addresses may belong to
// other objects now) and a sweep drops it. A session garbage collected without Close has
// its objects detached by a cleanup, so that nothing it held stays reachable through the
// registry.

// sessionRef is the registry's view of one session: its number (for error messages), and
// the objects it tracks (for the cleanup of a session dropped without Close).
type sessionRef struct {
	id     uint64
	states map[unsafe.Pointer]*state
}

var sessionIDs atomic.Uint64

// block is the registry's record of one allocation of objects.
type block struct {
	start, size uintptr // the first object's address, and the size of one

	mu  sync.Mutex
	sts []*state  // one slot per object (nil: not tracked)
	one [1]*state // sts's array for a block of one object

	// published: the block is in the registry (insertBlock). Until then only the session
	// filling it sees it, and fills its slots without the lock.
	published bool

	once   sync.Once
	p      unsafe.Pointer // the allocation, until weaken
	wp     weak.Pointer[byte]
	weakOK atomic.Bool // weaken has run
}

// end returns the address past the block's last object.
func (b *block) end() uintptr { return b.start + uintptr(len(b.sts))*b.size }

// weaken replaces the block's pointer to its allocation by a weak one: called when one of
// its objects is detached (until then the session holds them anyway).
func (b *block) weaken() {
	b.once.Do(func() {
		b.wp = weak.Make((*byte)(b.p))
		b.p = nil
		b.weakOK.Store(true)
	})
}

// dead reports whether the allocation is gone (the block is stale).
func (b *block) dead() bool { return b.weakOK.Load() && b.wp.Value() == nil }

const (
	regShards = 64
	pageShift = 12
)

type regShard struct {
	mu    sync.Mutex
	pages map[uintptr][]*block
	adds  int // insertions since the last sweep
	limit int // sweep when adds reaches it (besides the sweep after each collection)
}

var registry [regShards]regShard

func shardOfPage(page uintptr) *regShard { return &registry[page%regShards] }

// gcTick is allocated to be collected: its cleanup runs once after each garbage
// collection, sweeps the registry (whose stale blocks are those of allocations that
// collection freed) and arms the next.
type gcTick struct{ _ *byte }

var sweeperOnce sync.Once

func armSweeper() {
	runtime.AddCleanup(new(gcTick), func(struct{}) {
		for i := range registry {
			sh := &registry[i]
			sh.mu.Lock()
			if len(sh.pages) > 0 {
				sh.sweep()
			}
			sh.mu.Unlock()
		}
		armSweeper()
	}, struct{}{})
}

// insertBlock makes b findable by the addresses it covers.
func insertBlock(b *block) {
	sweeperOnce.Do(armSweeper)
	b.published = true
	for page := b.start >> pageShift; page <= (b.end()-1)>>pageShift; page++ {
		sh := shardOfPage(page)
		sh.mu.Lock()
		if sh.pages == nil {
			sh.pages = map[uintptr][]*block{}
			sh.limit = 1024
		}
		sh.pages[page] = append(sh.pages[page], b)
		sh.adds++
		if sh.adds >= sh.limit {
			sh.sweep()
		}
		sh.mu.Unlock()
	}
}

// removeBlock drops b from the registry.
func removeBlock(b *block) {
	for page := b.start >> pageShift; page <= (b.end()-1)>>pageShift; page++ {
		sh := shardOfPage(page)
		sh.mu.Lock()
		if l := sh.pages[page]; len(l) > 0 {
			for i, x := range l {
				if x == b {
					l[i] = l[len(l)-1]
					l[len(l)-1] = nil
					l = l[:len(l)-1]
					break
				}
			}
			if len(l) == 0 {
				delete(sh.pages, page)
			} else {
				sh.pages[page] = l
			}
		}
		sh.mu.Unlock()
	}
}

// sweep drops the stale blocks of the shard. The caller holds sh.mu.
func (sh *regShard) sweep() {
	n := 0
	for page, l := range sh.pages {
		kept := l[:0]
		for _, b := range l {
			if !b.dead() {
				kept = append(kept, b)
			}
		}
		clear(l[len(kept):])
		if len(kept) == 0 {
			delete(sh.pages, page)
		} else {
			sh.pages[page] = kept
		}
		n += len(kept)
	}
	sh.adds = 0
	sh.limit = max(4096, 2*n)
}

// newBlock returns a block for n objects of the given size at start, holding the
// allocation until weakened, not yet in the registry (insertBlock publishes it).
func newBlock(start unsafe.Pointer, size uintptr, n int) *block {
	b := &block{}
	b.init(start, size, n)
	return b
}

// init sets up b, a zero block.
func (b *block) init(start unsafe.Pointer, size uintptr, n int) {
	b.start, b.size, b.p = uintptr(start), max(size, 1), start
	if n == 1 {
		b.sts = b.one[:]
	} else {
		b.sts = make([]*state, n)
	}
}

// register records that the session of ref tracks st, an object allocated by the
// application, in b, a zero block of its own.
func register(ref *sessionRef, st *state, b *block) {
	b.init(st.base, st.m.typ.Size(), 1)
	insertBlock(b)
	b.mu.Lock()
	st.blk, st.idx, st.owner = b, 0, ref
	b.sts[0] = st
	b.mu.Unlock()
}

// registerAt records that the session of ref tracks st, object idx of block b: under the
// block's lock once it is published, directly while only the session sees it (the rows of
// a result, published together at the end).
func registerAt(ref *sessionRef, st *state, b *block, idx int) {
	if !b.published {
		st.blk, st.idx, st.owner = b, int32(idx), ref
		b.sts[idx] = st
		return
	}
	b.mu.Lock()
	st.blk, st.idx, st.owner = b, int32(idx), ref
	b.sts[idx] = st
	b.mu.Unlock()
}

// unregister removes st's record: the object is new again (transient).
func unregister(st *state) {
	b := st.blk
	if b == nil {
		return
	}
	b.mu.Lock()
	mine := b.sts[st.idx] == st
	if mine {
		b.sts[st.idx] = nil
	}
	st.owner = nil
	b.mu.Unlock()
	st.blk = nil
	if !mine {
		return
	}
	if len(b.sts) == 1 {
		removeBlock(b)
	} else {
		b.weaken() // the block must not keep the allocation alive for the others
	}
}

// detach turns st's record into a detached object's: the session lets go of it, and the
// record keeps the identity and snapshot without holding the object. deleted marks an
// object whose deletion was committed (it cannot be re-attached).
func detach(st *state, deleted bool) {
	b := st.blk
	if b == nil || st.base == nil {
		return
	}
	b.weaken()
	b.mu.Lock()
	if b.sts[st.idx] == st && st.owner != nil {
		st.owner = nil
		st.detachedDeleted = deleted
		st.base = nil
	}
	b.mu.Unlock()
}

// lookupAttachment returns the record of the object at base: the state of the session that
// tracks it (owner set), or the record of a detached object (owner nil), or nil.
func lookupAttachment(base unsafe.Pointer) (st *state, owner *sessionRef) {
	addr := uintptr(base)
	page := addr >> pageShift
	sh := shardOfPage(page)
	var b *block
	sh.mu.Lock()
	for _, x := range sh.pages[page] {
		if addr >= x.start && addr < x.end() && (addr-x.start)%x.size == 0 && !x.dead() {
			b = x
			break
		}
	}
	sh.mu.Unlock()
	if b == nil {
		return nil, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st = b.sts[(addr-b.start)/b.size]
	if st == nil {
		return nil, nil
	}
	return st, st.owner
}

// reattach makes st, a new state of a session, the record of the detached object rec.
func reattach(ref *sessionRef, rec, st *state) {
	b := rec.blk
	b.mu.Lock()
	if b.sts[rec.idx] == rec {
		b.sts[rec.idx] = st
	}
	st.blk, st.idx, st.owner = b, rec.idx, ref
	b.mu.Unlock()
}

// ErrAttached is wrapped by the error of Add for an object that another open session
// tracks (SQLAlchemy's "already attached to session"): expunge it there, or close that
// session, or use Merge.
var ErrAttached = errors.New("orm: object is already attached to another session")

// ErrDeletedObject is returned by Add for a detached object whose deletion was committed:
// its row is gone, so it cannot be re-attached as persistent.
var ErrDeletedObject = errors.New("orm: object was deleted (its deletion was committed); it cannot be added again as persistent")

// attachedError is the error of Add for an object that the session other tracks.
func (s *Session) attachedError(m *mapper, base unsafe.Pointer, other *sessionRef) error {
	return fmt.Errorf("%w: the %s at %p is attached to session %d (this is session %d)", ErrAttached, m.name, base, other.id, s.ref().id)
}

// sessionCleanup detaches the objects of a session that was garbage collected without
// Close.
func sessionCleanup(ref *sessionRef) {
	sts := make([]*state, 0, len(ref.states))
	for _, st := range ref.states {
		sts = append(sts, st)
	}
	detachAll(sts)
}

// detachAll detaches sts (not as deleted), in descending order of address: the runtime
// keeps the weak pointers of one span of memory in a list ordered by address, where a
// new lowest address is inserted at the head, so that weakening many objects allocated
// one after another costs linear time, not quadratic.
func detachAll(sts []*state) {
	type addrState struct {
		addr uintptr
		st   *state
	}
	byAddr := make([]addrState, len(sts))
	for i, st := range sts {
		byAddr[i] = addrState{uintptr(st.base), st}
	}
	slices.SortFunc(byAddr, func(a, b addrState) int { return cmp.Compare(b.addr, a.addr) })
	for _, a := range byAddr {
		detach(a.st, false)
	}
}

// newSessionRef returns the registry's record of s, with a cleanup for the case where s is
// dropped without Close.
func newSessionRef(s *Session) *sessionRef {
	ref := &sessionRef{id: sessionIDs.Add(1), states: s.states}
	runtime.AddCleanup(s, sessionCleanup, ref)
	return ref
}
