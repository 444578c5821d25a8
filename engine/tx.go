package engine

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
)

// TxOption configures one transaction.
type TxOption func(*dialect.TxOptions)

// Isolation sets the isolation level of the transaction ("SERIALIZABLE", "REPEATABLE READ",
// "READ COMMITTED", "READ UNCOMMITTED"), overriding the engine's IsolationLevel.
func Isolation(level string) TxOption {
	return func(o *dialect.TxOptions) { o.IsolationLevel = strings.ToUpper(strings.TrimSpace(level)) }
}

// ReadOnly makes the transaction read-only where the dialect supports it.
func ReadOnly() TxOption { return func(o *dialect.TxOptions) { o.ReadOnly = true } }

// Tx is a transaction or, when made by BeginNested, a savepoint inside one. Statements are
// run through its Conn; the Tx only ends the unit of work with Commit or Rollback. A Tx
// belongs to its Conn's goroutine and lives until Commit or Rollback (or the Conn's
// Close, which rolls back). Ending a Tx ends the savepoints nested in it too.
type Tx struct {
	c         *Conn
	savepoint string // "" for the outermost transaction
	done      bool
	// commitFailed: Commit failed (the transaction ended without committing): the next
	// Rollback succeeds instead of reporting ErrClosed.
	commitFailed bool
}

// Conn returns the connection the transaction runs on.
func (t *Tx) Conn() *Conn { return t.c }

// IsActive reports whether the transaction has not been committed or rolled back.
func (t *Tx) IsActive() bool { return !t.done }

// IsNested reports whether t is a savepoint.
func (t *Tx) IsNested() bool { return t.savepoint != "" }

// Begin starts a transaction on the Conn. Only one transaction may be active on a Conn
// (ErrTxActive otherwise); use Tx.BeginNested for savepoints inside it.
func (c *Conn) Begin(ctx context.Context, opts ...TxOption) (*Tx, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	return c.begin(ctx, opts)
}

func (c *Conn) begin(ctx context.Context, opts []TxOption) (*Tx, error) {
	if len(c.txs) > 0 || c.txLost {
		return nil, ErrTxActive
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var o dialect.TxOptions
	for _, opt := range opts {
		opt(&o)
	}
	dc, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	c.eng.logTx(ctx, "BEGIN")
	if err := dc.Begin(ctx, o); err != nil {
		return nil, c.statementError(ctx, "BEGIN", err)
	}
	tx := &Tx{c: c}
	c.txs = append(c.txs, tx)
	c.spSeq = 0
	return tx, nil
}

// BeginNested starts a savepoint inside t (SAVEPOINT sp_N). Committing it releases the
// savepoint; rolling it back undoes only what ran since it began. Savepoints nest to any
// depth. t must be the innermost active transaction of its Conn.
func (t *Tx) BeginNested(ctx context.Context) (*Tx, error) {
	c := t.c
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	if t.done {
		return nil, ErrClosed
	}
	return c.beginNested(ctx, t)
}

func (c *Conn) beginNested(ctx context.Context, parent *Tx) (*Tx, error) {
	if c.txLost {
		return nil, ErrTxInvalid
	}
	if len(c.txs) == 0 || c.txs[len(c.txs)-1] != parent {
		return nil, errors.New("engine: BeginNested must be called on the innermost active transaction")
	}
	if !c.eng.dialect.Features().Has(compile.Savepoints) {
		return nil, ErrUnsupported
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.spSeq++
	name := "sp_" + strconv.Itoa(c.spSeq)
	if err := c.txExec(ctx, "SAVEPOINT "+name); err != nil {
		c.spSeq--
		return nil, err
	}
	tx := &Tx{c: c, savepoint: name}
	c.txs = append(c.txs, tx)
	return tx, nil
}

// txExec runs a transaction-control statement on the current connection.
func (c *Conn) txExec(ctx context.Context, sql string) error {
	if c.dc == nil {
		return ErrTxInvalid
	}
	c.eng.logTx(ctx, sql)
	if _, err := c.dc.Exec(ctx, sql, nil); err != nil {
		return c.statementError(ctx, sql, err)
	}
	return nil
}

// position returns t's index in the Conn's stack of active transactions, or -1.
func (c *Conn) position(t *Tx) int {
	for i, x := range c.txs {
		if x == t {
			return i
		}
	}
	return -1
}

// end marks t and the savepoints inside it as done and pops them off the stack.
func (c *Conn) end(i int) {
	for _, x := range c.txs[i:] {
		x.done = true
	}
	clear(c.txs[i:])
	c.txs = c.txs[:i]
}

// Commit commits the transaction, or releases the savepoint (RELEASE SAVEPOINT). It fails
// with ErrClosed when t already ended, and with ErrTxInvalid when the connection was lost
// (roll back instead). A failed COMMIT ends the transaction all the same (the server
// rolled it back, or the connection was lost and the server rolls it back); the
// Rollback that follows it succeeds.
func (t *Tx) Commit(ctx context.Context) error {
	c := t.c
	if err := c.enter(); err != nil {
		return err
	}
	defer c.leave()
	return c.commit(ctx, t)
}

func (c *Conn) commit(ctx context.Context, t *Tx) error {
	if t.done {
		return ErrClosed
	}
	i := c.position(t)
	if i < 0 {
		t.done = true
		return ErrClosed
	}
	if c.txLost {
		return ErrTxInvalid
	}
	if t.savepoint != "" {
		if err := c.txExec(ctx, "RELEASE SAVEPOINT "+t.savepoint); err != nil {
			return err
		}
		c.end(i)
		return nil
	}
	c.end(0)
	c.eng.logTx(ctx, "COMMIT")
	if err := c.dc.Commit(ctx); err != nil {
		t.commitFailed = true
		return c.statementError(ctx, "COMMIT", err)
	}
	return nil
}

// Rollback rolls the transaction back, or rolls back to the savepoint (ROLLBACK TO
// SAVEPOINT), undoing everything since it began. It fails with ErrClosed when t already
// ended, so a deferred Rollback after Commit is harmless; after a failed Commit it
// succeeds. If the rollback cannot be sent (the context ended, the connection broke), the
// connection is discarded, which ends the transaction on the server, and Rollback
// succeeds: the Conn then runs its next statement on a fresh connection. After a lost
// connection (ErrConnectionLost) Rollback succeeds without a round trip.
func (t *Tx) Rollback(ctx context.Context) error {
	c := t.c
	if !c.busy.CompareAndSwap(false, true) {
		return ErrBusy
	}
	defer c.leave()
	return c.rollback(ctx, t)
}

func (c *Conn) rollback(ctx context.Context, t *Tx) error {
	if t.done {
		if t.commitFailed {
			t.commitFailed = false
			return nil
		}
		return ErrClosed
	}
	i := c.position(t)
	if i < 0 {
		t.done = true
		return ErrClosed
	}
	if c.txLost || c.dc == nil {
		// The connection, and with it the whole transaction, is already gone.
		c.end(i)
		if i == 0 {
			c.txLost = false
		}
		return nil
	}
	if ctx.Err() != nil {
		c.invalidate()
		c.end(i)
		if i == 0 {
			c.txLost = false
		}
		return nil
	}
	if t.savepoint != "" {
		err := c.txExec(ctx, "ROLLBACK TO SAVEPOINT "+t.savepoint)
		c.end(i)
		if err != nil && c.dc != nil {
			// The transaction cannot be trusted any more; let the outer rollback end it.
			return err
		}
		return nil
	}
	c.end(0)
	c.eng.logTx(ctx, "ROLLBACK")
	if err := c.dc.Rollback(ctx); err != nil {
		c.invalidate()
		c.txLost = false
	}
	return nil
}

// Transaction runs fn inside a new transaction on c: it commits when fn returns nil and
// rolls back when fn returns an error (which Transaction returns) or panics (the panic
// continues after the rollback). ErrTxActive when c already has a transaction; use Nested.
func (c *Conn) Transaction(ctx context.Context, fn func(ctx context.Context, c *Conn) error, opts ...TxOption) error {
	tx, err := c.Begin(ctx, opts...)
	if err != nil {
		return err
	}
	return c.scoped(ctx, tx, fn)
}

// Nested runs fn inside a savepoint of c's active transaction: the savepoint is released
// when fn returns nil and rolled back to when fn returns an error or panics, leaving the
// enclosing transaction active either way. ErrNoTx when c has no transaction.
func (c *Conn) Nested(ctx context.Context, fn func(ctx context.Context, c *Conn) error) error {
	if err := c.enter(); err != nil {
		return err
	}
	if len(c.txs) == 0 && !c.txLost {
		c.leave()
		return ErrNoTx
	}
	var parent *Tx
	if len(c.txs) > 0 {
		parent = c.txs[len(c.txs)-1]
	}
	tx, err := c.beginNested(ctx, parent)
	c.leave()
	if err != nil {
		return err
	}
	return c.scoped(ctx, tx, fn)
}

// scoped runs fn and then commits tx, or rolls it back on error or panic.
func (c *Conn) scoped(ctx context.Context, tx *Tx, fn func(ctx context.Context, c *Conn) error) (err error) {
	normal := false
	defer func() {
		if !normal {
			// fn panicked (or called runtime.Goexit): roll back, let the panic continue.
			_ = tx.Rollback(ctx)
		}
	}()
	err = fn(ctx, c)
	normal = true
	if err != nil {
		if rbErr := tx.Rollback(ctx); rbErr != nil && !errors.Is(rbErr, ErrClosed) {
			return errors.Join(err, rbErr)
		}
		return err
	}
	if !tx.IsActive() {
		// fn ended the transaction itself (for example by rolling back an outer one).
		return nil
	}
	return tx.Commit(ctx)
}

// Tx returns the innermost active transaction of the Conn (a savepoint when one is
// open), or nil when it has none.
func (c *Conn) Tx() *Tx {
	if n := len(c.txs); n > 0 {
		return c.txs[n-1]
	}
	return nil
}

// CommitWith runs stmt as the last statement of t, the Conn's outermost transaction, and
// commits t, in one round trip where the driver can send them together (PostgreSQL, with
// the transaction's BEGIN too when it has run nothing yet); elsewhere, or for a
// savepoint, it is Execute then Commit. When stmt fails, t is rolled back and the
// statement's error returned; when COMMIT fails, t is over and the error is a
// *StatementError for COMMIT, as Commit's. On success t has ended and the Result is
// stmt's.
func (t *Tx) CommitWith(ctx context.Context, stmt expr.Statement) (*Result, error) {
	c := t.c
	if err := c.enter(); err != nil {
		return nil, err
	}
	pipelined := false
	if !t.done && t.savepoint == "" && len(c.txs) == 1 && c.txs[0] == t && !c.txLost && c.dc != nil {
		cp, ok := c.dc.(dialect.CommitPipeliner)
		pipelined = ok && cp.PipelinesCommit()
	}
	if !pipelined {
		c.leave()
		res, err := c.Execute(ctx, stmt)
		if err != nil {
			_ = t.Rollback(context.WithoutCancel(ctx))
			return nil, err
		}
		if err := t.Commit(ctx); err != nil {
			_ = t.Rollback(context.WithoutCancel(ctx))
			return nil, err
		}
		return res, nil
	}
	defer c.leave()
	comp, err := compile.Compile(c.eng.dialect, stmt)
	if err != nil {
		return nil, err
	}
	res, err := c.runCommit(ctx, comp, true)
	if err != nil {
		// The statement failed (the transaction is open and aborted) or COMMIT did (it
		// is over): roll back, which ends it either way.
		_ = c.rollback(context.WithoutCancel(ctx), t)
		return nil, err
	}
	c.end(0)
	c.eng.logTx(ctx, "COMMIT")
	return res, nil
}
