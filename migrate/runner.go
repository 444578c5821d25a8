package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// DefaultVersionTable is the table where the runner records the applied revisions.
const DefaultVersionTable = "retort_migrations"

// lockName names the session lock the runner takes.
const lockName = "retort_migrate"

// ErrDirty reports a database where a migration stopped half-way on a database without
// transactional DDL (MySQL/MariaDB). Fix the schema by hand, then record the revision it
// is at with Stamp (migrate stamp REV).
var ErrDirty = errors.New("migrate: database is dirty")

// ErrDestructive reports destructive operations that were neither accepted by their
// migration nor allowed by the runner.
var ErrDestructive = errors.New("migrate: destructive operation not accepted")

// Error is a failed migration step: it names the revision, the operation and the SQL
// (never the bound values). It is a plain value, safe for concurrent reads; it lives as
// long as the caller keeps it.
type Error struct {
	Revision  string
	Message   string
	Operation string
	SQL       string
	Err       error
}

// Error describes the failure.
func (e *Error) Error() string {
	s := "migrate: revision " + e.Revision
	if e.Message != "" {
		s += " (" + e.Message + ")"
	}
	if e.Operation != "" {
		s += ": " + e.Operation
	}
	s += ": " + e.Err.Error()
	if e.SQL != "" && !strings.Contains(e.Err.Error(), e.SQL) {
		s += " [SQL: " + e.SQL + "]"
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Option configures a Migrator.
type Option func(*Migrator)

// VersionTable sets the name of the version table (DefaultVersionTable otherwise).
func VersionTable(name string) Option { return func(m *Migrator) { m.table = name } }

// AllowDestructive lets destructive operations run without being accepted by their
// migration (the --allow-destructive flag).
func AllowDestructive(on bool) Option { return func(m *Migrator) { m.allowDestructive = on } }

// WithLogger sets where each migration is reported (revision, message, duration) and
// where data steps log their progress; slog.Default() otherwise.
func WithLogger(l *slog.Logger) Option { return func(m *Migrator) { m.log = l } }

// ProgressBar makes data steps draw a progress bar on w (a terminal) instead of logging.
func ProgressBar(w io.Writer) Option { return func(m *Migrator) { m.bar = w } }

// Migrator runs the migrations of a Chain against an engine's database. It is safe for
// concurrent use, and so are several Migrators in several processes on one database:
// every run takes a database lock first (a PostgreSQL advisory lock, MySQL's GET_LOCK, or
// on SQLite the database's write lock) and reads the applied revisions under it, so each
// migration is applied exactly once. It holds no connection between calls and lives as
// long as the caller keeps it.
type Migrator struct {
	eng              *engine.Engine
	chain            *Chain
	table            string
	allowDestructive bool
	log              *slog.Logger
	bar              io.Writer
}

// New returns a Migrator for the migrations of chain on eng's database.
func New(eng *engine.Engine, chain *Chain, opts ...Option) *Migrator {
	m := &Migrator{eng: eng, chain: chain, table: DefaultVersionTable}
	for _, o := range opts {
		if o != nil {
			o(m)
		}
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	return m
}

// versionTable returns the version table's definition.
func versionTable(name string) *schema.Table {
	return schema.NewMetaData().MustTable(name,
		schema.Col("revision", types.String(64), schema.PrimaryKey()),
		schema.Col("dirty", types.Boolean(), schema.NotNull()),
	)
}

// applied is what the version table holds.
type applied struct {
	revs  map[string]bool
	dirty []string
}

func (m *Migrator) readApplied(ctx context.Context, c *engine.Conn, vt *schema.Table) (applied, error) {
	res, err := c.Execute(ctx, expr.Select(vt.C("revision"), vt.C("dirty")).OrderBy(vt.C("revision")))
	if err != nil {
		return applied{}, fmt.Errorf("migrate: reading version table %s: %w", m.table, err)
	}
	a := applied{revs: map[string]bool{}}
	for row := range res.Rows() {
		var rev string
		var dirty bool
		if err := row.Scan(&rev, &dirty); err != nil {
			return applied{}, fmt.Errorf("migrate: reading version table %s: %w", m.table, err)
		}
		if rev == "~lock" {
			continue
		}
		a.revs[rev] = true
		if dirty {
			a.dirty = append(a.dirty, rev)
		}
	}
	return a, nil
}

// session runs fn on one connection holding the migration lock, with the version table
// created. inTx reports that fn already runs inside one transaction (the lock on
// dialects without session locks), so migrations use savepoints.
func (m *Migrator) session(ctx context.Context, fn func(ctx context.Context, c *engine.Conn, vt *schema.Table, inTx bool) error) (err error) {
	if m.eng == nil || m.chain == nil {
		return errors.New("migrate: Migrator needs an engine and a chain")
	}
	if err := m.chain.Validate(); err != nil {
		return err
	}
	vt := versionTable(m.table)
	c, err := m.eng.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if locker, ok := m.eng.Dialect().(dialect.SessionLocker); ok {
		lock, unlock := locker.SessionLockSQL(lockName)
		res, err := c.Execute(ctx, expr.Text(lock))
		if err != nil {
			return fmt.Errorf("migrate: taking the migration lock: %w", err)
		}
		if row, err := res.First(); err != nil || row.Get(row.Len()-1) == nil || fmt.Sprint(row.Get(row.Len()-1)) == "0" {
			return fmt.Errorf("migrate: could not take the migration lock %s", lockName)
		}
		defer func() {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if _, uerr := c.Execute(uctx, expr.Text(unlock)); uerr != nil && err == nil {
				err = fmt.Errorf("migrate: releasing the migration lock: %w", uerr)
			}
		}()
		if err := c.CreateAll(ctx, vt.MetaData); err != nil {
			return fmt.Errorf("migrate: creating version table %s: %w", m.table, err)
		}
		return fn(ctx, c, vt, false)
	}
	// No session locks (SQLite): the run holds the database's write lock, taken by
	// writing to the version table first thing in one transaction; a writer that finds
	// the database locked waits and tries again until ctx ends.
	if r, ok := m.eng.Dialect().(dialect.TableRebuilder); ok {
		off, on := r.ForeignKeysOff()
		if _, err := c.Execute(ctx, expr.Text(off)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer func() {
			octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if _, oerr := c.Execute(octx, expr.Text(on)); oerr != nil && err == nil {
				err = fmt.Errorf("migrate: %w", oerr)
			}
		}()
		fn = checkingKeys(fn, r.ForeignKeyCheckSQL())
	}
	sentinel := map[string]any{"revision": "~lock", "dirty": false}
	var tx *engine.Tx
	for {
		if tx, err = c.Begin(ctx); err != nil {
			return err
		}
		_, err = c.Execute(ctx, &schema.CreateTable{Table: vt, IfNotExists: true})
		if err == nil {
			if _, err = c.Execute(ctx, expr.Insert(vt).Values(sentinel)); err == nil {
				break
			}
		}
		_ = tx.Rollback(ctx)
		if !isBusy(err) {
			return fmt.Errorf("migrate: taking the database write lock: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: waiting for the database write lock: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err = fn(ctx, c, vt, true); err != nil && (!errors.As(err, new(*Error)) || errors.Is(err, errBrokenKeys)) {
		// Not a failed migration (whose savepoint is rolled back and whose predecessors
		// stay applied) but a broken run: keep nothing.
		_ = tx.Rollback(ctx)
		return err
	}
	if _, derr := c.Execute(ctx, expr.Delete(vt).Where(vt.C("revision").Eq("~lock"))); derr != nil && err == nil {
		err = derr
	}
	// Migrations applied before a failure stay applied (each ran in a savepoint).
	if cerr := tx.Commit(ctx); cerr != nil && err == nil {
		err = cerr
	}
	return err
}

// errBrokenKeys reports rows that break a foreign key at the end of a run that did not
// enforce them.
var errBrokenKeys = errors.New("migrate: foreign keys broken")

// checkingKeys wraps a session body so that, with foreign keys not enforced during the
// run, it fails when rows break a foreign key at the end (query lists them).
func checkingKeys(fn func(ctx context.Context, c *engine.Conn, vt *schema.Table, inTx bool) error, query string) func(ctx context.Context, c *engine.Conn, vt *schema.Table, inTx bool) error {
	return func(ctx context.Context, c *engine.Conn, vt *schema.Table, inTx bool) error {
		ferr := fn(ctx, c, vt, inTx)
		res, err := c.Execute(ctx, expr.Text(query))
		if err != nil {
			return errors.Join(ferr, fmt.Errorf("migrate: checking foreign keys: %w", err))
		}
		if res.Len() > 0 {
			return errors.Join(ferr, fmt.Errorf("%w: %d rows break a foreign key after the migrations (first: %v); nothing was committed",
				errBrokenKeys, res.Len(), res.All()[0].Values()))
		}
		return ferr
	}
}

// isBusy reports a database that is locked by another writer.
func isBusy(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "database is locked") || strings.Contains(s, "busy")
}

// step is one migration of a plan, with its operations rendered.
type step struct {
	m     *Migration
	up    bool
	ops   []Operation
	stmts [][]stmt
	check []string // per op: the NOT NULL change to check online, "" when none
	why   []string // per op: what it destroys, "" when nothing
}

// plan renders the migrations for st (which it advances), in order, and refuses the
// destructive operations that are not accepted.
func (m *Migrator) plan(d compile.DDLDialect, st *state, migs []*Migration, up bool) ([]step, error) {
	var steps []step
	var refused []string
	for _, mg := range migs {
		op := &Op{}
		if up {
			mg.Up(op)
		} else {
			mg.Down(op)
		}
		if err := op.Err(); err != nil {
			return nil, &Error{Revision: mg.Revision, Message: mg.Message, Err: err}
		}
		s := step{m: mg, up: up, ops: op.ops}
		for _, o := range op.ops {
			before := st.clone()
			if err := o.apply(st); err != nil {
				return nil, &Error{Revision: mg.Revision, Message: mg.Message, Operation: o.String(), Err: err}
			}
			stmts, err := o.statements(d, before, st)
			if err != nil {
				return nil, &Error{Revision: mg.Revision, Message: mg.Message, Operation: o.String(), Err: err}
			}
			s.stmts = append(s.stmts, stmts)
			why := o.destructive(before)
			s.why = append(s.why, why)
			if why != "" && !m.allowDestructive && !slices.Contains(mg.Accept, why) {
				refused = append(refused, fmt.Sprintf("revision %s (%s): %s", mg.Revision, mg.Message, why))
			}
			if ac, ok := o.(*alterColumnOp); ok && ac.nullable != nil && !*ac.nullable {
				why = fmt.Sprintf("make column %s.%s NOT NULL", ac.table, ac.col)
				if m.allowDestructive || slices.Contains(mg.Accept, why) {
					why = ""
				}
			}
			s.check = append(s.check, why)
		}
		steps = append(steps, s)
	}
	if len(refused) > 0 {
		return nil, fmt.Errorf("%w: %s; accept each in its migration's Accept list after review, or allow destructive operations (--allow-destructive)",
			ErrDestructive, strings.Join(refused, "; "))
	}
	return steps, nil
}

// Upgrade applies the migrations up to target: "head" (the only head), "heads" (every
// head), a revision id (or a unique prefix of one), or "+N" (the next N migrations).
func (m *Migrator) Upgrade(ctx context.Context, target string) error {
	return m.move(ctx, target, true)
}

// Downgrade reverts migrations down to target: "base" (nothing applied), a revision id
// (which stays applied), or "-N" (the last N migrations).
func (m *Migrator) Downgrade(ctx context.Context, target string) error {
	return m.move(ctx, target, false)
}

// move upgrades (up) or downgrades to target under the migration lock.
func (m *Migrator) move(ctx context.Context, target string, up bool) error {
	return m.session(ctx, func(ctx context.Context, c *engine.Conn, vt *schema.Table, inTx bool) error {
		ap, err := m.readApplied(ctx, c, vt)
		if err != nil {
			return err
		}
		if err := m.checkDirty(ap); err != nil {
			return err
		}
		path := m.downgradePath
		if up {
			path = m.upgradePath
		}
		todo, err := path(ap.revs, target)
		if err != nil || len(todo) == 0 {
			return err
		}
		return m.run(ctx, c, vt, inTx, todo, up)
	})
}

func (m *Migrator) checkDirty(ap applied) error {
	if len(ap.dirty) == 0 {
		return nil
	}
	return fmt.Errorf("%w: revision %s stopped half-way (the database has no transactional DDL); "+
		"repair the schema by hand, then record where it is with Stamp (migrate stamp REV)", ErrDirty, strings.Join(ap.dirty, ", "))
}

// upgradePath lists the migrations to apply, parents first.
func (m *Migrator) upgradePath(done map[string]bool, target string) ([]*Migration, error) {
	hist, err := m.chain.History()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	limit := -1
	switch {
	case target == "head" || target == "":
		heads := m.chain.Heads()
		if len(heads) > 1 {
			return nil, fmt.Errorf("migrate: the chain has %d heads (%s): upgrade to one of them or to \"heads\", or join them with a merge revision (migrate merge)",
				len(heads), strings.Join(heads, ", "))
		}
		for _, h := range heads {
			maps(want, m.chain.ancestors(h))
		}
	case target == "heads":
		for _, h := range m.chain.Heads() {
			maps(want, m.chain.ancestors(h))
		}
	case strings.HasPrefix(target, "+"):
		n, err := strconv.Atoi(target[1:])
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("migrate: upgrade target %q: want +N with N a positive number", target)
		}
		limit = n
		for _, h := range m.chain.Heads() {
			maps(want, m.chain.ancestors(h))
		}
	default:
		mg, err := m.chain.Get(target)
		if err != nil {
			return nil, err
		}
		want = m.chain.ancestors(mg.Revision)
	}
	var out []*Migration
	for _, mg := range hist {
		if want[mg.Revision] && !done[mg.Revision] {
			out = append(out, mg)
		}
	}
	if limit >= 0 {
		if limit > len(out) {
			return nil, fmt.Errorf("migrate: upgrade %s: only %d migrations are left to apply", target, len(out))
		}
		out = out[:limit]
	}
	return out, nil
}

// downgradePath lists the migrations to revert, children first.
func (m *Migrator) downgradePath(done map[string]bool, target string) ([]*Migration, error) {
	hist, err := m.chain.History()
	if err != nil {
		return nil, err
	}
	var applied []*Migration
	for i := len(hist) - 1; i >= 0; i-- {
		if done[hist[i].Revision] {
			applied = append(applied, hist[i])
		}
	}
	switch {
	case target == "base":
		return applied, nil
	case strings.HasPrefix(target, "-"):
		n, err := strconv.Atoi(target[1:])
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("migrate: downgrade target %q: want -N with N a positive number", target)
		}
		if n > len(applied) {
			return nil, fmt.Errorf("migrate: downgrade %s: only %d migrations are applied", target, len(applied))
		}
		return applied[:n], nil
	}
	mg, err := m.chain.Get(target)
	if err != nil {
		return nil, err
	}
	if !done[mg.Revision] {
		return nil, fmt.Errorf("migrate: downgrade to %s: that revision is not applied", mg.Revision)
	}
	keep := m.chain.ancestors(mg.Revision)
	return slices.DeleteFunc(applied, func(x *Migration) bool { return keep[x.Revision] }), nil
}

func maps(dst, src map[string]bool) {
	for k := range src {
		dst[k] = true
	}
}

// run plans and applies migrations (up) or reverts them (down) on c.
func (m *Migrator) run(ctx context.Context, c *engine.Conn, vt *schema.Table, inTx bool, migs []*Migration, up bool) error {
	d, ok := m.eng.Dialect().(compile.DDLDialect)
	if !ok {
		return fmt.Errorf("migrate: dialect %s cannot render DDL", m.eng.Dialect().Name())
	}
	md, err := c.Reflect(ctx, engine.ReflectOnly(func(t string) bool { return t != m.table }))
	if err != nil {
		return fmt.Errorf("migrate: reading the current schema: %w", err)
	}
	steps, err := m.plan(d, stateOf(md), migs, up)
	if err != nil {
		return err
	}
	transactional := d.Features().Has(compile.TransactionalDDL)
	for _, s := range steps {
		start := time.Now()
		verb := "upgrade"
		if !up {
			verb = "downgrade"
		}
		m.log.Info("migrate: "+verb, "revision", s.m.Revision, "message", s.m.Message)
		body := func(ctx context.Context, c *engine.Conn) error {
			if _, err := m.apply(ctx, c, s); err != nil {
				return err
			}
			return m.record(ctx, c, vt, s.m.Revision, up, false)
		}
		switch {
		case inTx:
			err = c.Nested(ctx, body)
		case transactional:
			err = c.Transaction(ctx, body)
		default:
			// No transactional DDL: mark the revision dirty while it runs.
			if err = m.record(ctx, c, vt, s.m.Revision, up, true); err == nil {
				var sent int
				sent, err = m.apply(ctx, c, s)
				switch {
				case err == nil:
					err = m.record(ctx, c, vt, s.m.Revision, up, false)
				case sent == 0:
					// Nothing changed the schema yet: undo the mark.
					if uerr := m.unmark(ctx, c, vt, s.m.Revision, up); uerr != nil {
						err = errors.Join(err, uerr)
					}
				default:
					err = fmt.Errorf("%w (revision %s is marked dirty: repair the schema, then migrate stamp the revision it is at)", err, s.m.Revision)
				}
			}
		}
		if err != nil {
			return err
		}
		m.log.Info("migrate: done", "revision", s.m.Revision, "message", s.m.Message, "duration", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// record updates the version table for rev: applied (up) or reverted, or marked dirty.
func (m *Migrator) record(ctx context.Context, c *engine.Conn, vt *schema.Table, rev string, up, dirty bool) error {
	var err error
	revCol := vt.C("revision")
	switch {
	case up && dirty:
		_, err = c.Execute(ctx, expr.Insert(vt).Values(map[string]any{"revision": rev, "dirty": true}))
	case up && !dirty && c.InTransaction():
		_, err = c.Execute(ctx, expr.Insert(vt).Values(map[string]any{"revision": rev, "dirty": false}))
	case up:
		_, err = c.Execute(ctx, expr.Update(vt).Set(vt.C("dirty"), false).Where(revCol.Eq(rev)))
	case dirty:
		_, err = c.Execute(ctx, expr.Update(vt).Set(vt.C("dirty"), true).Where(revCol.Eq(rev)))
	default:
		_, err = c.Execute(ctx, expr.Delete(vt).Where(revCol.Eq(rev)))
	}
	if err != nil {
		return fmt.Errorf("migrate: recording revision %s in %s: %w", rev, m.table, err)
	}
	return nil
}

// unmark undoes the dirty mark of a migration that failed before changing anything.
func (m *Migrator) unmark(ctx context.Context, c *engine.Conn, vt *schema.Table, rev string, up bool) error {
	var err error
	if up {
		_, err = c.Execute(ctx, expr.Delete(vt).Where(vt.C("revision").Eq(rev)))
	} else {
		_, err = c.Execute(ctx, expr.Update(vt).Set(vt.C("dirty"), false).Where(vt.C("revision").Eq(rev)))
	}
	return err
}

// apply runs the statements of one migration and reports how many of them succeeded
// (a data step counts from its start: it may have changed rows before failing) before
// it stopped. A failed statement changes nothing by itself.
func (m *Migrator) apply(ctx context.Context, c *engine.Conn, s step) (sent int, err error) {
	d := m.eng.Dialect()
	for i, op := range s.ops {
		for _, st := range s.stmts[i] {
			fail := func(sql string, err error) error {
				return &Error{Revision: s.m.Revision, Message: s.m.Message, Operation: op.String(), SQL: sql, Err: err}
			}
			switch {
			case st.run != nil:
				p := &Progress{name: op.String(), bar: m.bar, log: m.log}
				sent++
				if err := st.run(ctx, c, p); err != nil {
					return sent, fail("", err)
				}
			case st.check != "" && st.ddl != nil:
				if s.check[i] == "" {
					continue
				}
				n, err := c.Scalar(ctx, st.ddl)
				if err != nil {
					return sent, fail("", err)
				}
				if cnt, _ := n.(int64); cnt > 0 {
					return sent, fail("", fmt.Errorf("%w: %s: %d rows hold NULL; accept %q in the migration after filling them, or allow destructive operations",
						ErrDestructive, st.check, cnt, s.check[i]))
				}
			case st.ddl != nil:
				if _, err := c.Execute(ctx, st.ddl); err != nil {
					sql := ""
					if comp, cerr := compile.Compile(d, st.ddl); cerr == nil {
						sql = comp.SQL
					}
					return sent, fail(sql, err)
				}
				sent++
			default:
				res, err := c.Execute(ctx, expr.Text(st.sql, st.args...))
				if err != nil {
					return sent, fail(st.sql, err)
				}
				sent++
				if st.check != "" && res.Len() > 0 {
					return sent, fail(st.sql, fmt.Errorf("%s: %d rows break a foreign key (first: %v)", st.check, res.Len(), res.All()[0].Values()))
				}
			}
		}
	}
	return sent, nil
}
