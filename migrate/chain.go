package migrate

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Migration is one revision: Go code compiled into the application, registered in a
// Chain. Up records the operations that move the database from its parents to this
// revision, Down those that move it back. Parents lists the revisions it follows: none
// for the first revision, one normally, two or more for a merge revision that joins
// branches.
//
// Destructive operations (dropping a table or a column, narrowing a column's type, making
// a column that holds NULLs NOT NULL) are refused unless Accept names them, as the
// operation's String gives it ("drop column users.age"), or the runner is told to
// allow them: autogenerate lists them in a comment for review.
//
// A Migration is a plain value built once (normally in an init function) and not modified
// afterwards: safe for concurrent use, it lives for the whole program.
type Migration struct {
	Revision string
	Parents  []string
	Message  string
	Up       func(op *Op)
	Down     func(op *Op)
	Accept   []string
}

// Chain is the set of migrations of an application, linked by their parents into a
// graph (normally a line; branches appear when two developers add a revision to the
// same parent, and a merge revision joins them). Add is meant for init functions; a
// Chain is safe for concurrent use and lives for the whole program.
type Chain struct {
	mu    sync.Mutex
	byRev map[string]*Migration
	order []*Migration
	errs  []error
}

// NewChain returns an empty Chain.
func NewChain() *Chain { return &Chain{byRev: map[string]*Migration{}} }

// Add registers m. Mistakes (no revision, a revision registered twice, no Up or Down)
// are kept and reported by Validate, which every runner call runs first.
func (c *Chain) Add(m *Migration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case m == nil:
		c.errs = append(c.errs, errors.New("migrate: Add(nil)"))
	case m.Revision == "" || strings.ContainsAny(m.Revision, " \t\n+-"):
		c.errs = append(c.errs, fmt.Errorf("migrate: revision %q (%s): a revision id must be non-empty, without spaces, + or -", m.Revision, m.Message))
	case c.byRev[m.Revision] != nil:
		c.errs = append(c.errs, fmt.Errorf("migrate: revision %s registered twice", m.Revision))
	case m.Up == nil || m.Down == nil:
		c.errs = append(c.errs, fmt.Errorf("migrate: revision %s (%s) needs both Up and Down", m.Revision, m.Message))
	default:
		c.byRev[m.Revision] = m
		c.order = append(c.order, m)
	}
}

// Validate reports registration mistakes, parents that are not registered and cycles.
func (c *Chain) Validate() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	errs := slices.Clone(c.errs)
	for _, m := range c.order {
		for _, p := range m.Parents {
			if c.byRev[p] == nil {
				errs = append(errs, fmt.Errorf("migrate: revision %s (%s) names parent %s, which is not registered", m.Revision, m.Message, p))
			}
		}
	}
	if len(errs) == 0 {
		if _, err := c.topoLocked(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Get returns the migration with the given revision id, or the only one whose id
// starts with it.
func (c *Chain) Get(rev string) (*Migration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.byRev[rev]; m != nil {
		return m, nil
	}
	var found []*Migration
	for _, m := range c.order {
		if rev != "" && strings.HasPrefix(m.Revision, rev) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("migrate: no revision %q", rev)
	}
	return nil, fmt.Errorf("migrate: revision prefix %q is ambiguous (%d revisions)", rev, len(found))
}

// Heads returns the revisions no other revision follows, sorted. More than one head
// means the chain has branches that a merge revision should join.
func (c *Chain) Heads() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.headsOf(nil)
}

// headsOf returns the heads of the sub-graph made of set (every revision when nil).
func (c *Chain) headsOf(set map[string]bool) []string {
	child := map[string]bool{}
	for _, m := range c.order {
		if set != nil && !set[m.Revision] {
			continue
		}
		for _, p := range m.Parents {
			child[p] = true
		}
	}
	var out []string
	for _, m := range c.order {
		if (set == nil || set[m.Revision]) && !child[m.Revision] {
			out = append(out, m.Revision)
		}
	}
	sort.Strings(out)
	return out
}

// History returns every migration, parents before children (in registration order
// where the graph leaves a choice).
func (c *Chain) History() ([]*Migration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.topoLocked()
}

func (c *Chain) topoLocked() ([]*Migration, error) {
	done := map[string]bool{}
	var out []*Migration
	for len(out) < len(c.order) {
		progress := false
		for _, m := range c.order {
			if done[m.Revision] {
				continue
			}
			ready := true
			for _, p := range m.Parents {
				if !done[p] && c.byRev[p] != nil {
					ready = false
				}
			}
			if ready {
				done[m.Revision] = true
				out = append(out, m)
				progress = true
			}
		}
		if !progress {
			var stuck []string
			for _, m := range c.order {
				if !done[m.Revision] {
					stuck = append(stuck, m.Revision)
				}
			}
			return nil, fmt.Errorf("migrate: revisions %s form a cycle", strings.Join(stuck, ", "))
		}
	}
	return out, nil
}

// ancestors returns rev and every revision it follows.
func (c *Chain) ancestors(rev string) map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]bool{}
	var walk func(r string)
	walk = func(r string) {
		if out[r] {
			return
		}
		out[r] = true
		if m := c.byRev[r]; m != nil {
			for _, p := range m.Parents {
				walk(p)
			}
		}
	}
	walk(rev)
	return out
}

// NewRevisionID returns a random 12-digit hexadecimal revision id.
func NewRevisionID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
