package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when goroutines are still running after them (a
// pool, stream or watcher that was not shut down).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
