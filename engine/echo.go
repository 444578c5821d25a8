package engine

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"log/slog"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/retortdb/retort/types"
)

// Limits of what echo shows of bound parameters, so that a large blob does not flood logs.
const (
	echoMaxArgs     = 50
	echoMaxArgBytes = 200
)

// statementStart returns the time a statement starts, for logStatement (zero when
// neither Echo nor SlowStatements asks for durations).
func (e *Engine) statementStart() time.Time {
	if e.echo == nil && e.slow <= 0 {
		return time.Time{}
	}
	return time.Now()
}

// logStatement writes one statement after it ran: to the echo logger (when Echo is on) at
// level Info, or at level Warn when it took SlowStatements' threshold or longer (to the
// echo logger, or the engine's logger when Echo is off). The message is the SQL with its
// whitespace normalised; the attributes are the bound arguments ("args"), the time it
// took ("duration"), the rows it affected or returned ("rows", left out when unknown, as
// for streams) and its error ("error") if it failed.
func (e *Engine) logStatement(ctx context.Context, sql string, args []any, start time.Time, rows int64, err error) {
	if start.IsZero() {
		return
	}
	d := time.Since(start)
	level := slog.LevelInfo
	log := e.echo
	if e.slow > 0 && d >= e.slow {
		level = slog.LevelWarn
		if log == nil {
			log = e.logger
			if log == nil {
				log = slog.Default()
			}
		}
	}
	if log == nil || !log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 4)
	if len(args) > 0 {
		attrs = append(attrs, slog.Any("args", echoArgs(args)))
	}
	attrs = append(attrs, slog.Duration("duration", d))
	if rows >= 0 && err == nil {
		attrs = append(attrs, slog.Int64("rows", rows))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	log.LogAttrs(ctx, level, NormalizeSQL(sql), attrs...)
}

// NormalizeSQL returns sql with each run of whitespace outside quoted strings and
// identifiers replaced by one space, and none at either end, as the echo logs statements
// (a raw expr.Text written over several lines logs as one line). Text inside '...',
// "..." and `...` is unchanged.
func NormalizeSQL(sql string) string {
	clean := true
	for i := 0; i < len(sql); i++ {
		if c := sql[i]; c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v' ||
			c == ' ' && (i == 0 || i == len(sql)-1 || sql[i+1] == ' ') {
			clean = false
			break
		}
	}
	if clean {
		return sql
	}
	b := make([]byte, 0, len(sql))
	var quote byte
	space := false
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		if quote != 0 {
			b = append(b, c)
			if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case ' ', '\n', '\t', '\r', '\f', '\v':
			space = true
			continue
		case '\'', '"', '`':
			quote = c
		}
		if space && len(b) > 0 {
			b = append(b, ' ')
		}
		space = false
		b = append(b, c)
	}
	return string(b)
}

// logTx writes a transaction statement (BEGIN, COMMIT, ...) to the echo logger.
func (e *Engine) logTx(ctx context.Context, what string) {
	if e.echo == nil {
		return
	}
	e.echo.LogAttrs(ctx, slog.LevelInfo, what)
}

// echoArgs formats bound parameters for a log line; long values are shortened.
type echoArgs []any

// LogValue renders the parameters as a list, as "[1 'x' <64 bytes>]".
func (a echoArgs) LogValue() slog.Value {
	b := make([]byte, 0, 64)
	b = append(b, '[')
	for i, v := range a {
		if i == echoMaxArgs {
			b = append(b, " ... ("...)
			b = strconv.AppendInt(b, int64(len(a)-i), 10)
			b = append(b, " more)"...)
			break
		}
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendEchoValue(b, v)
	}
	b = append(b, ']')
	return slog.StringValue(string(b))
}

func appendEchoValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "NULL"...)
	case string:
		return strconv.AppendQuote(b, truncate(x, echoMaxArgBytes))
	case []byte:
		b = append(b, '<')
		b = strconv.AppendInt(b, int64(len(x)), 10)
		return append(b, " bytes>"...)
	case json.RawMessage:
		return strconv.AppendQuote(b, truncate(string(x), echoMaxArgBytes))
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		return x.AppendFormat(b, time.RFC3339Nano) // never the monotonic clock reading
	case *time.Time:
		if x == nil {
			return append(b, "NULL"...)
		}
		return x.AppendFormat(b, time.RFC3339Nano)
	case time.Duration:
		return append(b, x.String()...)
	case types.UUID:
		return append(b, x.String()...)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return append(b, "NULL"...)
	}
	switch x := v.(type) {
	case interface{ AnyValue() any }: // types.Null
		return appendEchoValue(b, x.AnyValue())
	case driver.Valuer:
		if inner, err := x.Value(); err == nil {
			if _, again := inner.(driver.Valuer); !again {
				return appendEchoValue(b, inner)
			}
		}
	}
	if rv.Kind() == reflect.Pointer {
		return appendEchoValue(b, rv.Elem().Interface())
	}
	// Go syntax of anything else, without the monotonic clock readings of times in it.
	return append(b, truncate(monotonic.ReplaceAllString(slog.AnyValue(v).String(), ""), echoMaxArgBytes)...)
}

// monotonic matches the monotonic clock reading that fmt prints after a time.Time.
var monotonic = regexp.MustCompile(` m=[+-][0-9]+\.[0-9]+`)
