package conv

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/types"
)

func TestValidDecimal(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-1": true, "+1.5": true, ".5": true, "5.": true, "1e10": true, "1.5E-3": true,
		"": false, "-": false, ".": false, "1e": false, "1,5": false, "0x10": false, "NaN": false,
		"1.2.3": false, " 1": false, "e5": false,
	} {
		if got := ValidDecimal(s); got != want {
			t.Errorf("ValidDecimal(%q) = %v", s, got)
		}
	}
}

func TestFormatNumeric(t *testing.T) {
	for _, tc := range []struct {
		s    string
		typ  types.Type
		want string
	}{
		{"12.3", types.Numeric(10, 2), "12.30"},
		{"12.345", types.Numeric(10, 2), "12.35"},
		{"-12.345", types.Numeric(10, 2), "-12.35"},
		{"99.999", types.Numeric(10, 2), "100.00"},
		{"-0.004", types.Numeric(10, 2), "0.00"},
		{"1e3", types.Numeric(10, 1), "1000.0"},
		{"1.25e-1", types.Numeric(10, 3), "0.125"},
		{"12.5E-5", types.Numeric(0, 0), "0.000125"},
		{"007.10", types.Numeric(0, 0), "7.10"},
		{".5", types.Numeric(3, 0), "1"},
		{"+4", types.Numeric(5, 2), "4.00"},
	} {
		if got := FormatNumeric(tc.s, tc.typ); got != tc.want {
			t.Errorf("FormatNumeric(%q, %v) = %q, want %q", tc.s, tc.typ, got, tc.want)
		}
	}
}

func TestClock(t *testing.T) {
	d := 1*time.Hour + 2*time.Minute + 3*time.Second + 4500*time.Microsecond
	if got := string(AppendClock(nil, d)); got != "01:02:03.004500" {
		t.Errorf("AppendClock = %q", got)
	}
	for s, want := range map[string]time.Duration{
		"01:02:03.0045": d, "01:02:03.004500": d, "01:02": time.Hour + 2*time.Minute,
		"838:59:59": 838*time.Hour + 59*time.Minute + 59*time.Second, "-01:00:00": -time.Hour,
	} {
		if got, err := ParseClock(s); err != nil || got != want {
			t.Errorf("ParseClock(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "12", "1:2:3", "01:60:00", "aa:00:00", "01:00:00.x"} {
		if _, err := ParseClock(s); err == nil {
			t.Errorf("ParseClock(%q) succeeded", s)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"2024-01-02 03:04:05", "2024-01-02T03:04:05", "2024-01-02 03:04:05.000000",
		"2024-01-02T03:04:05Z", "2024-01-02 05:04:05+02:00", "2024-01-02 03:04:05 +0000 UTC"} {
		got, err := ParseTimestamp(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v, %v", s, got, err)
		}
	}
}

func TestUnwrap(t *testing.T) {
	type myInt int16
	type myStr string
	n := int64(5)
	pn := &n
	for _, tc := range []struct {
		v, want any
	}{
		{nil, nil},
		{&n, int64(5)},
		{&pn, int64(5)},
		{(*int64)(nil), nil},
		{myInt(-3), int64(-3)},
		{myStr("s"), "s"},
		{types.NullOf("x"), "x"},
		{types.Null[string]{}, nil},
		{&types.Null[int]{V: 1, Valid: true}, 1},
		{sql.NullInt64{Int64: 9, Valid: true}, int64(9)},
		{(*sql.NullInt64)(nil), nil},
		{[16]byte{1}, types.UUID{1}},
	} {
		got, err := Unwrap(tc.v)
		if err != nil || got != tc.want {
			t.Errorf("Unwrap(%#v) = %#v, %v; want %#v", tc.v, got, err, tc.want)
		}
	}
}

func TestErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	driverErr := errors.New("interrupted (9)")
	if DriverErr(ctx, "x", nil) != nil {
		t.Error("DriverErr(nil) is not nil")
	}
	live := DriverErr(ctx, "x", driverErr)
	var de *DriverError
	if !errors.As(live, &de) || !errors.Is(live, driverErr) || live.Error() != "x: interrupted (9)" {
		t.Errorf("DriverErr with a live context = %v, want the driver's error behind the dialect's name", live)
	}
	own := errors.New("x: pool closed")
	if DriverErr(ctx, "x", own) != own {
		t.Error("DriverErr prefixed an error that already names the dialect")
	}
	cancel()
	err := DriverErr(ctx, "x", driverErr)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, driverErr) || err.Error() != "x: statement interrupted: context canceled (interrupted (9))" {
		t.Errorf("DriverErr = %v", err)
	}
	if DriverErr(ctx, "x", err) != err {
		t.Error("DriverErr wrapped twice")
	}
	if got := Redact("user:p%40ss@host p@ss", "p@ss"); got != "user:xxxxx@host xxxxx" {
		t.Errorf("Redact = %q", got)
	}
	if Isolation(" read_committed ") != "READ COMMITTED" || Isolation("repeatable  read") != "REPEATABLE READ" {
		t.Error("Isolation does not normalise")
	}
}

func TestBytesResultEmptyIsNotNil(t *testing.T) {
	for _, src := range []any{[]byte(nil), []byte{}, ""} {
		got, err := BytesResult("x", src, types.Bytes())
		if b, ok := got.([]byte); err != nil || !ok || b == nil || len(b) != 0 {
			t.Errorf("BytesResult(%#v) = %#v, %v; want a non-nil empty []byte", src, got, err)
		}
	}
}

func TestTargetAndPoolError(t *testing.T) {
	if got := Target(dialect.Config{Password: "pw"}, 5432); got != "localhost:5432/" {
		t.Errorf("Target of an empty config = %q", got)
	}
	if got := Target(dialect.Config{User: "u", Password: "pw", Host: "::1", Port: 7, Database: "db"}, 5432); got != "u@[::1]:7/db" {
		t.Errorf("Target = %q", got)
	}
	ctx := context.Background()
	actx, cancel := WithPoolTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-actx.Done()
	err := PoolError(ctx, actx, "x", time.Nanosecond, false, errors.New("busy"))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, dialect.ErrPoolTimeout) || err.Error() != "x: no connection became free within the pool timeout (1ns)" {
		t.Errorf("timeout: %v", err)
	}
	// The caller's context ending the wait: no statement was interrupted, and it is not
	// the pool timeout.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	err = PoolError(cctx, cctx, "x", time.Second, false, context.Canceled)
	if !errors.Is(err, context.Canceled) || errors.Is(err, dialect.ErrPoolTimeout) || err.Error() != "x: gave up waiting for a connection: context canceled" {
		t.Errorf("caller's context: %v", err)
	}
	live, cancel2 := WithPoolTimeout(ctx, 0)
	defer cancel2()
	if live != ctx {
		t.Error("WithPoolTimeout(0) is not ctx itself")
	}
	closedErr := errors.New("sql: database is closed")
	if err := PoolError(ctx, live, "x", 0, true, closedErr); !errors.Is(err, closedErr) || err.Error() != "x: the pool is closed: sql: database is closed" {
		t.Errorf("closed: %v", err)
	}
	if err := PoolError(ctx, live, "x", 0, false, errors.New("refused")); err.Error() != "x: refused" {
		t.Errorf("other: %v", err)
	}
	ce := NewConnectError(ctx, "x", "u@h:1/db", "s3cret", errors.New("auth failed for s3cret"), nil)
	if ce.Error() != "x: cannot connect to u@h:1/db: auth failed for xxxxx" || ce.Unwrap() != nil {
		t.Errorf("connect error: %v (cause %v)", ce, ce.Unwrap())
	}
}
