package expr

//go:generate go run ./internal/opsgen ops_gen.go
