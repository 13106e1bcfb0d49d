package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strings"
)

// Layout of the chart, in SVG user units (pixels).
const (
	chartWidth = 960
	labelX     = 24  // left edge of the labels
	barX       = 230 // left edge of the bars
	barWidth   = 440 // the longest bar
	// loadBarWidth is the longest load test bar, shorter to leave room for
	// its longer note.
	loadBarWidth = 260
	rowHeight    = 24
	barHeight    = 16
)

// Colours: bankhook stands out; peers and the bare handler are grey.
const (
	colourBase  = "#1f6feb"
	colourPeer  = "#8c959f"
	colourGrid  = "#d0d7de"
	colourText  = "#24292f"
	colourMuted = "#57606a"
	colourMiss  = "#cf222e"
	colourMet   = "#1a7f37"
)

// svg accumulates the chart's elements top to bottom.
type svg struct {
	b bytes.Buffer
	y float64 // the next free line
}

func (s *svg) text(x, y float64, size int, fill, anchor, weight, t string) {
	fmt.Fprintf(&s.b, `<text x="%.1f" y="%.1f" font-size="%d" fill="%s" text-anchor="%s" font-weight="%s">%s</text>`+"\n",
		x, y, size, fill, anchor, weight, html.EscapeString(t))
}

func (s *svg) rect(x, y, w, h float64, fill string) {
	fmt.Fprintf(&s.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x, y, w, h, fill)
}

func (s *svg) line(x1, y1, x2, y2 float64, stroke string, dash bool) {
	d := ""
	if dash {
		d = ` stroke-dasharray="4 3"`
	}
	fmt.Fprintf(&s.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1"%s/>`+"\n", x1, y1, x2, y2, stroke, d)
}

// render draws the chart: a section of time per operation per benchmark
// group (log scale, ratios to the group's baseline), the dedupe memory
// against its budget, the loopback throughput, and the targets. The output
// depends only on its inputs.
func render(bf *benchFile, lf *loadFile) []byte {
	s := &svg{y: 36}
	s.text(labelX, s.y, 20, colourText, "start", "bold", "bankhook benchmarks")
	s.y += 22
	s.text(labelX, s.y, 12, colourMuted, "start", "normal", subtitle(bf))
	s.y += 18
	s.rect(labelX, s.y-9, 10, 10, colourBase)
	s.text(labelX+14, s.y, 11, colourMuted, "start", "normal", "bankhook")
	s.rect(labelX+80, s.y-9, 10, 10, colourPeer)
	s.text(labelX+94, s.y, 11, colourMuted, "start", "normal", "peer library or bare handler")
	s.y += 30

	s.timeSection(bf)
	s.memorySection(bf)
	if lf != nil {
		s.loadSection(lf)
	}
	s.targetSection(targets(bf, lf))

	var out bytes.Buffer
	fmt.Fprintf(&out, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`+"\n",
		chartWidth, s.y+16, chartWidth, s.y+16)
	fmt.Fprintf(&out, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	out.Write(s.b.Bytes())
	out.WriteString("</svg>\n")
	return out.Bytes()
}

// isBankhook reports whether r measures bankhook: the "bankhook" variant,
// or any chain but the bare handler.
func isBankhook(r *result) bool {
	if r.group == "BenchmarkChain" {
		return r.variant != "bare"
	}
	return r.variant == "bankhook"
}

func subtitle(bf *benchFile) string {
	var parts []string
	for _, c := range bf.config {
		if k, v, ok := strings.Cut(c, ": "); ok && (k == "cpu" || k == "goos" || k == "goarch") {
			parts = append(parts, strings.TrimSpace(v))
		}
	}
	n := 0
	for _, r := range bf.results {
		n = max(n, len(r.samples["ns/op"]))
	}
	parts = append(parts, fmt.Sprintf("median of %d runs", n))
	return strings.Join(parts, " · ")
}

// timeSection draws every benchmark with sub-benchmarks as bars of median
// ns/op on one log scale.
func (s *svg) timeSection(bf *benchFile) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range bf.results {
		if v, ok := r.median("ns/op"); ok && r.variant != "" && v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		return
	}
	dLo, dHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dHi == dLo {
		dHi++
	}
	xOf := func(v float64) float64 {
		return barX + (math.Log10(v)-dLo)/(dHi-dLo)*barWidth
	}

	s.text(labelX, s.y, 15, colourText, "start", "bold", "Time per operation (median, log scale; shorter is faster)")
	s.y += 22
	for d := dLo; d <= dHi; d++ {
		s.text(xOf(math.Pow(10, d)), s.y, 10, colourMuted, "middle", "normal", formatNs(math.Pow(10, d)))
	}
	s.y += 8
	gridTop := s.y

	group := ""
	for _, r := range bf.results {
		if r.variant == "" {
			continue
		}
		v, ok := r.median("ns/op")
		if !ok {
			continue
		}
		if r.group != group {
			group = r.group
			s.y += 6
			s.text(labelX, s.y+14, 13, colourText, "start", "bold", strings.TrimPrefix(group, "Benchmark"))
			s.y += rowHeight
		}
		fill := colourPeer
		if isBankhook(r) {
			fill = colourBase
		}
		s.text(labelX+12, s.y+barHeight-3, 12, colourText, "start", "normal", r.variant)
		w := math.Max(xOf(v)-barX, 2)
		s.rect(barX, s.y, w, barHeight, fill)
		note := formatNs(v)
		if a, ok := r.median("allocs/op"); ok {
			note += fmt.Sprintf(", %s allocs/op", trimFloat(a))
		}
		if x, ok := ratio(bf, r); ok {
			note += fmt.Sprintf(" — %s %s's time", formatRatio(x), baseline(r.group))
		}
		s.text(barX+w+6, s.y+barHeight-3, 12, colourText, "start", "normal", note)
		s.y += rowHeight
	}
	for d := dLo; d <= dHi; d++ {
		x := xOf(math.Pow(10, d))
		s.line(x, gridTop, x, s.y, colourGrid, true)
	}
	s.y += 24
}

// memorySection draws the dedupe store's heap against its 30 MB budget.
func (s *svg) memorySection(bf *benchFile) {
	r := bf.get("BenchmarkDedupeMemory")
	if r == nil {
		return
	}
	mb, ok := r.median("heapMB/100k-keys")
	if !ok {
		return
	}
	const budget = 30.0
	scale := math.Max(budget, mb) * 1.1
	s.text(labelX, s.y, 15, colourText, "start", "bold", "Dedupe memory: LRU store, 100,000 bunq keys (budget 30 MB)")
	s.y += 12
	s.text(labelX+12, s.y+barHeight-3, 12, colourText, "start", "normal", "bankhook LRUStore")
	w := mb / scale * barWidth
	s.rect(barX, s.y, w, barHeight, colourBase)
	bx := barX + budget/scale*barWidth
	s.line(bx, s.y-4, bx, s.y+barHeight+4, colourMiss, true)
	s.text(bx, s.y-6, 10, colourMiss, "middle", "normal", "30 MB")
	s.text(math.Max(barX+w, bx)+6, s.y+barHeight-3, 12, colourText, "start", "normal", fmt.Sprintf("%.1f MB", mb))
	s.y += rowHeight + 24
}

// loadSection draws the loopback load test's requests per second.
func (s *svg) loadSection(lf *loadFile) {
	hi := 0.0
	for _, r := range lf.rows {
		hi = math.Max(hi, r.rate)
	}
	if hi == 0 {
		return
	}
	bare, haveBare := lf.row("bare")
	s.text(labelX, s.y, 15, colourText, "start", "bold", "Loopback throughput (requests/s, linear; longer is better)")
	s.y += 18
	for _, c := range lf.comments {
		if rest, ok := strings.CutPrefix(c, "pinning: "); ok {
			s.text(labelX, s.y, 11, colourMuted, "start", "normal", "pinning: "+rest)
			s.y += 16
		}
	}
	s.y += 4
	for _, r := range lf.rows {
		fill := colourBase
		if r.server == "bare" {
			fill = colourPeer
		}
		s.text(labelX+12, s.y+barHeight-3, 12, colourText, "start", "normal", r.server)
		w := math.Max(r.rate/hi*loadBarWidth, 2)
		s.rect(barX, s.y, w, barHeight, fill)
		note := fmt.Sprintf("%.0f req/s, p99 %v", r.rate, r.p99)
		if haveBare && bare.rate > 0 && r.server != "bare" {
			note += fmt.Sprintf(" — %.1f%% of bare", 100*r.rate/bare.rate)
			if r.perCPU > 0 && bare.perCPU > 0 {
				note += fmt.Sprintf(" (%.1f%% per server CPU-s)", 100*r.perCPU/bare.perCPU)
			}
		}
		s.text(barX+w+6, s.y+barHeight-3, 12, colourText, "start", "normal", note)
		s.y += rowHeight
	}
	s.y += 24
}

// targetSection lists the goals and whether this run met them.
func (s *svg) targetSection(ts []target) {
	s.text(labelX, s.y, 15, colourText, "start", "bold", "Targets")
	s.y += 8
	for _, t := range ts {
		s.y += 20
		fill := colourMuted
		switch t.verdict() {
		case "met":
			fill = colourMet
		case "missed":
			fill = colourMiss
		}
		s.text(labelX+12, s.y, 12, colourText, "start", "normal", t.what)
		v := t.value
		if v == "" {
			v = "—"
		}
		s.text(chartWidth-200, s.y, 12, colourText, "end", "normal", v+"  (goal "+t.goal+")")
		s.text(chartWidth-180, s.y, 12, fill, "start", "bold", t.verdict())
	}
	s.y += 8
}
