package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// libColor gives each library of the chart its colour.
var libColor = map[string]string{
	"retort": "#d6452f",
	"pgx":    "#555555",
	"stdlib": "#9a9a9a",
	"bun":    "#3b7dd8",
	"gorm":   "#2ea36b",
	"ent":    "#8e5cc7",
}

// writeSVG draws the PostgreSQL ratios to raw pgx: one group of bars per case, one bar
// per library, on a logarithmic axis, each bar starting at 1.0 (above: slower than pgx).
func writeSVG(w io.Writer, cases map[string]map[string][]sample) {
	const (
		barW, gap          = 18.0, 24.0
		left, top          = 60.0, 50.0
		plotH, bottomSpace = 300.0, 70.0
	)
	order := ordered(keys(cases), caseOrder)
	libs := benchLibs
	groupW := float64(len(libs))*barW + gap
	width := left + float64(len(order))*groupW + 20
	height := top + plotH + bottomSpace

	// The axis spans powers of two around every ratio, at least 0.5 to 2.
	lo, hi := 0.5, 2.0
	for _, cs := range order {
		for _, lib := range libs {
			if r := ratio(cases[cs], lib, "pgx"); !math.IsNaN(r) && r > 0 {
				for r < lo {
					lo /= 2
				}
				for r > hi {
					hi *= 2
				}
			}
		}
	}
	y := func(r float64) float64 {
		return top + plotH*(math.Log2(hi)-math.Log2(r))/(math.Log2(hi)-math.Log2(lo))
	}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14" font-weight="bold">PostgreSQL: wall time per op as a ratio to raw pgx (log scale, lower is faster; median of the runs)</text>`+"\n", left)
	// Legend.
	lx := left
	for _, lib := range libs {
		fmt.Fprintf(&b, `<rect x="%.0f" y="30" width="10" height="10" fill="%s"/><text x="%.0f" y="39">%s</text>`+"\n", lx, libColor[lib], lx+14, lib)
		lx += 70
	}
	// Grid lines at powers of two.
	for r := lo; r <= hi*1.0001; r *= 2 {
		stroke, dash := "#dddddd", ""
		if r == 1 {
			stroke, dash = "#333333", ` stroke-dasharray="4 3"`
		}
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="%s"%s/>`+"\n", left, width-20, y(r), y(r), stroke, dash)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s×</text>`+"\n", left-6, y(r)+4, trimRatio(r))
	}
	for gi, cs := range order {
		x0 := left + float64(gi)*groupW + gap/2
		for li, lib := range libs {
			r := ratio(cases[cs], lib, "pgx")
			if math.IsNaN(r) || r <= 0 {
				continue
			}
			x := x0 + float64(li)*barW
			y1, y2 := y(1), y(r)
			top, h := math.Min(y1, y2), math.Abs(y1-y2)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.2f×</title></rect>`+"\n",
				x, top, barW-2, math.Max(h, 1), libColor[lib], cs, lib, r)
			ty := y2 - 3
			if r < 1 {
				ty = y2 + 10
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="8" text-anchor="middle">%.2f</text>`+"\n", x+(barW-2)/2, ty, r)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-weight="bold">%s</text>`+"\n",
			x0+float64(len(libs))*barW/2, top+plotH+20, cs)
	}
	fmt.Fprintln(&b, "</svg>")
	io.WriteString(w, b.String())
}

func trimRatio(r float64) string {
	s := fmt.Sprintf("%.3f", r)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
