package main

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/readmostly/readmostly/bench"
)

// A chartFormat is an output format for charts.
type chartFormat struct {
	ext string
	// canvas returns a canvas of the given size and the function that
	// writes what was drawn on it.
	canvas func(w, h vg.Length) (vg.CanvasSizer, func(io.Writer) (int64, error))
}

var chartFormats = []chartFormat{
	{ext: "svg", canvas: func(w, h vg.Length) (vg.CanvasSizer, func(io.Writer) (int64, error)) {
		c := vgsvg.New(w, h)
		return c, c.WriteTo
	}},
	{ext: "png", canvas: func(w, h vg.Length) (vg.CanvasSizer, func(io.Writer) (int64, error)) {
		c := vgimg.New(w, h)
		return c, vgimg.PngCanvas{Canvas: c}.WriteTo
	}},
}

// Chart geometry: one panel per goroutine count and one for the legend,
// in as few rows of at most chartCols panels as hold them, filled evenly.
const (
	chartCols   = 3
	panelWidth  = 4 * vg.Inch
	panelHeight = 3 * vg.Inch
)

// oversubscribedShade marks the GOMAXPROCS values above the CPU count.
var oversubscribedShade = color.Gray{Y: 230}

// writeChart draws wl's results, ns/op against GOMAXPROCS with one line per
// implementation and one panel per goroutine count, to path.
func writeChart(path string, format chartFormat, rep *report, wl bench.Workload) error {
	data, err := chartDataFor(rep, wl)
	if err != nil {
		return err
	}
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	var panels []*plot.Plot
	for _, g := range data.goroutines {
		p, err := data.panel(wl, g, rep.Machine.CPUs, &legend, len(panels) == 0)
		if err != nil {
			return err
		}
		panels = append(panels, p)
	}
	var note string
	if rep.Machine.CPUs < data.procs[len(data.procs)-1] {
		note = fmt.Sprintf("shaded: oversubscribed,\nGOMAXPROCS > %d CPUs", rep.Machine.CPUs)
	}
	return writeFile(path, drawTiles(format, panels, legend, note))
}

// chartData is one workload's results, as a chart needs them.
type chartData struct {
	cells []result
	// impls, procs and goroutines are the values the cells have, impls
	// and goroutines in the order of the results, procs ascending.
	impls             []string
	procs, goroutines []int
	// The axes' ranges, the same for all panels, so that panels compare
	// at a glance.
	xMin, xMax, yMin, yMax float64
}

// chartDataFor collects wl's results from rep.
func chartDataFor(rep *report, wl bench.Workload) (chartData, error) {
	var d chartData
	for _, r := range rep.Results {
		if r.Workload == wl.Name {
			d.cells = append(d.cells, r)
		}
	}
	if len(d.cells) == 0 {
		return d, fmt.Errorf("no results for workload %s", wl.Name)
	}
	ns := make([]float64, len(d.cells))
	for i, c := range d.cells {
		d.impls = appendNew(d.impls, c.Impl)
		d.procs = appendNew(d.procs, c.Procs)
		d.goroutines = appendNew(d.goroutines, c.Goroutines)
		ns[i] = c.NsPerOp
	}
	slices.Sort(d.procs)
	d.yMin, d.yMax = slices.Min(ns)/1.3, slices.Max(ns)*1.3
	d.xMin, d.xMax = float64(d.procs[0])/1.4, float64(d.procs[len(d.procs)-1])*1.4
	return d, nil
}

// panel draws the results for g goroutines, one line per implementation,
// and adds the lines to legend if addToLegend.
func (d chartData) panel(wl bench.Workload, g, cpus int, legend *plot.Legend, addToLegend bool) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s, %d goroutine%s", wl.Name, g, plural(g))
	p.X.Label.Text = "GOMAXPROCS"
	p.Y.Label.Text = "ns/op (lower is faster)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = d.xMin, d.xMax, d.yMin, d.yMax
	p.X.Tick.Marker = procTicks(d.procs, cpus)
	p.Y.Tick.Marker = plot.TickerFunc(logTicks125)
	if shade := oversubscribedArea(d.procs, cpus, d.xMax, d.yMin, d.yMax); shade != nil {
		p.Add(shade)
	}
	p.Add(plotter.NewGrid())
	for i, impl := range d.impls {
		var xys plotter.XYs
		for _, c := range d.cells {
			if c.Impl == impl && c.Goroutines == g {
				xys = append(xys, plotter.XY{X: float64(c.Procs), Y: c.NsPerOp})
			}
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		styleLine(line, points, i, impl == d.cells[0].Baseline)
		p.Add(line, points)
		if addToLegend {
			legend.Add(impl, line, points)
		}
	}
	return p, nil
}

// drawTiles lays the panels out in as few rows of at most chartCols as hold
// them and the legend, which takes the tile after the last panel, with note
// below it, on a canvas of format, and returns the function that writes the
// canvas.
func drawTiles(format chartFormat, panels []*plot.Plot, legend plot.Legend, note string) func(io.Writer) (int64, error) {
	tiles := len(panels) + 1
	rows := (tiles + chartCols - 1) / chartCols
	cols := (tiles + rows - 1) / rows
	canvas, writeTo := format.canvas(vg.Length(cols)*panelWidth, vg.Length(rows)*panelHeight)
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			if i := r*cols + c; i < len(panels) {
				grid[r][c] = panels[i]
			}
		}
	}
	t := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter, PadY: vg.Millimeter,
		PadTop: 2 * vg.Millimeter, PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	canvases := plot.Align(grid, t, draw.New(canvas))
	for i, p := range panels {
		p.Draw(canvases[i/cols][i%cols])
	}
	legendTile := padCanvas(canvases[len(panels)/cols][len(panels)%cols], 8*vg.Millimeter)
	legend.Draw(legendTile)
	if note != "" {
		legendTile.FillText(legend.TextStyle, vg.Point{X: legendTile.Min.X, Y: legendTile.Min.Y + 4*vg.Millimeter}, note)
	}
	return writeTo
}

// writeFile creates path and writes a drawn canvas to it.
func writeFile(path string, writeTo func(io.Writer) (int64, error)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := writeTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func appendNew[T comparable](list []T, v T) []T {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// styleLine gives implementation i its colour, dashes and marker; the
// baseline is drawn in black.
func styleLine(line *plotter.Line, points *plotter.Scatter, i int, baseline bool) {
	c := plotutil.Color(i)
	if baseline {
		c = color.Black
	}
	line.Color = c
	line.Width = vg.Points(1.5)
	line.Dashes = plotutil.Dashes(i)
	points.Color = c
	points.Shape = plotutil.Shape(i)
	points.Radius = vg.Points(3)
}

// procTicks labels exactly the measured GOMAXPROCS values, an asterisk
// marking the oversubscribed ones.
func procTicks(procs []int, cpus int) plot.ConstantTicks {
	ticks := make(plot.ConstantTicks, len(procs))
	for i, p := range procs {
		label := strconv.Itoa(p)
		if p > cpus {
			label += "*"
		}
		ticks[i] = plot.Tick{Value: float64(p), Label: label}
	}
	return ticks
}

// oversubscribedArea shades the part of the x axis beyond the CPU count,
// from halfway (on the log scale) between the CPU count and the next
// measured value; it returns nil if no value is oversubscribed.
func oversubscribedArea(procs []int, cpus int, xMax, yMin, yMax float64) *plotter.Polygon {
	i := slices.IndexFunc(procs, func(p int) bool { return p > cpus })
	if i < 0 {
		return nil
	}
	from := math.Sqrt(float64(cpus) * float64(procs[i]))
	if i == 0 {
		from = float64(procs[0]) / 1.2
	}
	poly, err := plotter.NewPolygon(plotter.XYs{{X: from, Y: yMin}, {X: xMax, Y: yMin}, {X: xMax, Y: yMax}, {X: from, Y: yMax}})
	if err != nil {
		return nil
	}
	poly.Color = oversubscribedShade
	poly.LineStyle.Width = 0
	return poly
}

// logTicks125 puts labelled ticks at 1, 2 and 5 times powers of ten and
// unlabelled ones at the other integer multiples, within [lo, hi]. Unlike
// plot.LogTicks it labels enough ticks to read a range narrower than a
// decade.
func logTicks125(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for decade := math.Pow(10, math.Floor(math.Log10(lo))); decade <= hi; decade *= 10 {
		for m := 1; m < 10; m++ {
			v := decade * float64(m)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// padCanvas shrinks c by pad on every side.
func padCanvas(c draw.Canvas, pad vg.Length) draw.Canvas {
	c.Min.X += pad
	c.Min.Y += pad
	c.Max.X -= pad
	c.Max.Y -= pad
	return c
}
