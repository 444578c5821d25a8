// Package logcapture records what an engine echoes, for tests: a Recorder is a
// slog.Handler that keeps each echoed statement as "SQL" or "SQL | args", and an
// io.Writer that keeps each line a program prints as "> line", in one ordered list, so a
// test can see which SQL ran before which output.
//
// A Recorder's zero value is ready to use. All its methods may be called from several
// goroutines at once (an engine logs from whichever goroutine runs the statement). A
// Recorder keeps everything it is given until Take or Reset, so it belongs to one test
// and should not outlive it. It imports only the standard library and is for tests only.
package logcapture
