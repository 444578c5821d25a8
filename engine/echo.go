package engine

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"time"

	"github.com/retortdb/retort/types"
)

// Limits of what echo shows of bound parameters, so that a large blob does not flood logs.
const (
	echoMaxArgs     = 50
	echoMaxArgBytes = 200
)

// logStatement writes one statement to the echo logger (when Echo is on).
func (e *Engine) logStatement(ctx context.Context, sql string, args []any) {
	if e.echo == nil || !e.echo.Enabled(ctx, slog.LevelInfo) {
		return
	}
	if len(args) == 0 {
		e.echo.LogAttrs(ctx, slog.LevelInfo, sql)
		return
	}
	e.echo.LogAttrs(ctx, slog.LevelInfo, sql, slog.Any("args", echoArgs(args)))
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
		return x.AppendFormat(b, time.RFC3339Nano)
	case time.Duration:
		return append(b, x.String()...)
	case types.UUID:
		return append(b, x.String()...)
	}
	return append(b, truncate(slog.AnyValue(v).String(), echoMaxArgBytes)...)
}
