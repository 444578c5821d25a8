package orm

import (
	"context"

	"github.com/retortdb/retort/engine"
)

// JoinMode says how a session joined to a connection's transaction (JoinTransaction)
// uses that transaction: SQLAlchemy's join_transaction_mode.
type JoinMode uint8

const (
	// CreateSavepoint runs each of the session's transactions in a savepoint of the
	// connection's transaction: Commit releases the savepoint, Rollback rolls back to it,
	// and the outer transaction is left to its owner, whatever the session does. This is
	// the mode for tests that roll back everything the code under test committed.
	CreateSavepoint JoinMode = iota + 1
	// RollbackOnly uses the connection's transaction as the session's own for Rollback
	// (which rolls the outer transaction back) but never commits it: Commit flushes and
	// ends the session's unit of work, and the outer transaction's owner commits or rolls
	// back.
	RollbackOnly
)

// joined is the outer connection of a session made by JoinTransaction.
type joined struct {
	conn *engine.Conn
	mode JoinMode
	own  bool // the session began s.tx (a savepoint, or a transaction of its own)
}

// JoinTransaction returns a session that runs on conn, a connection the caller owns and
// keeps (the session never closes it), joining the transaction conn has open as mode says
// (SQLAlchemy's Session(bind=connection, join_transaction_mode=...)). When conn has no
// transaction, the session begins and ends transactions of its own on it. The usual
// pattern is a test that begins a transaction, runs application code that commits through
// the session, and rolls the transaction back at the end:
//
//	conn, _ := eng.Connect(ctx)
//	tx, _ := conn.Begin(ctx)
//	defer tx.Rollback(ctx)
//	s := sm.JoinTransaction(conn, orm.CreateSavepoint)
//	defer s.Close()
//	// ... code under test: s.Add(...), s.Commit(ctx) releases a savepoint ...
//
// The session and conn belong to one goroutine, as each of them does.
func (sm *SessionMaker) JoinTransaction(conn *engine.Conn, mode JoinMode) *Session {
	s := sm.New()
	if mode != RollbackOnly {
		mode = CreateSavepoint
	}
	s.join = &joined{conn: conn, mode: mode}
	return s
}

// joinConnection begins the session's transaction on the joined connection.
func (s *Session) joinConnection(ctx context.Context) (*engine.Conn, error) {
	j := s.join
	c := j.conn
	outer := c.Tx()
	var tx *engine.Tx
	var err error
	switch {
	case outer == nil:
		tx, err = c.Begin(ctx)
		j.own = true
	case j.mode == CreateSavepoint:
		tx, err = outer.BeginNested(ctx)
		j.own = true
	default:
		tx, j.own = outer, false
	}
	if err != nil {
		return nil, err
	}
	s.conn, s.tx = c, tx
	return c, nil
}

// ownsTx reports whether the session ends its transaction itself on Commit and Close
// (everything but a RollbackOnly join of an outer transaction).
func (s *Session) ownsTx() bool { return s.join == nil || s.join.own }
