package orm

import (
	"context"

	"github.com/retortdb/retort/engine"
)

// Retry runs fn with a new session inside a transaction, as Begin does, and runs it again
// with another new session when the attempt fails with a retryable error: a serialization
// failure, deadlock, lock wait timeout, certification failure, SQLite busy error, or a
// connection lost before COMMIT (see engine.IsRetryable). The options are engine.Retry's
// (attempts, jittered backoff); the context bounds the whole. Each attempt starts from a
// fresh session, so objects loaded by a failed attempt are not reused; fn must do nothing
// outside the session that it would be wrong to do twice. Sessions take their
// transaction options from the engine (engine.IsolationLevel); engine.RetryTxOptions does
// not apply here.
func (sm *SessionMaker) Retry(ctx context.Context, fn func(ctx context.Context, s *Session) error, opts ...engine.RetryOption) error {
	return engine.Retry(ctx, func(ctx context.Context) error { return sm.Begin(ctx, fn) }, opts...)
}
