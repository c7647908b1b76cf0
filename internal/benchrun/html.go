package benchrun

import (
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The charts are inline SVG drawn here, so report.html needs nothing but
// itself: no scripts, fonts or styles from elsewhere, openable offline.
const (
	chartWidth   = 760
	chartHeight  = 300
	chartMarginL = 70
	chartMarginR = 40
	chartMarginT = 30
	chartMarginB = 45
	// percentileDecadesMax is how far right the latency chart reaches:
	// 5 decades is 99.999%.
	percentileDecadesMax = 5
)

type series struct {
	name  string
	color string
	xs    []float64
	ys    []float64
}

type chart struct {
	title, xLabel, yLabel string
	xMax, yMax            float64
	xTicks                []tick
	lines                 []series
}

type tick struct {
	at    float64
	label string
}

// svg renders c as an inline <svg> element. Inline SVG in HTML needs no
// namespace attribute, which keeps the file free of any URL.
func (c chart) svg() template.HTML {
	var b strings.Builder
	plotW := float64(chartWidth - chartMarginL - chartMarginR)
	plotH := float64(chartHeight - chartMarginT - chartMarginB)
	yMax := niceCeil(c.yMax)
	xMax := c.xMax
	if xMax <= 0 {
		xMax = 1
	}
	px := func(x float64) float64 { return chartMarginL + x/xMax*plotW }
	py := func(y float64) float64 { return chartMarginT + plotH - y/yMax*plotH }
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		chartWidth, chartHeight, chartWidth, chartHeight, template.HTMLEscapeString(c.title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="title">%s</text>`, chartMarginL, template.HTMLEscapeString(c.title))
	for i := 0; i <= 4; i++ {
		y := yMax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" class="grid"/>`, chartMarginL, px(xMax), py(y), py(y))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="ytick">%s</text>`, chartMarginL-6, py(y)+4, formatNum(y))
	}
	for _, t := range c.xTicks {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="xtick">%s</text>`, px(t.at), chartHeight-chartMarginB+16,
			template.HTMLEscapeString(t.label))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="xtick">%s</text>`, px(xMax/2), chartHeight-6,
		template.HTMLEscapeString(c.xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%.1f" class="ylabel" transform="rotate(-90 14 %.1f)">%s</text>`,
		py(yMax/2), py(yMax/2), template.HTMLEscapeString(c.yLabel))
	for i, s := range c.lines {
		var pts strings.Builder
		for j := range s.xs {
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(s.xs[j]), py(s.ys[j]))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, s.color, pts.String())
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="12" height="4" fill="%s"/><text x="%.1f" y="%d" class="legend">%s</text>`,
			px(xMax)-170, chartMarginT+6+i*16, s.color, px(xMax)-154, chartMarginT+11+i*16,
			template.HTMLEscapeString(s.name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds v up to a round number (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
// times a power of ten), so a chart's top is close to its highest point.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func formatNum(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

func throughputChart(rep *Report) chart {
	width := float64(rep.Config.BucketMillis) / 1000
	c := chart{title: "Throughput over time", xLabel: "seconds since start", yLabel: "MB/s"}
	prod := series{name: "produced MB/s", color: "#1f77b4"}
	cons := series{name: "consumed MB/s", color: "#d62728"}
	for _, s := range rep.Results.Timeline {
		mid := s.StartSeconds + width/2
		prod.xs, prod.ys = append(prod.xs, mid), append(prod.ys, float64(s.ProducedBytes)/1e6/width)
		cons.xs, cons.ys = append(cons.xs, mid), append(cons.ys, float64(s.ConsumedBytes)/1e6/width)
		c.xMax = max(c.xMax, s.StartSeconds+width)
		c.yMax = max(c.yMax, prod.ys[len(prod.ys)-1], cons.ys[len(cons.ys)-1])
	}
	for _, s := range []series{prod, cons} {
		if slicesAny(s.ys) {
			c.lines = append(c.lines, s)
		}
	}
	step := niceCeil(c.xMax / 8)
	for i := 0; float64(i)*step <= c.xMax+1e-9; i++ {
		x := float64(i) * step
		c.xTicks = append(c.xTicks, tick{at: x, label: strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64)})
	}
	return c
}

func slicesAny(ys []float64) bool {
	for _, y := range ys {
		if y > 0 {
			return true
		}
	}
	return false
}

// latencyChart plots latency against percentile on the usual HDR axis:
// x = log10(1/(1-q)), so 90%, 99%, 99.9% are evenly spaced.
func latencyChart(rep *Report) chart {
	c := chart{title: "Latency distribution", xLabel: "percentile", yLabel: "latency µs", xMax: percentileDecadesMax}
	for i, l := range []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"} {
		c.xTicks = append(c.xTicks, tick{at: float64(i), label: l})
	}
	colors := []string{"#1f77b4", "#d62728", "#2ca02c"}
	for i, k := range latencyKinds(rep) {
		s := series{name: k.name + " latency", color: colors[i%len(colors)]}
		for _, p := range k.l.Points {
			q := min(p.Percentile/100, 1-math.Pow(10, -percentileDecadesMax))
			s.xs = append(s.xs, -math.Log10(1-q))
			s.ys = append(s.ys, float64(p.Micros))
			c.yMax = max(c.yMax, float64(p.Micros))
		}
		c.lines = append(c.lines, s)
	}
	return c
}

type namedLatency struct {
	name string
	l    *Latency
}

func latencyKinds(rep *Report) []namedLatency {
	var out []namedLatency
	if g := rep.Results.Producers; g != nil && g.Send != nil {
		out = append(out, namedLatency{"send", g.Send})
	}
	if g := rep.Results.Producers; g != nil && g.Poll != nil {
		out = append(out, namedLatency{"poll", g.Poll})
	}
	if g := rep.Results.Consumers; g != nil && g.Poll != nil {
		out = append(out, namedLatency{"poll", g.Poll})
	}
	if rep.Results.EndToEnd != nil {
		out = append(out, namedLatency{"end-to-end", rep.Results.EndToEnd})
	}
	return out
}

const reportHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>runnel-bench {{.R.Scenario}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}
.title{font-weight:600;font-size:14px}.grid{stroke:#e5e5e5}.ytick{text-anchor:end;font-size:11px}
.xtick{text-anchor:middle;font-size:11px}.ylabel{text-anchor:middle;font-size:12px}.legend{font-size:12px}
</style></head><body>
<h1>runnel-bench: {{.R.Scenario}}</h1>
<p>{{.R.StartedAt.Format "2006-01-02 15:04:05 MST"}} · {{.R.SDK}} · fsync {{.R.Config.Fsync}} · commit {{.R.GitCommit}} · {{.R.GoVersion}}</p>
<p>{{.R.Machine.CPUModel}}, {{.R.Machine.Cores}} cores, {{.MemGiB}} GiB, kernel {{.R.Machine.Kernel}}</p>
<h2>Totals</h2>
<table><tr><th class="l">what</th><th>messages</th><th>MB</th><th>seconds</th><th>MB/s</th><th>msg/s</th></tr>
{{range .Rows}}<tr><td class="l">{{.Name}}</td><td>{{.T.Messages}}</td><td>{{printf "%.1f" .MB}}</td><td>{{printf "%.3f" .T.DurationSeconds}}</td><td>{{printf "%.1f" .T.MBPerSecond}}</td><td>{{printf "%.0f" .T.MsgPerSecond}}</td></tr>
{{end}}</table>
<p>Messages expected {{.R.Results.MessagesExpected}}, sent {{.R.Results.MessagesSent}}, received {{.R.Results.MessagesReceived}} (expected {{.R.Results.ReceivedExpected}}).</p>
<h2>Latency (µs)</h2>
<table><tr><th class="l">kind</th><th>count</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th></tr>
{{range .Lat}}<tr><td class="l">{{.Name}}</td><td>{{.L.Count}}</td><td>{{.L.P50}}</td><td>{{.L.P90}}</td><td>{{.L.P95}}</td><td>{{.L.P99}}</td><td>{{.L.P999}}</td><td>{{.L.P9999}}</td><td>{{.L.Max}}</td></tr>
{{end}}</table>
{{.Throughput}}
{{.Latency}}
<h2>Actors</h2>
<table><tr><th class="l">role</th><th>id</th><th class="l">stream</th><th>partition</th><th>messages</th><th>MB/s</th><th>msg/s</th><th>p50 µs</th><th>p99 µs</th><th>max µs</th></tr>
{{range .Actors}}<tr><td class="l">{{.A.Role}}</td><td>{{.A.ID}}</td><td class="l">{{.A.Stream}}</td><td>{{.A.Partition}}</td><td>{{.A.Messages}}</td><td>{{printf "%.1f" .A.MBPerSecond}}</td><td>{{printf "%.0f" .A.MsgPerSecond}}</td>{{with .L}}<td>{{.P50}}</td><td>{{.P99}}</td><td>{{.Max}}</td>{{else}}<td></td><td></td><td></td>{{end}}</tr>
{{end}}</table>
<h2>Configuration</h2>
<pre>{{.ConfigJSON}}</pre>
</body></html>
`

type totalRow struct {
	Name string
	T    Throughput
	MB   float64
}

type latRow struct {
	Name string
	L    *Latency
}

type actorRow struct {
	A Actor
	L *Latency
}

// WriteHTML writes rep to dir/report.html.
func WriteHTML(dir string, rep *Report, configJSON string) error {
	data := struct {
		R                   *Report
		MemGiB              string
		Rows                []totalRow
		Lat                 []latRow
		Actors              []actorRow
		Throughput, Latency template.HTML
		ConfigJSON          string
	}{R: rep, MemGiB: fmt.Sprintf("%.1f", float64(rep.Machine.MemoryBytes)/(1<<30)),
		Throughput: throughputChart(rep).svg(), Latency: latencyChart(rep).svg(), ConfigJSON: configJSON}
	res := rep.Results
	data.Rows = append(data.Rows, totalRow{"total", res.Total, float64(res.Total.Bytes) / 1e6})
	if res.Producers != nil {
		data.Rows = append(data.Rows, totalRow{"producers", res.Producers.Throughput, float64(res.Producers.Bytes) / 1e6})
	}
	if res.Consumers != nil {
		data.Rows = append(data.Rows, totalRow{"consumers", res.Consumers.Throughput, float64(res.Consumers.Bytes) / 1e6})
	}
	for _, k := range latencyKinds(rep) {
		data.Lat = append(data.Lat, latRow{k.name, k.l})
	}
	for _, a := range res.Actors {
		l := a.Send
		switch {
		case a.EndToEnd != nil:
			l = a.EndToEnd
		case l == nil:
			l = a.Poll
		}
		data.Actors = append(data.Actors, actorRow{A: a, L: l})
	}
	f, err := os.Create(filepath.Join(dir, "report.html"))
	if err != nil {
		return fmt.Errorf("benchrun: write html report: %w", err)
	}
	tmpl, err := template.New("report").Parse(reportHTML)
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("benchrun: html template: %w", err)
	}
	if err := tmpl.Execute(f, data); err != nil {
		_ = f.Close()
		return fmt.Errorf("benchrun: write html report: %w", err)
	}
	return f.Close()
}
