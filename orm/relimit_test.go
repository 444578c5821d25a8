package orm

import (
	"strings"
	"testing"
)

// manyRels declares one relationship more than a model may have (maxRelationships).
type manyRels struct {
	ID  int64  `retort:"pk"`
	F0  *int64 `retort:"fk=a.id"`
	R0  *A     `retort:"rel,fk=f0"`
	F1  *int64 `retort:"fk=a.id"`
	R1  *A     `retort:"rel,fk=f1"`
	F2  *int64 `retort:"fk=a.id"`
	R2  *A     `retort:"rel,fk=f2"`
	F3  *int64 `retort:"fk=a.id"`
	R3  *A     `retort:"rel,fk=f3"`
	F4  *int64 `retort:"fk=a.id"`
	R4  *A     `retort:"rel,fk=f4"`
	F5  *int64 `retort:"fk=a.id"`
	R5  *A     `retort:"rel,fk=f5"`
	F6  *int64 `retort:"fk=a.id"`
	R6  *A     `retort:"rel,fk=f6"`
	F7  *int64 `retort:"fk=a.id"`
	R7  *A     `retort:"rel,fk=f7"`
	F8  *int64 `retort:"fk=a.id"`
	R8  *A     `retort:"rel,fk=f8"`
	F9  *int64 `retort:"fk=a.id"`
	R9  *A     `retort:"rel,fk=f9"`
	F10 *int64 `retort:"fk=a.id"`
	R10 *A     `retort:"rel,fk=f10"`
	F11 *int64 `retort:"fk=a.id"`
	R11 *A     `retort:"rel,fk=f11"`
	F12 *int64 `retort:"fk=a.id"`
	R12 *A     `retort:"rel,fk=f12"`
	F13 *int64 `retort:"fk=a.id"`
	R13 *A     `retort:"rel,fk=f13"`
	F14 *int64 `retort:"fk=a.id"`
	R14 *A     `retort:"rel,fk=f14"`
	F15 *int64 `retort:"fk=a.id"`
	R15 *A     `retort:"rel,fk=f15"`
	F16 *int64 `retort:"fk=a.id"`
	R16 *A     `retort:"rel,fk=f16"`
	F17 *int64 `retort:"fk=a.id"`
	R17 *A     `retort:"rel,fk=f17"`
	F18 *int64 `retort:"fk=a.id"`
	R18 *A     `retort:"rel,fk=f18"`
	F19 *int64 `retort:"fk=a.id"`
	R19 *A     `retort:"rel,fk=f19"`
	F20 *int64 `retort:"fk=a.id"`
	R20 *A     `retort:"rel,fk=f20"`
	F21 *int64 `retort:"fk=a.id"`
	R21 *A     `retort:"rel,fk=f21"`
	F22 *int64 `retort:"fk=a.id"`
	R22 *A     `retort:"rel,fk=f22"`
	F23 *int64 `retort:"fk=a.id"`
	R23 *A     `retort:"rel,fk=f23"`
	F24 *int64 `retort:"fk=a.id"`
	R24 *A     `retort:"rel,fk=f24"`
	F25 *int64 `retort:"fk=a.id"`
	R25 *A     `retort:"rel,fk=f25"`
	F26 *int64 `retort:"fk=a.id"`
	R26 *A     `retort:"rel,fk=f26"`
	F27 *int64 `retort:"fk=a.id"`
	R27 *A     `retort:"rel,fk=f27"`
	F28 *int64 `retort:"fk=a.id"`
	R28 *A     `retort:"rel,fk=f28"`
	F29 *int64 `retort:"fk=a.id"`
	R29 *A     `retort:"rel,fk=f29"`
	F30 *int64 `retort:"fk=a.id"`
	R30 *A     `retort:"rel,fk=f30"`
	F31 *int64 `retort:"fk=a.id"`
	R31 *A     `retort:"rel,fk=f31"`
	F32 *int64 `retort:"fk=a.id"`
	R32 *A     `retort:"rel,fk=f32"`
	F33 *int64 `retort:"fk=a.id"`
	R33 *A     `retort:"rel,fk=f33"`
	F34 *int64 `retort:"fk=a.id"`
	R34 *A     `retort:"rel,fk=f34"`
	F35 *int64 `retort:"fk=a.id"`
	R35 *A     `retort:"rel,fk=f35"`
	F36 *int64 `retort:"fk=a.id"`
	R36 *A     `retort:"rel,fk=f36"`
	F37 *int64 `retort:"fk=a.id"`
	R37 *A     `retort:"rel,fk=f37"`
	F38 *int64 `retort:"fk=a.id"`
	R38 *A     `retort:"rel,fk=f38"`
	F39 *int64 `retort:"fk=a.id"`
	R39 *A     `retort:"rel,fk=f39"`
	F40 *int64 `retort:"fk=a.id"`
	R40 *A     `retort:"rel,fk=f40"`
	F41 *int64 `retort:"fk=a.id"`
	R41 *A     `retort:"rel,fk=f41"`
	F42 *int64 `retort:"fk=a.id"`
	R42 *A     `retort:"rel,fk=f42"`
	F43 *int64 `retort:"fk=a.id"`
	R43 *A     `retort:"rel,fk=f43"`
	F44 *int64 `retort:"fk=a.id"`
	R44 *A     `retort:"rel,fk=f44"`
	F45 *int64 `retort:"fk=a.id"`
	R45 *A     `retort:"rel,fk=f45"`
	F46 *int64 `retort:"fk=a.id"`
	R46 *A     `retort:"rel,fk=f46"`
	F47 *int64 `retort:"fk=a.id"`
	R47 *A     `retort:"rel,fk=f47"`
	F48 *int64 `retort:"fk=a.id"`
	R48 *A     `retort:"rel,fk=f48"`
	F49 *int64 `retort:"fk=a.id"`
	R49 *A     `retort:"rel,fk=f49"`
	F50 *int64 `retort:"fk=a.id"`
	R50 *A     `retort:"rel,fk=f50"`
	F51 *int64 `retort:"fk=a.id"`
	R51 *A     `retort:"rel,fk=f51"`
	F52 *int64 `retort:"fk=a.id"`
	R52 *A     `retort:"rel,fk=f52"`
	F53 *int64 `retort:"fk=a.id"`
	R53 *A     `retort:"rel,fk=f53"`
	F54 *int64 `retort:"fk=a.id"`
	R54 *A     `retort:"rel,fk=f54"`
	F55 *int64 `retort:"fk=a.id"`
	R55 *A     `retort:"rel,fk=f55"`
	F56 *int64 `retort:"fk=a.id"`
	R56 *A     `retort:"rel,fk=f56"`
	F57 *int64 `retort:"fk=a.id"`
	R57 *A     `retort:"rel,fk=f57"`
	F58 *int64 `retort:"fk=a.id"`
	R58 *A     `retort:"rel,fk=f58"`
	F59 *int64 `retort:"fk=a.id"`
	R59 *A     `retort:"rel,fk=f59"`
	F60 *int64 `retort:"fk=a.id"`
	R60 *A     `retort:"rel,fk=f60"`
	F61 *int64 `retort:"fk=a.id"`
	R61 *A     `retort:"rel,fk=f61"`
	F62 *int64 `retort:"fk=a.id"`
	R62 *A     `retort:"rel,fk=f62"`
	F63 *int64 `retort:"fk=a.id"`
	R63 *A     `retort:"rel,fk=f63"`
	F64 *int64 `retort:"fk=a.id"`
	R64 *A     `retort:"rel,fk=f64"`
}

func TestRegisterTooManyRelationships(t *testing.T) {
	reg := NewRegistry()
	mustRegister[A](t, reg)
	errs := mappingErrors[manyRels](t, reg)
	if len(errs) != 1 || errs[0].Field != "R64" || !strings.Contains(errs[0].Error(), "at most 64 relationships") {
		t.Fatalf("errors %v, want one naming field R64 and the limit of 64 relationships", errs)
	}
}
