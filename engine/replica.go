package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
)

// Read replicas. A ReplicaSet is a primary engine and engines for its read replicas
// (PostgreSQL hot standbys, MySQL or MariaDB replicas). ConnectRead hands out a
// connection for reads: on a replica chosen by the set's policy (round-robin unless
// ReadPolicy says otherwise), or on the primary when the context asks for it (UsePrimary),
// when there is no replica, or when no replica answers within FallbackWait. A replica that
// fails (its connection cannot be opened, or a plain read on it loses its connection) is
// logged as a warning through the primary's Logger and left out for ReplicaCooldown;
// reads meanwhile go to the other replicas, or to the primary.
//
// Writes are the application's to route: a write on a replica connection fails with the
// server's read-only error (ErrReadOnly). The ORM routes for the application: a session
// reads from a replica until it writes, then uses the primary for the rest of the
// transaction (see package orm).
//
// A replica lags behind its primary: a read on a replica right after a commit on the
// primary may not see it. Read your own writes through the primary (UsePrimary), or
// commit with synchronous replication that waits for the replica to apply the
// transaction (PostgreSQL's synchronous_commit = remote_apply).

// ErrReadOnly is matched (errors.Is) by the error of a write that the server refused
// because it accepts only reads: a write sent to a read replica (a PostgreSQL hot standby
// reports SQLSTATE 25006), or inside a READ ONLY transaction. See ReadOnlyError.
var ErrReadOnly = dialect.ErrReadOnly

// ReadOnlyError is the cause of a statement error that the server refused as a write on
// a read-only server or transaction; it matches ErrReadOnly.
type ReadOnlyError = dialect.ReadOnlyError

// ReplicaPolicy chooses the replica for a read among candidates, the replicas of the set
// not left out after a failure (never empty). It returns one of candidates, or nil to read
// from the primary. A policy is called from many goroutines at once and must be safe for
// concurrent use.
type ReplicaPolicy func(candidates []*Engine) *Engine

// RoundRobin returns a policy that takes the candidates in turn (the default).
func RoundRobin() ReplicaPolicy {
	var n atomic.Uint64
	return func(c []*Engine) *Engine { return c[(n.Add(1)-1)%uint64(len(c))] }
}

// ReplicaOption configures a ReplicaSet.
type ReplicaOption func(*replicaOptions)

type replicaOptions struct {
	policy   ReplicaPolicy
	wait     time.Duration
	cooldown time.Duration
}

// ReadPolicy sets the policy that chooses a replica for each read connection (default
// RoundRobin).
func ReadPolicy(p ReplicaPolicy) ReplicaOption { return func(o *replicaOptions) { o.policy = p } }

// FallbackWait bounds how long ConnectRead waits for a replica's connection before it
// leaves the replica out and reads from another one or from the primary (default 2s).
func FallbackWait(d time.Duration) ReplicaOption { return func(o *replicaOptions) { o.wait = d } }

// ReplicaCooldown sets how long a replica that failed is left out before reads try it
// again (default 10s).
func ReplicaCooldown(d time.Duration) ReplicaOption {
	return func(o *replicaOptions) { o.cooldown = d }
}

// ReplicaSet is a primary engine with read replicas: see ConnectRead. It is safe for
// concurrent use and lives as long as its engines; it holds no connection of its own. A
// set made by Create's Replicas option belongs to the primary engine, whose Close closes
// the replicas too; one made by NewReplicaSet leaves the engines to the caller.
type ReplicaSet struct {
	primary  *Engine
	replicas []*Engine
	opts     replicaOptions
	downTill []atomic.Int64 // per replica: unix nanoseconds until which it is left out
	owned    bool
}

// NewReplicaSet returns a set reading from replicas on behalf of primary. An empty list
// of replicas is allowed: every read then goes to the primary.
func NewReplicaSet(primary *Engine, replicas []*Engine, opts ...ReplicaOption) (*ReplicaSet, error) {
	if primary == nil {
		return nil, errors.New("engine: NewReplicaSet: the primary engine is nil")
	}
	for i, r := range replicas {
		if r == nil {
			return nil, fmt.Errorf("engine: NewReplicaSet: replica %d is nil", i)
		}
		if r == primary {
			return nil, fmt.Errorf("engine: NewReplicaSet: replica %d is the primary engine itself", i)
		}
	}
	o := replicaOptions{wait: 2 * time.Second, cooldown: 10 * time.Second}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.policy == nil {
		o.policy = RoundRobin()
	}
	if o.wait <= 0 {
		return nil, fmt.Errorf("engine: NewReplicaSet: FallbackWait must be positive, got %v", o.wait)
	}
	return &ReplicaSet{
		primary:  primary,
		replicas: slices.Clone(replicas),
		opts:     o,
		downTill: make([]atomic.Int64, len(replicas)),
	}, nil
}

// Primary returns the set's primary engine.
func (rs *ReplicaSet) Primary() *Engine { return rs.primary }

// Replicas returns the set's replica engines, in the order given. The slice is a copy.
func (rs *ReplicaSet) Replicas() []*Engine { return slices.Clone(rs.replicas) }

type usePrimaryKey struct{}

// UsePrimary returns a context that makes reads run on the primary instead of a replica:
// ConnectRead connects to the primary, and an ORM session reads from the primary for the
// calls given this context. Use it to read your own writes, which a lagging replica may
// not show yet.
func UsePrimary(ctx context.Context) context.Context {
	return context.WithValue(ctx, usePrimaryKey{}, true)
}

// PrimaryRequested reports whether ctx comes from UsePrimary.
func PrimaryRequested(ctx context.Context) bool {
	v, _ := ctx.Value(usePrimaryKey{}).(bool)
	return v
}

// ConnectRead returns a connection for reads: on a replica chosen by the policy among
// those not left out; on the primary when ctx comes from UsePrimary, when the set has no
// replica available, or when the policy returns nil. A replica whose connection does not
// open within FallbackWait is logged as a warning (through the primary's Logger), left out
// for ReplicaCooldown, and the next one is tried, then the primary.
//
// The Conn also falls back by itself: a plain SELECT (no locking clause) outside a
// transaction that loses its replica connection (the replica stopped) is run again on the
// primary, with the same warning; Conn.Engine then reports the primary. Other statements
// are not retried: a write sent to a replica fails with ErrReadOnly.
func (rs *ReplicaSet) ConnectRead(ctx context.Context) (*Conn, error) {
	if PrimaryRequested(ctx) {
		return rs.primary.Connect(ctx)
	}
	tried := make([]bool, len(rs.replicas))
	for {
		r, i := rs.choose(tried)
		if r == nil {
			return rs.primary.Connect(ctx)
		}
		tried[i] = true
		cctx, cancel := context.WithTimeout(ctx, rs.opts.wait)
		c, err := r.Connect(cctx)
		cancel()
		if err == nil {
			c.reads = rs
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		rs.leaveOut(ctx, i, err)
	}
}

// choose asks the policy for a replica among those neither left out nor tried; nil when
// there is none or the policy chose the primary.
func (rs *ReplicaSet) choose(tried []bool) (*Engine, int) {
	now := time.Now().UnixNano()
	var cands []*Engine
	for i, r := range rs.replicas {
		if !tried[i] && rs.downTill[i].Load() <= now && !r.closed.Load() {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		return nil, -1
	}
	r := rs.opts.policy(cands)
	if r == nil {
		return nil, -1
	}
	i := slices.Index(rs.replicas, r)
	if i < 0 || !slices.Contains(cands, r) {
		return nil, -1 // not a candidate: the primary
	}
	return r, i
}

// leaveOut marks replica i failed for the cooldown and logs the warning.
func (rs *ReplicaSet) leaveOut(ctx context.Context, i int, err error) {
	rs.downTill[i].Store(time.Now().Add(rs.opts.cooldown).UnixNano())
	rs.primary.Logger().LogAttrs(ctx, slog.LevelWarn, "retort: read replica unavailable; reading from another replica or the primary",
		slog.String("replica", rs.replicas[i].url.String()),
		slog.Duration("left_out_for", rs.opts.cooldown),
		slog.String("error", err.Error()))
}

// failover moves a replica Conn whose plain read failed with a lost connection to the
// primary, reporting whether stmt should run again there.
func (c *Conn) failover(ctx context.Context, stmt expr.Statement, err error) bool {
	rs := c.reads
	if rs == nil || c.eng == rs.primary || len(c.txs) > 0 || c.txLost || ctx.Err() != nil ||
		!errors.Is(err, ErrConnectionLost) || !plainSelect(stmt) {
		return false
	}
	if i := slices.Index(rs.replicas, c.eng); i >= 0 {
		rs.leaveOut(ctx, i, err)
	}
	c.release()
	c.eng = rs.primary
	c.reads = nil
	return true
}

// plainSelect reports whether stmt is a SELECT without a locking clause, which may run
// again elsewhere without effect.
func plainSelect(stmt expr.Statement) bool {
	s, ok := stmt.(*expr.SelectStmt)
	return ok && s.Lock == nil
}

// Replicas makes Create open one engine per replica URL, with the primary's options, and
// attach them as the primary's ReplicaSet (see Engine.Replicas and Engine.ConnectRead).
// The primary's Close closes them. Create fails when a replica cannot be opened, as it
// does for the primary.
func Replicas(urls []string, opts ...ReplicaOption) Option {
	return func(o *options) {
		o.replicaURLs = slices.Clone(urls)
		o.replicaOpts = append(o.replicaOpts, opts...)
	}
}

// openReplicas opens the replicas of Replicas for the primary e.
func (e *Engine) openReplicas(ctx context.Context, o options) error {
	if o.replicaURLs == nil {
		return nil
	}
	ro := o
	ro.replicaURLs, ro.replicaOpts = nil, nil
	engs := make([]*Engine, 0, len(o.replicaURLs))
	closeAll := func() {
		for _, r := range engs {
			_ = r.Close()
		}
	}
	for i, u := range o.replicaURLs {
		r, err := create(ctx, u, ro)
		if err != nil {
			closeAll()
			return fmt.Errorf("engine: replica %d: %w", i, err)
		}
		engs = append(engs, r)
	}
	rs, err := NewReplicaSet(e, engs, o.replicaOpts...)
	if err != nil {
		closeAll()
		return err
	}
	rs.owned = true
	e.replicas = rs
	return nil
}

// Replicas returns the engine's ReplicaSet (from Create's Replicas option), or nil.
func (e *Engine) Replicas() *ReplicaSet { return e.replicas }

// ConnectRead returns a connection for reads: from the engine's ReplicaSet when it has
// one (see ReplicaSet.ConnectRead), else Connect's.
func (e *Engine) ConnectRead(ctx context.Context) (*Conn, error) {
	if e.replicas != nil {
		return e.replicas.ConnectRead(ctx)
	}
	return e.Connect(ctx)
}

// closeReplicas closes the replicas the engine owns; the first error is returned.
func (e *Engine) closeReplicas() error {
	if e.replicas == nil || !e.replicas.owned {
		return nil
	}
	var first error
	for _, r := range e.replicas.replicas {
		if err := r.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
