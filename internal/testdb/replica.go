package testdb

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGReplicaEnv is the variable naming a PostgreSQL primary and its hot standby: two
// URLs separated by white space, the primary's first (what scripts/cluster pg-replica up
// prints; scripts/test sets it for the replica tests).
const PGReplicaEnv = "RETORT_TEST_PG_REPLICA"

// PGReplica returns a fresh database on the primary named by RETORT_TEST_PG_REPLICA and
// the same database seen through the standby, once replication has brought it there. With
// remoteApply, the database's synchronous_commit is remote_apply: a commit on the primary
// returns only once the standby shows it, so a test may read its own commits on the
// standby; without, the standby lags as replicas do. The database is dropped when t ends.
// t is skipped when the variable is unset (scripts/test runs these tests in a step of
// their own, with the variable set).
func PGReplica(t testing.TB, remoteApply bool) (primary, standby Target) {
	t.Helper()
	raw := os.Getenv(PGReplicaEnv)
	if raw == "" {
		t.Skipf("testdb: %s is not set, so the read-replica tests do not run; run scripts/test, or set it to the two URLs that scripts/cluster pg-replica up prints", PGReplicaEnv)
	}
	parts := strings.Fields(raw)
	if len(parts) != 2 {
		t.Fatalf("testdb: %s must hold two URLs (primary, standby), has %d", PGReplicaEnv, len(parts))
	}
	pu, err := postgresServer.parse(parts[0])
	if err != nil {
		t.Fatalf("testdb: %s primary: %v", PGReplicaEnv, err)
	}
	su, err := postgresServer.parse(parts[1])
	if err != nil {
		t.Fatalf("testdb: %s standby: %v", PGReplicaEnv, err)
	}
	name, err := newName()
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := createPostgres(ctx, pu, name); err != nil {
		t.Fatalf("testdb: %s", redact(err, pu))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := dropPostgres(ctx, pu, name); err != nil {
			t.Errorf("testdb: %s", redact(err, pu))
		}
	})
	if remoteApply {
		if err := pgExec(ctx, pu, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET synchronous_commit = remote_apply"); err != nil {
			t.Fatalf("testdb: %s", redact(err, pu))
		}
	}
	sdb := withDatabase(su, name)
	if err := WaitReplay(ctx, withDatabase(pu, name).String(), sdb.String()); err != nil {
		t.Fatalf("testdb: %s", redact(err, su))
	}
	return Target{Name: NamePostgres, URL: withDatabase(pu, name).String()}, Target{Name: NamePostgres, URL: sdb.String()}
}

// WaitReplay waits until the standby of standbyURL has replayed everything the primary of
// primaryURL has written so far (its current WAL position), or ctx ends.
func WaitReplay(ctx context.Context, primaryURL, standbyURL string) error {
	pu, err := url.Parse(primaryURL)
	if err != nil {
		return fmt.Errorf("testdb: bad primary URL")
	}
	su, err := url.Parse(standbyURL)
	if err != nil {
		return fmt.Errorf("testdb: bad standby URL")
	}
	pc, err := pgConnect(ctx, pu)
	if err != nil {
		return err
	}
	var lsn string
	err = pc.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn)
	pc.Close(context.Background())
	if err != nil {
		return fmt.Errorf("postgresql: primary WAL position: %w", err)
	}
	var last error
	for {
		sc, err := pgConnect(ctx, su) // fails until the database itself is replayed
		if err == nil {
			var done bool
			err = sc.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", lsn).Scan(&done)
			sc.Close(context.Background())
			if err == nil && done {
				return nil
			}
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgresql: the standby did not replay up to %s: %w (last error: %v)", lsn, ctx.Err(), last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// pgExec runs one statement on the database of u.
func pgExec(ctx context.Context, u *url.URL, sql string) error {
	c, err := pgConnect(ctx, u)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, sql); err != nil {
		return fmt.Errorf("postgresql: %w", err)
	}
	return nil
}

// Outage is a loopback proxy in front of a server that a test can cut off, to play a
// server that stops: Cut closes every connection through it and refuses new ones. It is
// safe for concurrent use and lives until the test that made it ends.
type Outage struct {
	ln      net.Listener
	mu      sync.Mutex
	conns   []net.Conn
	cut     bool
	stalled bool
	wg      sync.WaitGroup
}

// WithOutage returns tg with its URL pointing at an Outage proxy in front of tg's server.
func WithOutage(t testing.TB, tg Target) (Target, *Outage) {
	t.Helper()
	u, err := url.Parse(tg.URL)
	if err != nil || u.Host == "" {
		t.Fatalf("testdb: WithOutage needs a server target")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &Outage{ln: ln}
	t.Cleanup(func() { o.Cut(); o.wg.Wait() })
	target := u.Host
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			o.mu.Lock()
			if o.cut {
				o.mu.Unlock()
				client.Close()
				server.Close()
				continue
			}
			if o.stalled { // accepted, never answered
				server.Close()
				o.conns = append(o.conns, client)
				o.mu.Unlock()
				continue
			}
			o.conns = append(o.conns, client, server)
			o.mu.Unlock()
			o.wg.Add(2)
			go func() { defer o.wg.Done(); defer server.Close(); _, _ = io.Copy(server, client) }()
			go func() { defer o.wg.Done(); defer client.Close(); _, _ = io.Copy(client, server) }()
		}
	}()
	pu := *u
	pu.Host = ln.Addr().String()
	tg.URL = pu.String()
	return tg, o
}

// Stall plays a server that hangs: the connections through the proxy are closed, and new
// ones are accepted but never answered.
func (o *Outage) Stall() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.stalled = true
	for _, c := range o.conns {
		c.Close()
	}
	o.conns = nil
}

// Cut closes every connection through the proxy and stops accepting new ones: clients
// see the server gone (connections reset, new ones refused).
func (o *Outage) Cut() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cut {
		return
	}
	o.cut = true
	o.ln.Close()
	for _, c := range o.conns {
		c.Close()
	}
}
