package types

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// RawJSON is the canonical Go value of a JSON column: the document's encoded text.
// It is json.RawMessage under another name so that it marshals as the document itself.
type RawJSON = json.RawMessage

// UUID is a 128-bit universally unique identifier, the canonical Go value of a UUID column.
type UUID [16]byte

// ErrInvalidUUID is returned by ParseUUID for text that is not a UUID.
var ErrInvalidUUID = errors.New("types: invalid UUID")

// ParseUUID parses the canonical 36-character form (8-4-4-4-12 hex digits) or 32 bare hex digits.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	var digits [32]byte
	n := 0
	switch len(s) {
	case 36:
		for i := 0; i < 36; i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return u, fmt.Errorf("%w: %q", ErrInvalidUUID, s)
				}
				continue
			}
			digits[n] = s[i]
			n++
		}
	case 32:
		copy(digits[:], s)
	default:
		return u, fmt.Errorf("%w: %q", ErrInvalidUUID, s)
	}
	if _, err := hex.Decode(u[:], digits[:]); err != nil {
		return u, fmt.Errorf("%w: %q", ErrInvalidUUID, s)
	}
	return u, nil
}

// String returns u in the canonical 8-4-4-4-12 form.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// MarshalText encodes u in the canonical form.
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText decodes the canonical form or 32 bare hex digits.
func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// Null is a value of T that may be SQL NULL. Valid is false for NULL.
// It is a plain value: safe for concurrent reads, it lives as long as the caller keeps it.
type Null[T any] struct {
	V     T
	Valid bool
}

// NullOf returns a valid Null holding v.
func NullOf[T any](v T) Null[T] { return Null[T]{V: v, Valid: true} }

// AnyValue returns the value as an any, or nil for NULL (for code that handles Null
// values of any T, such as the engine's echo).
func (n Null[T]) AnyValue() any {
	if !n.Valid {
		return nil
	}
	return n.V
}

// Ptr returns a pointer to the value, or nil for NULL.
func (n Null[T]) Ptr() *T {
	if !n.Valid {
		return nil
	}
	v := n.V
	return &v
}
