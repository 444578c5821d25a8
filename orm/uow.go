package orm

import (
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The unit of work is split in two, as SQLAlchemy splits it:
//
//   - planning (this file): a pure function from the rows to write (with the
//     dependencies between them) to an ordered list of batches. No I/O, no session state:
//     it is unit-tested on its own.
//   - emitting (flush.go): runs the batches through the engine, propagating newly
//     generated keys to the rows that reference them.
//
// Order: all saves (INSERT and UPDATE) first, in table dependency order (the rank of a
// mapper is its table's position in MetaData.SortedTables: parents before children), then
// all DELETEs in reverse table order (children before parents). Within that, a row waits
// for the rows it depends on (a child waits for the INSERT of its new parent; a deleted
// parent waits for the DELETE of its deleted children), which orders rows of
// self-referencing tables. Ties keep the order in which objects were added to the session.
//
// Batching: consecutive rows with the same operation, table and column set form one batch
// (one multi-row INSERT, one DELETE ... WHERE key IN (...)), except that a row never joins
// a batch holding a row it depends on (a self-referencing child needs its parent's key
// before its own INSERT is built).

// opKind is the kind of write of a plan item.
type opKind uint8

const (
	opInsert opKind = iota + 1
	opUpdate
	opDelete
	// Writes outside the plan, placed between its phases (flushExtra.insertBatches).
	opPostUpdate
	opAssocDelete
	opAssocInsert
	opNullBeforeDelete
)

func (k opKind) String() string {
	switch k {
	case opInsert:
		return "INSERT"
	case opUpdate:
		return "UPDATE"
	case opDelete:
		return "DELETE"
	case opPostUpdate:
		return "post-UPDATE"
	case opAssocDelete:
		return "association DELETE"
	case opAssocInsert:
		return "association INSERT"
	case opNullBeforeDelete:
		return "UPDATE to NULL before DELETE"
	}
	return "?"
}

// planItem is one row to write.
type planItem struct {
	kind opKind
	m    *mapper
	// colKey identifies the set of columns written (for INSERT: the columns given values;
	// for UPDATE: the changed columns). Items batch together only with equal keys.
	colKey string
	// deps are indexes (into the item list) of items that must be emitted before this one.
	// A dependency on an item of the other phase (a save depending on a delete or the
	// reverse) is ignored: saves always run before deletes.
	deps []int
	// st is the emitter's payload (the object's state); the planner does not look at it.
	st *state
}

// planBatch is a group of items emitted by one statement (or, for UPDATE, one statement
// shape run once per row).
type planBatch struct {
	kind  opKind
	m     *mapper
	items []int // indexes into the item list, in emit order
}

// ErrCycle is returned by a flush whose rows depend on each other in a cycle (two new rows
// that reference each other): no INSERT order can satisfy both foreign keys.
var ErrCycle = errors.New("orm: flush: rows depend on each other in a cycle")

// plan orders items into batches. rank gives each mapper's position in table dependency
// order (parents first).
func plan(items []planItem, rank func(*mapper) int) ([]planBatch, error) {
	var saves, deletes []int
	for i, it := range items {
		if it.kind == opDelete {
			deletes = append(deletes, i)
		} else {
			saves = append(saves, i)
		}
	}
	var out []planBatch
	order, err := sortPhase(items, saves, func(i int) int { return rank(items[i].m) })
	if err != nil {
		return nil, err
	}
	out = appendBatches(out, items, order)
	order, err = sortPhase(items, deletes, func(i int) int { return -rank(items[i].m) })
	if err != nil {
		return nil, err
	}
	return appendBatches(out, items, order), nil
}

// sortPhase orders the items idx topologically by their deps (restricted to idx),
// choosing among ready items the one with the lowest (prio, depth, kind, index).
func sortPhase(items []planItem, idx []int, prio func(int) int) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	prios := make([]int, len(items))
	hasDeps := false
	for _, i := range idx {
		prios[i] = prio(i)
		hasDeps = hasDeps || len(items[i].deps) > 0
	}
	if !hasDeps {
		// Every item is ready at once: the order is (prio, kind, index).
		out := slices.Clone(idx)
		slices.SortStableFunc(out, func(i, j int) int {
			if c := cmp.Compare(prios[i], prios[j]); c != 0 {
				return c
			}
			return cmp.Compare(items[i].kind, items[j].kind)
		})
		return out, nil
	}
	in := make([]bool, len(items))
	for _, i := range idx {
		in[i] = true
	}
	waiting := make([]int, len(items)) // item -> number of unmet deps
	users := make(map[int][]int)       // item -> items that depend on it
	for _, i := range idx {
		for k, d := range items[i].deps {
			if d == i || !in[d] || slices.Contains(items[i].deps[:k], d) {
				continue
			}
			waiting[i]++
			users[d] = append(users[d], i)
		}
	}
	depth := make([]int, len(items)) // 1 + the depth of the deepest dependency on the same table
	h := &readyHeap{items: items, prio: prios, depth: depth}
	for _, i := range idx {
		if waiting[i] == 0 {
			heap.Push(h, i)
		}
	}
	out := make([]int, 0, len(idx))
	for h.Len() > 0 {
		i := heap.Pop(h).(int)
		out = append(out, i)
		for _, u := range users[i] {
			if items[u].m == items[i].m {
				depth[u] = max(depth[u], depth[i]+1)
			}
			waiting[u]--
			if waiting[u] == 0 {
				heap.Push(h, u)
			}
		}
	}
	if len(out) < len(idx) {
		var names []string
		for _, i := range idx {
			if waiting[i] > 0 {
				names = append(names, items[i].kind.String()+" "+items[i].m.name)
				if len(names) == 6 {
					names = append(names, "...")
					break
				}
			}
		}
		return nil, fmt.Errorf("%w: %s (mark one of the relationships post_update to write its foreign key with a second UPDATE)", ErrCycle, strings.Join(names, ", "))
	}
	return out, nil
}

// readyHeap is a min-heap of item indexes by (prio, depth, kind, index): among rows of
// one table, a whole level of a self-referencing tree goes before the next, so that
// each level forms one batch.
type readyHeap struct {
	items []planItem
	prio  []int // by item
	depth []int // by item
	idx   []int
}

func (h *readyHeap) Len() int { return len(h.idx) }
func (h *readyHeap) Less(a, b int) bool {
	i, j := h.idx[a], h.idx[b]
	if pi, pj := h.prio[i], h.prio[j]; pi != pj {
		return pi < pj
	}
	if di, dj := h.depth[i], h.depth[j]; di != dj {
		return di < dj
	}
	if ki, kj := h.items[i].kind, h.items[j].kind; ki != kj {
		return ki < kj
	}
	return i < j
}
func (h *readyHeap) Swap(a, b int) { h.idx[a], h.idx[b] = h.idx[b], h.idx[a] }
func (h *readyHeap) Push(x any)    { h.idx = append(h.idx, x.(int)) }
func (h *readyHeap) Pop() any {
	n := len(h.idx) - 1
	x := h.idx[n]
	h.idx = h.idx[:n]
	return x
}

// appendBatches groups consecutive items of order into batches.
func appendBatches(out []planBatch, items []planItem, order []int) []planBatch {
	var cur *planBatch
	var member []int // by item: 1 + the index in out of its batch (when items have deps)
	for _, i := range order {
		if len(items[i].deps) > 0 {
			member = make([]int, len(items))
			break
		}
	}
	for _, i := range order {
		it := items[i]
		join := cur != nil && cur.kind == it.kind && cur.m == it.m && items[cur.items[0]].colKey == it.colKey
		if join {
			for _, d := range it.deps {
				if member[d] == len(out) {
					join = false
					break
				}
			}
		}
		if !join {
			out = append(out, planBatch{kind: it.kind, m: it.m})
			cur = &out[len(out)-1]
		}
		cur.items = append(cur.items, i)
		if member != nil {
			member[i] = len(out)
		}
	}
	return out
}
