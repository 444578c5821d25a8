package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryOption configures Retry and Engine.Retry.
type RetryOption func(*retryPolicy)

type retryPolicy struct {
	attempts int
	base     time.Duration
	max      time.Duration
	txOpts   []TxOption
}

// Default retry policy: 5 attempts, backoff from 10 ms doubling up to 1 s.
const (
	defaultRetryAttempts = 5
	defaultRetryBase     = 10 * time.Millisecond
	defaultRetryMax      = time.Second
)

// RetryAttempts sets how many times the function runs at most, the first run included
// (default 5; values below 1 mean 1).
func RetryAttempts(n int) RetryOption {
	return func(p *retryPolicy) { p.attempts = max(n, 1) }
}

// RetryBackoff sets the backoff between attempts: before attempt k+1 Retry sleeps a random
// duration between 0 and min(maxDelay, base·2^(k-1)) ("full jitter", so that transactions
// that conflicted do not meet again in step). Defaults: 10 ms and 1 s.
func RetryBackoff(base, maxDelay time.Duration) RetryOption {
	return func(p *retryPolicy) {
		p.base = max(base, 0)
		p.max = max(maxDelay, p.base)
	}
}

// RetryTxOptions sets the options of the transaction Engine.Retry runs each attempt in
// (for example Isolation("SERIALIZABLE")).
func RetryTxOptions(opts ...TxOption) RetryOption {
	return func(p *retryPolicy) { p.txOpts = append(p.txOpts, opts...) }
}

func newRetryPolicy(opts []RetryOption) retryPolicy {
	p := retryPolicy{attempts: defaultRetryAttempts, base: defaultRetryBase, max: defaultRetryMax}
	for _, o := range opts {
		if o != nil {
			o(&p)
		}
	}
	return p
}

// IsRetryable reports whether a transaction that failed with err may be run again from
// its start: err matches ErrRetryable (a serialization failure, deadlock, lock wait
// timeout, certification failure or SQLite busy error), or ErrConnectionLost on any
// statement but COMMIT (a transaction whose connection broke before COMMIT was sent was
// rolled back by the server; one that broke during COMMIT may have committed, so it is
// not retried).
func IsRetryable(err error) bool {
	if errors.Is(err, ErrRetryable) {
		return true
	}
	if !errors.Is(err, ErrConnectionLost) {
		return false
	}
	var se *StatementError
	return !errors.As(err, &se) || se.SQL != "COMMIT"
}

// Retry calls attempt until it returns nil or an error that is not retryable (see
// IsRetryable), at most RetryAttempts times, sleeping a jittered, growing backoff between
// attempts. attempt must run a whole transaction (begin, work, commit) each time, as
// Engine.Retry and orm.SessionMaker.Retry do, and must have no effect outside the
// database that a second run would repeat. When the attempts are used up the error wraps
// the last attempt's; when ctx ends during a backoff it matches ctx's error and wraps the
// last attempt's too. A panic in attempt is not recovered.
func Retry(ctx context.Context, attempt func(ctx context.Context) error, opts ...RetryOption) error {
	p := newRetryPolicy(opts)
	var err error
	for k := 1; ; k++ {
		if cerr := ctx.Err(); cerr != nil {
			if err == nil {
				return cerr
			}
			return &retryStopped{ctx: cerr, last: err, attempts: k - 1}
		}
		err = attempt(ctx)
		if err == nil || !IsRetryable(err) {
			return err
		}
		if k >= p.attempts {
			return fmt.Errorf("engine: gave up after %d attempts: %w", k, err)
		}
		d := p.delay(k)
		if d <= 0 {
			continue
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return &retryStopped{ctx: ctx.Err(), last: err, attempts: k}
		case <-t.C:
		}
	}
}

// delay is the jittered backoff after attempt k (1-based).
func (p *retryPolicy) delay(k int) time.Duration {
	if p.base <= 0 {
		return 0
	}
	d := p.max
	if k-1 < 30 {
		d = min(p.max, p.base<<(k-1))
	}
	return rand.N(d + 1)
}

// retryStopped is the error of a Retry whose context ended between attempts.
type retryStopped struct {
	ctx      error
	last     error
	attempts int
}

func (e *retryStopped) Error() string {
	return fmt.Sprintf("engine: retry stopped after %d attempt(s): %v (last error: %v)", e.attempts, e.ctx, e.last)
}

func (e *retryStopped) Unwrap() []error { return []error{e.ctx, e.last} }

// Retry runs fn in a transaction on a connection of its own, as Begin does, and runs it
// again in a new transaction when it fails with a retryable error (see IsRetryable and
// Retry for the policy: by default 5 attempts with jittered exponential backoff from
// 10 ms up to 1 s). RetryTxOptions sets the transaction's options. fn must do nothing
// outside the transaction that it would be wrong to do twice.
func (e *Engine) Retry(ctx context.Context, fn func(ctx context.Context, c *Conn) error, opts ...RetryOption) error {
	p := newRetryPolicy(opts)
	return Retry(ctx, func(ctx context.Context) error { return e.Begin(ctx, fn, p.txOpts...) }, opts...)
}
