package engine

import (
	"context"
	"errors"
	"reflect"
	"unicode/utf8"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/types"
)

// compiledError is statementError for a compiled statement: a DataError that does not
// name its column gets the one the statement shows (see describeData).
func (c *Conn) compiledError(ctx context.Context, comp *compile.Compiled, err error) error {
	err = c.statementError(ctx, comp.SQL, err)
	describeData(err, comp)
	c.eng.describeIntegrity(err, comp)
	return err
}

// describeData names the column of a DataError in err that the database did not name:
// the column of the parameter the driver reported, or else the only column of the
// statement whose value breaks its type's limit of that kind (a string longer than its
// String(n), an integer outside its SmallInt or Integer range).
func describeData(err error, comp *compile.Compiled) {
	var de *DataError
	if !errors.As(err, &de) || de.Column != "" {
		return
	}
	if de.Param > 0 && de.Param <= len(comp.ArgColumns) {
		de.Column = comp.ArgColumns[de.Param-1]
		return
	}
	found := ""
	for i, a := range comp.Args {
		if i >= len(comp.ArgColumns) || i >= len(comp.ArgTypes) || comp.ArgColumns[i] == "" {
			continue
		}
		if !breaksLimit(a, comp.ArgTypes[i], de.Kind) {
			continue
		}
		if found != "" && found != comp.ArgColumns[i] {
			return // more than one candidate: name none
		}
		found = comp.ArgColumns[i]
	}
	de.Column = found
}

// breaksLimit reports whether v, bound for a column of type t, is beyond t's limit of
// kind k: longer than a String(n) for TooLong, outside a SmallInt's or Integer's range
// for OutOfRange.
func breaksLimit(v any, t types.Type, k DataKind) bool {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	switch k {
	case TooLong:
		if t.Kind != types.KindString || t.Length <= 0 {
			return false
		}
		switch rv.Kind() {
		case reflect.String:
			return utf8.RuneCountInString(rv.String()) > t.Length
		case reflect.Slice:
			return rv.Type().Elem().Kind() == reflect.Uint8 && utf8.RuneCount(rv.Bytes()) > t.Length
		}
	case OutOfRange:
		var lo, hi int64
		switch t.Kind {
		case types.KindSmallInt:
			lo, hi = -1<<15, 1<<15-1
		case types.KindInteger:
			lo, hi = -1<<31, 1<<31-1
		default:
			return false
		}
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n := rv.Int()
			return n < lo || n > hi
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return rv.Uint() > uint64(hi)
		}
	}
	return false
}
