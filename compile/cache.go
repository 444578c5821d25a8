package compile

import (
	"encoding/binary"
	"sync"
)

// The statement cache maps (dialect, statement shape) to a compiled entry: the SQL text,
// argument types, result columns and the position of each argument among the statement's
// bound values. A hit costs one walk of the statement (to compute the shape and collect
// the values) and no rendering. The cache is a bounded LRU shared by all goroutines.

// DefaultCacheSize is the number of compiled statements the cache keeps by default.
const DefaultCacheSize = 2048

var stmtCache = newLRU(DefaultCacheSize)

// SetCacheSize sets how many compiled statements the cache keeps (0 disables caching)
// and empties it. It is safe to call at any time.
func SetCacheSize(n int) {
	stmtCache.mu.Lock()
	defer stmtCache.mu.Unlock()
	stmtCache.cap = max(n, 0)
	stmtCache.m = make(map[string]*lruNode)
	stmtCache.head.next, stmtCache.head.prev = &stmtCache.head, &stmtCache.head
}

// CacheStats returns the cache's hit and miss counts and its current size.
func CacheStats() (hits, misses uint64, size int) {
	stmtCache.mu.Lock()
	defer stmtCache.mu.Unlock()
	return stmtCache.hits, stmtCache.misses, len(stmtCache.m)
}

type lruNode struct {
	key        string
	e          *entry
	prev, next *lruNode
}

type lru struct {
	mu           sync.Mutex
	cap          int
	m            map[string]*lruNode
	head         lruNode // sentinel: head.next is the most recently used
	hits, misses uint64
}

func newLRU(n int) *lru {
	l := &lru{cap: n, m: make(map[string]*lruNode)}
	l.head.next, l.head.prev = &l.head, &l.head
	return l
}

func (l *lru) get(key []byte) *entry {
	l.mu.Lock()
	n, ok := l.m[string(key)]
	if !ok {
		l.misses++
		l.mu.Unlock()
		return nil
	}
	l.hits++
	if l.head.next != n {
		n.prev.next, n.next.prev = n.next, n.prev
		n.next, n.prev = l.head.next, &l.head
		l.head.next.prev = n
		l.head.next = n
	}
	e := n.e
	l.mu.Unlock()
	return e
}

func (l *lru) put(key string, e *entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cap == 0 {
		return
	}
	if n, ok := l.m[key]; ok {
		n.e = e
		return
	}
	for len(l.m) >= l.cap {
		old := l.head.prev
		old.prev.next, l.head.prev = &l.head, old.prev
		delete(l.m, old.key)
	}
	n := &lruNode{key: key, e: e, next: l.head.next, prev: &l.head}
	l.head.next.prev = n
	l.head.next = n
	l.m[key] = n
}

// Each dialect value gets a small number that prefixes its cache keys: dialects of the
// same name can differ (MySQL 5.7 and 8.0), so the dialect value itself is the identity.
var (
	dialectIDs sync.Map // Dialect -> uint64
	idMu       sync.Mutex
	nextID     uint64
)

func appendDialectID(b []byte, d Dialect) []byte {
	id, ok := dialectIDs.Load(d)
	if !ok {
		idMu.Lock()
		if id, ok = dialectIDs.Load(d); !ok {
			nextID++
			id = nextID
			dialectIDs.Store(d, id)
		}
		idMu.Unlock()
	}
	return binary.AppendUvarint(b, id.(uint64))
}
