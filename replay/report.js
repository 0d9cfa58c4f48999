/*
 * report.js - draws the flightrec incident report from the JSON of the
 * fr-data element (replay/report_data.c writes it; its keys below), with
 * d3 v3.  Nothing is fetched: the page's CSP forbids it.
 *
 * Data: t0 (ns, a string: beyond 2^53), span_us, bucket_us, nbuckets;
 * hosts [[host]]; archives [[host, path, records, start_utc, end_utc,
 * start_us, end_us, trigger type, detail, record, trigger_us, trigger_utc,
 * kernel, cpus, redacted (JSON), reason, bad_blocks, truncated_bytes]];
 * processes (count); lanes [[host, pid, ppid, comm, argv, start_us,
 * end_us, exit_code, exit_signal, depth, exe]]; marks [{kind, table,
 * legend, total, host_lane, cols, rows: [[lane, t_us, dur_us, label,
 * host, row...]]}]; series {name: [value per bucket]}; summary [{heading,
 * cols, rows}]; conns [[from, to, outcome, n, bytes, longest_us, from_host,
 * to_host]]; flame [[frames, samples]] when the archive has CPU samples.
 *
 * Every text from the archive goes into the page with .text(), never as
 * HTML: archives are untrusted.  When drawn, <html data-ready="1"> and
 * window.frReady (ms since navigation) mark the end, for tests and
 * benchmarks; errors are collected in window.frErrors.
 */
(function () {
"use strict";
window.frErrors = window.frErrors || [];
window.addEventListener("error", function (e) { window.frErrors.push(String(e.message)); });

var D = JSON.parse(document.getElementById("fr-data").textContent);
var T0 = BigInt(D.t0);
var SIG = ["", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
	"SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
	"SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"];
var CRASH = { 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 11: 1, 31: 1 };
/* how each kind of mark looks: colour, and a symbol (instants) or a bar (durations) */
var STYLE = {
	crash: { color: "#d7191c", symbol: "cross", size: 110, rank: 0 },
	oom: { color: "#a50f15", symbol: "cross", size: 110, rank: 1 },
	killed: { color: "#7a0177", symbol: "diamond", size: 70, rank: 2 },
	failed: { color: "#e6550d", symbol: "circle", size: 60, rank: 3 },
	security: { color: "#b8860b", symbol: "triangle-up", size: 70, rank: 4 },
	gap: { color: "#d7191c", bar: 1, rank: 5 },
	tls_error: { color: "#c51b8a", bar: 1, rank: 6 },
	http_error: { color: "#dd3497", bar: 1, rank: 7 },
	dns_error: { color: "#ae017e", bar: 1, rank: 8 },
	syscall_error: { color: "#f03b20", bar: 1, rank: 9 },
	conn: { color: "#2b8cbe", bar: 1, rank: 10 },
	syscall_slow: { color: "#fd8d3c", bar: 1, rank: 11 },
	io_slow: { color: "#8c6bb1", bar: 1, rank: 12 },
	runq: { color: "#41ab5d", bar: 1, rank: 13 },
	exec: { color: "#3182bd", symbol: "triangle-down", size: 40, rank: 14 },
	exit: { color: "#636363", symbol: "square", size: 30, rank: 15 }
};
var OUTCOME = { closed: "#74a9cf", open: "#0570b0", refused: "#d7191c", timeout: "#fe9929",
	"reset-sent": "#88419d", "reset-received": "#88419d" };
var NOTABLE = { crash: 1, oom: 1, killed: 1, failed: 1, security: 1, gap: 1, tls_error: 1, http_error: 1, dns_error: 1,
	syscall_error: 1, conn: 1, syscall_slow: 1, io_slow: 1, runq: 1 };

/* --- formatting ------------------------------------------------------------ */
function fmtDur(us) {
	if (us === null || us === undefined) return "";
	var a = Math.abs(us);
	if (a === 0) return "0";
	if (a < 1) return "<1 µs";
	if (a < 1000) return Math.round(us) + " µs";
	if (a < 1e6) return (us / 1e3).toFixed(a < 1e4 ? 2 : 1) + " ms";
	if (a < 6e7) return (us / 1e6).toFixed(a < 1e7 ? 3 : 2) + " s";
	var s = Math.round(us / 1e6);
	return Math.floor(s / 3600) ? Math.floor(s / 3600) + "h " + pad(Math.floor(s / 60) % 60) + "m"
		: Math.floor(s / 60) + "m " + pad(s % 60) + "s";
}
function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = "0" + n; return n; }
function fmtRel(us) { return us === 0 ? "0" : (us < 0 ? "−" : "+") + fmtDur(Math.abs(us)); }
/* ns since 1970 (a BigInt) as "2026-11-24 21:54:38.498912" UTC */
function utcNs(ns) {
	var ms = ns / 1000000n, us = (ns % 1000000n) / 1000n;
	if (us < 0n) { us += 1000n; }
	var d = new Date(Number(ms));
	if (isNaN(d.getTime())) return String(ns);
	return d.toISOString().slice(0, 19).replace("T", " ") + "." + pad(d.getUTCMilliseconds(), 3) + pad(Number(us), 3);
}
function utcUs(us) { return utcNs(T0 + BigInt(Math.round(us)) * 1000n); }
function num(n) { return n === null || n === undefined ? "" : Number(n).toLocaleString("en-US"); }
function sigName(n) { return SIG[n] || ("signal " + n); }
function ended(l) {
	if (l.exit_signal > 0) return (CRASH[l.exit_signal] ? "crashed: " : "killed by ") + sigName(l.exit_signal);
	if (l.end === null) return "running";
	if (l.exit_code > 0) return "exit " + l.exit_code;
	return l.exit_code === null ? "exited" : "exit " + l.exit_code;
}
/* "killed by signal 11" in a table cell: its name too */
function withSignalName(v) {
	return typeof v === "string" ? v.replace(/signal (\d+)/g, function (m, n) { return m + " (" + sigName(+n) + ")"; }) : v;
}
function el(parent, tag, cls, text) {
	var e = parent.append(tag);
	if (cls) e.attr("class", cls);
	if (text !== undefined) e.text(text);
	return e;
}

/* --- the model --------------------------------------------------------------- */
var hosts = D.hosts.map(function (h) { return h[0]; });
var lanes = D.lanes.map(function (r, i) {
	return { i: i, host: r[0], pid: r[1], ppid: r[2], comm: r[3], argv: r[4], start: r[5], end: r[6],
		exit_code: r[7], exit_signal: r[8], depth: r[9], exe: r[10] };
});
var kinds = {}, marks = [];
D.marks.forEach(function (k) {
	kinds[k.kind] = k;
	k.drawn = 0;
	k.rows.forEach(function (r) {
		var m = { kind: k.kind, lane: lanes[r[0]] ? r[0] : null, t: r[1], d: r[2] || 0, label: r[3], host: r[4],
			row: r.slice(5), k: k };
		if (m.lane === null && !k.host_lane && m.row[k.cols.indexOf("pid")] !== 0) return;
		k.drawn++;
		marks.push(m);
	});
});
/* rows of the timeline: per host, its own row (losses, unknown pids) then its processes in tree order */
var rows = [], hostRow = {};
hosts.forEach(function (h) {
	hostRow[h] = rows.length;
	rows.push({ host: h, isHost: 1 });
	lanes.forEach(function (l) { if (l.host === h) { l.row = rows.length; rows.push(l); } });
});
lanes.forEach(function (l) { if (l.row === undefined) { l.row = rows.length; rows.push(l); } });
marks.forEach(function (m) {
	m.r = m.lane === null ? hostRow[m.host] : lanes[m.lane].row;
	if (m.r === undefined) m.r = 0;
});

/* --- the page ------------------------------------------------------------------ */
var app = d3.select("#app");
var hostsText = hosts.join(", ") || "(no host)";
document.title = "flightrec report: " + hostsText + " " + (D.t0_utc || "");

var topbar = el(app, "header", "top");
var brand = el(topbar, "div", "brand");
el(brand, "span", "logo", "flightrec");
el(brand, "span", "what", "incident report");
el(topbar, "div", "where", hostsText + " · " + utcUs(0) + " UTC · " + fmtDur(D.span_us));
var nav = el(topbar, "nav");
[["overview", "Overview"], ["timeline", "Timeline"], ["charts", "Per second"], ["events", "Events"],
	["summary", "Summary"], ["connections", "Connections"]].concat(D.flame ? [["flame", "Flame graph"]] : [])
	.forEach(function (s) { el(nav, "a", null, s[1]).attr("href", "#" + s[0]); });

var main = el(app, "main");

function section(id, title, note) {
	var s = el(main, "section", "card").attr("id", id);
	var h = el(s, "h2", null, title);
	if (note) el(h, "span", "note", note);
	return s;
}

/* --- overview -------------------------------------------------------------------- */
(function overview() {
	var s = section("overview", "Overview");
	var grid = el(s, "div", "facts");
	function fact(label, value, cls) {
		var f = el(grid, "div", "fact" + (cls ? " " + cls : ""));
		el(f, "div", "label", label);
		el(f, "div", "value", value);
		return f;
	}
	fact("Window", utcUs(0) + " → " + utcUs(D.span_us) + " UTC");
	fact("Length", fmtDur(D.span_us));
	fact("Hosts", hostsText);
	var recs = D.archives.reduce(function (a, r) { return a + (r[2] || 0); }, 0);
	fact("Records", num(recs) + " in " + D.archives.length + " input" + (D.archives.length === 1 ? "" : "s"));
	fact("Processes", num(D.processes) + " seen, " + lanes.length + " drawn");
	var nCrash = kinds.crash ? kinds.crash.total : 0, nKill = kinds.killed ? kinds.killed.total : 0,
		nOom = kinds.oom ? kinds.oom.total : 0, nFail = kinds.failed ? kinds.failed.total : 0;
	fact("Crashes · kills · OOM · failed exits", num(nCrash) + " · " + num(nKill) + " · " + num(nOom) + " · " + num(nFail),
		nCrash + nOom ? "bad" : (nKill + nFail ? "warn" : ""));
	var lost = kinds.gap ? kinds.gap.total : 0;
	fact("Records lost", lost ? num(lost) + " (see the red gaps)" : "none", lost ? "bad" : "good");
	var red = [];
	D.archives.forEach(function (a) {
		try { JSON.parse(a[14] || "[]").forEach(function (x) { if (red.indexOf(x) < 0) red.push(x); }); } catch (e) {}
	});
	fact("Redacted", red.length ? red.join(", ") + " (keyed hashes)" : "nothing", red.length ? "warn" : "");

	var trig = el(s, "div", "triggers");
	D.archives.forEach(function (a) {
		var t = el(trig, "div", "trigger");
		el(t, "span", "badge", a[7] || "no manifest");
		el(t, "b", null, a[0] + ": ");
		el(t, "span", null, (a[8] || a[15] || a[1]) + (a[11] ? " at " + a[11].replace("T", " ").replace("Z", " UTC") : ""));
		if (a[9]) el(t, "code", "record", a[9]);
		el(t, "span", "dim", " · " + a[1] + (a[12] ? " · kernel " + a[12] : "") + (a[13] ? " · " + a[13] + " CPUs" : "") +
			(a[16] ? " · " + a[16] + " damaged blocks skipped" : ""));
	});

	/* the worst that happened, each a link into the timeline */
	var worst = marks.filter(function (m) { return STYLE[m.kind].rank <= 4; })
		.sort(function (a, b) { return STYLE[a.kind].rank - STYLE[b.kind].rank || a.t - b.t; }).slice(0, 12);
	if (worst.length) {
		var wd = el(s, "div", "worst");
		el(wd, "h3", null, "What went wrong");
		var ul = el(wd, "ul", "worstlist");
		worst.forEach(function (m) {
			var li = el(ul, "li");
			el(li, "span", "dot").style("background", STYLE[m.kind].color);
			el(li, "a", null, procName(m) + " — " + markText(m)).attr("href", "#timeline")
				.on("click", function () { select(m, true); });
			el(li, "span", "dim", " " + fmtRel(m.t));
		});
	}
})();

function procName(m) {
	if (m.lane === null) return m.host;
	var l = lanes[m.lane];
	return l.comm + " [" + l.pid + "]";
}
function markText(m) {
	var t = withSignalName(m.label);
	if (m.kind === "crash" || m.kind === "killed") {
		var s = m.row[m.k.cols.indexOf("exit_signal")];
		t = (m.kind === "crash" ? "crashed: " : "killed by ") + sigName(s) +
			(m.row[m.k.cols.indexOf("core_dumped")] ? " (core dumped)" : "");
		/* the crash stack's innermost named function, which the label ends with (report_data.c) */
		var fn = m.kind === "crash" && / in (.+)$/.exec(m.label);
		if (fn) t += " in " + fn[1];
	}
	if (m.d >= 1 && m.kind !== "conn") t += " (" + fmtDur(m.d) + ")";
	if (m.kind === "conn") t += ", " + fmtDur(m.d);
	return t;
}

/* --- timeline ----------------------------------------------------------------------- */
var LANE_H = 20, LABEL_W = 290, AXIS_H = 26;
var tl = section("timeline", "Timeline",
	"one lane per process, grouped by host and process tree · wheel: zoom · drag: pan · click a mark for its row");
var toolbar = el(tl, "div", "toolbar");
var hidden = {};
var legend = el(toolbar, "div", "legend");
D.marks.filter(function (k) { return k.total > 0; })
	.sort(function (a, b) { return STYLE[a.kind].rank - STYLE[b.kind].rank; })
	.forEach(function (k) {
		var b = el(legend, "button", "chip").attr("type", "button").attr("data-kind", k.kind)
			.attr("title", num(k.total) + " in all, " + num(k.drawn) + " drawn" +
				(k.total > k.drawn ? " (the rest are counted in the strips above the lanes)" : ""));
		el(b, "span", "sw").style("background", STYLE[k.kind].color);
		el(b, "span", null, k.kind === "gap" ? k.legend + ": " + num(k.total) + " lost in " + num(k.drawn) + " gap" +
			(k.drawn === 1 ? "" : "s") : k.legend + " " + num(k.total) + (k.total > k.drawn ? " (" + num(k.drawn) + " drawn)" : ""));
		b.on("click", function () {
			hidden[k.kind] = !hidden[k.kind];
			b.classed("off", hidden[k.kind]);
			draw();
		});
	});
var reset = el(toolbar, "button", "reset", "Reset zoom").attr("type", "button");
var notDrawn = D.processes - lanes.length;
if (notDrawn > 0)
	el(tl, "p", "dim small", num(notDrawn) + " processes without anything worth a mark in this window have no lane" +
		"; their events are counted in the strips below.");

var tlBody = el(tl, "div", "tlwrap");
var width = Math.max(600, tlBody.node().getBoundingClientRect().width || 1100);
var plotW = width - LABEL_W - 8;
/* a little room at both ends, so that a mark at the window's edge shows whole */
var PAD = Math.max(D.span_us, 1) * 0.012;
var x = d3.scale.linear().domain([-PAD, Math.max(D.span_us, 1) + PAD]).range([0, plotW]);
var x0 = x.copy();

/* the strips: every kind counted per bucket, drawn or not */
var stripKinds = D.marks.filter(function (k) { return k.total > 0 && D.series["n_" + k.kind]; })
	.sort(function (a, b) { return STYLE[a.kind].rank - STYLE[b.kind].rank; });
var STRIP_H = 9;
var head = el(tlBody, "svg", "tlhead").attr("width", width).attr("height", AXIS_H + stripKinds.length * STRIP_H + 6);
var axisG = head.append("g").attr("class", "axis").attr("transform", "translate(" + LABEL_W + "," + (AXIS_H - 2) + ")");
el(head, "text", "axislabel", "t0 = " + utcUs(0) + " UTC").attr("x", 6).attr("y", 15);
head.append("clipPath").attr("id", "clip-head").append("rect").attr("width", plotW).attr("height", 400);
var strips = head.append("g").attr("transform", "translate(0," + (AXIS_H + 3) + ")");
/* the strips' plot in a group of its own, so that the zoom's mouse position is the plot's */
var headPlot = head.append("g").attr("transform", "translate(" + LABEL_W + ",0)");
headPlot.append("rect").attr("class", "zoomcatch").attr("width", plotW).attr("height", AXIS_H + stripKinds.length * STRIP_H + 6);
var stripPlot = [];
stripKinds.forEach(function (k, i) {
	var g = strips.append("g").attr("transform", "translate(0," + i * STRIP_H + ")");
	el(g, "text", "striplabel", k.legend + " per " + (D.bucket_us === 1e6 ? "s" : fmtDur(D.bucket_us))).attr("x", LABEL_W - 6).attr("y", STRIP_H - 1);
	var v = D.series["n_" + k.kind], max = d3.max(v) || 1;
	var cells = [];
	v.forEach(function (n, b) { if (n > 0) cells.push({ b: b, n: n }); });
	var p = headPlot.append("g").attr("transform", "translate(0," + (AXIS_H + 3 + i * STRIP_H) + ")").attr("clip-path", "url(#clip-head)")
		.selectAll("rect").data(cells).enter().append("rect")
		.attr("height", STRIP_H - 1).attr("fill", STYLE[k.kind].color)
		.attr("opacity", function (c) { return 0.25 + 0.75 * Math.log(1 + c.n) / Math.log(1 + max); });
	p.append("title").text(function (c) { return k.legend + ": " + num(c.n) + " at " + fmtRel(c.b * D.bucket_us); });
	stripPlot.push(p);
});

var scroller = el(tlBody, "div", "tlscroll");
var H = rows.length * LANE_H + 4;
var svg = el(scroller, "svg", "tl").attr("width", width).attr("height", H);
svg.append("clipPath").attr("id", "clip-plot").append("rect").attr("width", plotW).attr("height", H);
var labels = svg.append("g").attr("class", "labels");
var plotG = svg.append("g").attr("transform", "translate(" + LABEL_W + ",0)");
var plot = plotG.append("g").attr("clip-path", "url(#clip-plot)");
var bg = plot.append("g");
var lifeG = plot.append("g"), barG = plot.append("g"), symG = plot.append("g"), overlay = plot.append("g");

rows.forEach(function (r, i) {
	bg.append("rect").attr("class", r.isHost ? "hostrow" : (i % 2 ? "odd" : "even"))
		.attr("y", i * LANE_H).attr("width", plotW).attr("height", LANE_H);
	var lg = labels.append("g").attr("transform", "translate(0," + i * LANE_H + ")")
		.attr("class", r.isHost ? "lanelabel host" : "lanelabel proc");
	lg.append("rect").attr("width", LABEL_W).attr("height", LANE_H).attr("class", r.isHost ? "hostrow" : "labelbg");
	if (r.isHost) {
		el(lg, "text", "hostname", "▾ " + r.host).attr("x", 6).attr("y", 14);
		el(lg, "text", "dim", "losses, unattributed").attr("x", LABEL_W - 8).attr("y", 14).attr("text-anchor", "end");
		return;
	}
	var st = ended(r), bad = r.exit_signal > 0 || r.exit_code > 0;
	var t = lg.append("text").attr("x", 10 + Math.min(r.depth, 12) * 10).attr("y", 14).attr("class", "pname");
	el(t, "tspan", null, r.comm);
	el(t, "tspan", "pid", " " + r.pid);
	if (bad || r.end !== null)
		el(lg, "text", "status" + (r.exit_signal > 0 && CRASH[r.exit_signal] ? " crash" : bad ? " bad" : ""), st)
			.attr("x", LABEL_W - 8).attr("y", 14).attr("text-anchor", "end");
	lg.append("title").text(r.comm + " [" + r.pid + "] on " + r.host + ", parent " + r.ppid + "\n" +
		(r.argv || r.exe || "") + "\n" + (r.start !== null ? "started " + utcUs(r.start) : "started before the window") +
		", " + st + (r.end !== null ? " at " + utcUs(r.end) : ""));
	lg.on("click", function () { showProcess(r); });
});

var lives = lifeG.selectAll("rect").data(lanes).enter().append("rect").attr("class", "life")
	.attr("y", function (l) { return l.row * LANE_H + 8; }).attr("height", 4);

function visible() { return marks.filter(function (m) { return !hidden[m.kind]; }); }
var barSel, symSel, selected = null, selRing;
var trigT = D.archives.map(function (a) { return a[10]; }).filter(function (t) { return t !== null && t !== undefined; });
var trigLines = overlay.selectAll("line.trig").data(trigT).enter().append("line").attr("class", "trig")
	.attr("y1", 0).attr("y2", H);
selRing = overlay.append("rect").attr("class", "selring").style("display", "none");

function draw() {
	var vis = visible();
	var bars = vis.filter(function (m) { return STYLE[m.kind].bar; });
	/* the worst on top: drawn last */
	var syms = vis.filter(function (m) { return !STYLE[m.kind].bar; })
		.sort(function (a, b) { return STYLE[b.kind].rank - STYLE[a.kind].rank; });
	barSel = barG.selectAll("rect").data(bars, function (m) { return m.kind + m.t + "/" + m.r + m.label; });
	barSel.exit().remove();
	barSel.enter().append("rect").attr("class", function (m) { return "mark bar k-" + m.kind; })
		.attr("data-kind", function (m) { return m.kind; })
		.attr("fill", function (m) {
			if (m.kind === "conn") return OUTCOME[m.row[m.k.cols.indexOf("outcome")]] || STYLE.conn.color;
			return STYLE[m.kind].color;
		})
		.attr("y", function (m) { return m.r * LANE_H + (m.kind === "conn" ? 13 : m.kind === "gap" ? 2 : 4); })
		.attr("height", function (m) { return m.kind === "conn" ? 5 : m.kind === "gap" ? LANE_H - 4 : 9; })
		.on("click", function (m) { select(m); })
		.append("title").text(function (m) { return procName(m) + ": " + markText(m) + " at " + fmtRel(m.t); });
	symSel = symG.selectAll("path").data(syms, function (m) { return m.kind + m.t + "/" + m.r + m.label; });
	symSel.exit().remove();
	symSel.order();
	symSel.enter().append("path").attr("class", function (m) { return "mark sym k-" + m.kind; })
		.attr("data-kind", function (m) { return m.kind; })
		.attr("d", function (m) { return d3.svg.symbol().type(STYLE[m.kind].symbol).size(STYLE[m.kind].size)(); })
		.attr("fill", function (m) { return STYLE[m.kind].color; })
		.on("click", function (m) { select(m); })
		.append("title").text(function (m) { return procName(m) + ": " + markText(m) + " at " + fmtRel(m.t); });
	place();
}

function place() {
	axisG.call(d3.svg.axis().scale(x).orient("top").ticks(Math.max(2, Math.floor(plotW / 110)))
		.tickFormat(function (v) { return fmtRel(v); }));
	var bw = D.bucket_us;
	stripPlot.forEach(function (p) {
		p.attr("x", function (c) { return x(c.b * bw); })
			.attr("width", function (c) { return Math.max(1, x((c.b + 1) * bw) - x(c.b * bw) - 0.5); });
	});
	lives.attr("x", function (l) { return x(l.start === null ? 0 : l.start); })
		.attr("width", function (l) {
			var a = x(l.start === null ? 0 : l.start), b = x(l.end === null ? D.span_us : l.end);
			return Math.max(2, b - a);
		});
	barG.selectAll("rect").attr("x", function (m) { return x(m.t); })
		.attr("width", function (m) { return Math.max(3, x(m.t + m.d) - x(m.t)); });
	symG.selectAll("path").attr("transform", function (m) {
		return "translate(" + x(m.t) + "," + (m.r * LANE_H + LANE_H / 2) + ")";
	});
	trigLines.attr("x1", function (t) { return x(t); }).attr("x2", function (t) { return x(t); });
	if (selected) {
		var sx = x(selected.t), sw = STYLE[selected.kind].bar ? Math.max(3, x(selected.t + selected.d) - sx) : 0;
		selRing.attr("x", sx - 6).attr("width", sw + 12).attr("y", selected.r * LANE_H).attr("height", LANE_H);
	}
}

var zoom = d3.behavior.zoom().x(x).scaleExtent([1, Math.max(1, D.span_us / 20)]).on("zoom", function () {
	var t = zoom.translate(), s = zoom.scale();
	var tx = Math.min(0, Math.max(plotW * (1 - s), t[0]));
	if (tx !== t[0]) zoom.translate([tx, t[1]]);
	place();
});
/* the zoom catches the wheel and drags over the plot and the strips; the names scroll */
plotG.insert("rect", ":first-child").attr("class", "zoomcatch").attr("width", plotW).attr("height", H);
plotG.call(zoom);
headPlot.call(zoom).on("dblclick.zoom", null);
plotG.on("dblclick.zoom", null);
reset.on("click", function () { zoom.scale(1).translate([0, 0]); x.domain(x0.domain()); place(); });

/* Zoom so that T (us) is in view, at least 1/20 of the window wide. */
function reveal(m) {
	var d = x.domain();
	if (m.t >= d[0] && m.t + m.d <= d[1]) return;
	var w = Math.max(m.d * 4, (d[1] - d[0])), c = m.t + m.d / 2;
	var s = Math.max(1, (D.span_us + 2 * PAD) / w);
	var tx = -x0(c) * s + plotW / 2;
	zoom.scale(s).translate([Math.min(0, Math.max(plotW * (1 - s), tx)), 0]);
	place();
}

/* --- the detail panel: the row a mark stands for ---------------------------------------- */
var detail = el(tl, "div", "detail").attr("id", "detail");
el(detail, "p", "dim", "Click a mark (or a process name) to see its record here.");

function cellText(col, v) {
	if (v === null || v === undefined) return "NULL";
	if ((col === "ts" || /_ts$/.test(col)) && v !== 0 && v !== "0") {
		try { return v + "  (" + utcNs(BigInt(v)) + " UTC)"; } catch (e) { return String(v); }
	}
	if (/_ns$/.test(col) && typeof v === "number" && v > 0) return v + "  (" + fmtDur(v / 1000) + ")";
	if (col === "exit_signal" && v > 0) return v + "  (" + sigName(v) + ")";
	return String(v);
}

function select(m, scroll) {
	selected = m;
	var k = m.k;
	detail.selectAll("*").remove();
	var h = el(detail, "h3");
	el(h, "span", "dot").style("background", STYLE[m.kind].color);
	el(h, "span", "dtitle", markText(m));
	var meta = el(detail, "p", "meta");
	el(meta, "span", null, procName(m) + " on " + m.host + " · " + utcUs(m.t) + " UTC (" + fmtRel(m.t) + ")" +
		(m.d ? " · lasted " + fmtDur(m.d) : "") + " · " + k.legend + " · row of ");
	el(meta, "code", null, k.table);
	var tbl = el(detail, "table", "kv");
	k.cols.forEach(function (c, i) {
		var tr = el(tbl, "tr");
		el(tr, "th", null, c);
		el(tr, "td", null, cellText(c, m.row[i]));
	});
	selRing.style("display", null);
	reveal(m);
	place();
	var sc = scroller.node();
	var y = m.r * LANE_H;
	if (y < sc.scrollTop || y > sc.scrollTop + sc.clientHeight - LANE_H) sc.scrollTop = Math.max(0, y - sc.clientHeight / 2);
	if (scroll) tl.node().scrollIntoView();
}

function showProcess(l) {
	selected = null;
	selRing.style("display", "none");
	detail.selectAll("*").remove();
	var h = el(detail, "h3");
	el(h, "span", "dtitle", l.comm + " [" + l.pid + "] on " + l.host + ": " + ended(l));
	var tbl = el(detail, "table", "kv");
	[["pid", l.pid], ["ppid", l.ppid], ["comm", l.comm], ["exe", l.exe], ["argv", l.argv],
		["started", l.start === null ? "before the window" : utcUs(l.start) + " UTC (" + fmtRel(l.start) + ")"],
		["ended", l.end === null ? "after the window (or still running)" : utcUs(l.end) + " UTC (" + fmtRel(l.end) + "), " + ended(l)],
		["lived", l.start !== null && l.end !== null ? fmtDur(l.end - l.start) : ""],
		["marks", marks.filter(function (m) { return m.lane === l.i; }).length]]
		.forEach(function (p) { var tr = el(tbl, "tr"); el(tr, "th", null, p[0]); el(tr, "td", null, p[1] === null ? "" : String(p[1])); });
}

/* --- per-second charts --------------------------------------------------------------------- */
(function charts() {
	var s = section("charts", "Per second", "all hosts together; one point per " + fmtDur(D.bucket_us));
	var grid = el(s, "div", "charts");
	var S = D.series;
	function chart(title, unit, lines) {
		/* ms as durations, counts with k and M past a thousand */
		var val = function (v) {
			return unit === " ms" ? fmtDur(v * 1000) : v >= 1000 ? d3.format(".3s")(v) : d3.format(",.0f")(v);
		};
		var any = lines.some(function (l) { return S[l[0]] && d3.max(S[l[0]]) > 0; });
		var c = el(grid, "div", "chart");
		el(c, "h3", null, title);
		if (!any) { el(c, "p", "dim", "nothing recorded in this window"); return; }
		var w = Math.max(300, c.node().getBoundingClientRect().width - 10), h = 150, m = { l: 46, r: 8, t: 8, b: 22 };
		var svg2 = el(c, "svg").attr("width", w).attr("height", h);
		var g = svg2.append("g").attr("transform", "translate(" + m.l + "," + m.t + ")");
		var iw = w - m.l - m.r, ih = h - m.t - m.b;
		var cx = d3.scale.linear().domain([0, D.span_us]).range([0, iw]);
		var ymax = d3.max(lines, function (l) { return S[l[0]] ? d3.max(S[l[0]]) : 0; }) || 1;
		var cy = d3.scale.linear().domain([0, ymax * 1.08]).range([ih, 0]).nice();
		g.append("g").attr("class", "axis").attr("transform", "translate(0," + ih + ")")
			.call(d3.svg.axis().scale(cx).orient("bottom").ticks(5).tickFormat(fmtRel));
		g.append("g").attr("class", "axis").call(d3.svg.axis().scale(cy).orient("left").ticks(4).tickFormat(val));
		g.append("g").attr("class", "grid").call(d3.svg.axis().scale(cy).orient("left").ticks(4).tickSize(-iw).tickFormat(""));
		lines.forEach(function (l, li) {
			var v = S[l[0]];
			if (!v) return;
			var pts = v.map(function (y, b) { return [(b + 0.5) * D.bucket_us, y]; });
			if (li === 0)
				g.append("path").attr("class", "area").attr("fill", l[2]).attr("d", d3.svg.area()
					.x(function (p) { return cx(p[0]); }).y0(ih).y1(function (p) { return cy(p[1]); })(pts));
			g.append("path").attr("class", "line").attr("stroke", l[2]).attr("d", d3.svg.line()
				.x(function (p) { return cx(p[0]); }).y(function (p) { return cy(p[1]); })(pts));
		});
		trigT.forEach(function (t) {
			g.append("line").attr("class", "trig").attr("x1", cx(t)).attr("x2", cx(t)).attr("y1", 0).attr("y2", ih);
		});
		var lg = el(c, "div", "chartlegend");
		lines.forEach(function (l) {
			var e = el(lg, "span");
			el(e, "span", "sw").style("background", l[2]);
			el(e, "span", null, l[1] + " (peak " + val(S[l[0]] ? d3.max(S[l[0]]) : 0) + ")");
		});
	}
	chart("CPU wait: time runnable, waiting for a CPU", " ms",
		[["cpu_wait_ms", "sum over all processes", "#41ab5d"], ["cpu_wait_max_ms", "longest single wait", "#006d2c"]]);
	chart("Disk I/O latency", " ms", [["io_avg_ms", "mean request", "#8c6bb1"], ["io_max_ms", "slowest request", "#4d004b"]]);
	chart("System call errors", "", [["syscall_errors", "failed calls", "#f03b20"]]);
	chart("System calls", "", [["syscalls", "calls", "#3182bd"]]);
})();

/* --- events: the drawn marks that matter, in a table ---------------------------------------------- */
(function events() {
	/* per kind, the rarest and longest first (a lone ECONNREFUSED before the thousandth ENOENT), EVENTS_PER_KIND each */
	var EVENTS_PER_KIND = 50, often = {}, list = [], more = 0;
	marks.forEach(function (m) { var w = m.kind + " " + m.label.split(" ").slice(0, 2).join(" "); m.what = w; often[w] = (often[w] || 0) + 1; });
	d3.nest().key(function (m) { return m.kind; }).entries(marks.filter(function (m) {
		return NOTABLE[m.kind] && !(m.kind === "conn" && m.row[m.k.cols.indexOf("outcome")] === "closed");
	})).forEach(function (g) {
		g.values.sort(function (a, b) { return often[a.what] - often[b.what] || b.d - a.d || a.t - b.t; });
		list = list.concat(g.values.slice(0, EVENTS_PER_KIND));
		more += Math.max(0, g.values.length - EVENTS_PER_KIND);
	});
	list.sort(function (a, b) { return STYLE[a.kind].rank - STYLE[b.kind].rank; });
	var s = section("events", "Events", num(list.length) + " (at most " + EVENTS_PER_KIND + " of a kind" +
		(more ? ", " + num(more) + " more on the timeline" : "") + "), worst first; click one to see it on the timeline");
	var tbl = el(el(s, "div", "tablewrap"), "table", "grid");
	var hr = el(el(tbl, "thead"), "tr");
	["", "time", "host", "process", "what", "duration"].forEach(function (c) { el(hr, "th", null, c); });
	var tb = el(tbl, "tbody");
	list.forEach(function (m) {
		var tr = el(tb, "tr", "ev k-" + m.kind).on("click", function () { select(m, true); });
		el(el(tr, "td"), "span", "dot").style("background", STYLE[m.kind].color);
		el(tr, "td", "mono", utcUs(m.t).slice(11));
		el(tr, "td", null, m.host);
		el(tr, "td", null, procName(m));
		el(tr, "td", null, markText(m));
		el(tr, "td", "num", m.d ? fmtDur(m.d) : "");
	});
	if (!list.length) el(s, "p", "dim", "No crash, kill, failure, slow call or failed connection in this window.");
})();

/* --- .summary, section by section ------------------------------------------------------------------- */
(function summary() {
	var s = section("summary", "Summary", "the sections of .summary in flightrec-replay");
	var empty = D.summary.filter(function (sec) { return !sec.error && !sec.rows.length; });
	if (empty.length)
		el(s, "p", "dim", "Nothing in this window for: " + empty.map(function (sec) { return sec.heading; }).join(" · ") + ".");
	var grid = el(s, "div", "sumgrid");
	D.summary.filter(function (sec) { return sec.error || sec.rows.length; }).forEach(function (sec) {
		var c = el(grid, "div", "sumsec" + (sec.cols.length > 5 ? " wide" : ""));
		el(c, "h3", null, sec.heading);
		if (sec.error) { el(c, "p", "dim", "error: " + sec.error); return; }
		if (!sec.rows.length) { el(c, "p", "dim", "none"); return; }
		var tbl = el(el(c, "div", "tablewrap"), "table", "grid");
		var hr = el(el(tbl, "thead"), "tr");
		sec.cols.forEach(function (h) { el(hr, "th", null, h); });
		var tb = el(tbl, "tbody");
		sec.rows.forEach(function (r) {
			var tr = el(tb, "tr");
			r.forEach(function (v, i) {
				/* counts get separators; ids, ports and codes do not */
				var id = /pid|port|cpu|status|code|signal|uid|gid|adj/.test(sec.cols[i]);
				el(tr, "td", typeof v === "number" ? "num" : null, v === null ? "" :
					typeof v === "number" && !id ? num(v) : withSignalName(String(v)));
			});
		});
	});
})();

/* --- connections: who talked to whom ------------------------------------------------------------------ */
(function connections() {
	var s = section("connections", "Connections", "TCP, grouped by both ends (conn_pairs); colour: outcome");
	var C = D.conns || [];
	if (!C.length) { el(s, "p", "dim", "No TCP connection in this window."); return; }
	var edges = C.map(function (r) { return { a: r[0], b: r[1], outcome: r[2], n: r[3], bytes: r[4], longest: r[5] }; });
	var left = d3.nest().key(function (e) { return e.a; }).rollup(function (v) { return d3.sum(v, function (e) { return e.n; }); })
		.entries(edges).sort(function (p, q) { return q.values - p.values; }).slice(0, 30);
	var right = d3.nest().key(function (e) { return e.b; }).rollup(function (v) { return d3.sum(v, function (e) { return e.n; }); })
		.entries(edges).sort(function (p, q) { return q.values - p.values; }).slice(0, 30);
	var RH = 24, w = Math.max(700, s.node().getBoundingClientRect().width - 40);
	var h = Math.max(left.length, right.length) * RH + 30;
	var svg3 = el(s, "svg", "connmap").attr("width", w).attr("height", h);
	var ly = {}, ry = {};
	left.forEach(function (n, i) { ly[n.key] = 24 + i * RH; });
	right.forEach(function (n, i) { ry[n.key] = 24 + i * RH; });
	var nodeW = Math.min(330, w * 0.34), x1 = nodeW, x2 = w - nodeW;
	el(svg3, "text", "colhead", "from (connect)").attr("x", x1 - 8).attr("y", 10).attr("text-anchor", "end");
	el(svg3, "text", "colhead", "to (process, or address:port not recorded)").attr("x", x2 + 8).attr("y", 10);
	var maxN = d3.max(edges, function (e) { return e.n; }) || 1;
	edges.filter(function (e) { return ly[e.a] !== undefined && ry[e.b] !== undefined; }).forEach(function (e) {
		var y1 = ly[e.a], y2 = ry[e.b], mx = (x1 + x2) / 2;
		el(svg3, "path", "link").attr("d", "M" + x1 + "," + y1 + "C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2)
			.attr("stroke", OUTCOME[e.outcome] || "#999").attr("stroke-width", 1.5 + 6 * Math.sqrt(e.n / maxN))
			.append("title").text(e.a + " → " + e.b + ": " + num(e.n) + " " + e.outcome + ", " + num(e.bytes) + " bytes");
	});
	function nodes(list, pos, xx, anchor) {
		list.forEach(function (n) {
			var t = el(svg3, "text", "node", n.key + "  ×" + num(n.values)).attr("x", xx).attr("y", pos[n.key] + 4)
				.attr("text-anchor", anchor);
			t.append("title").text(n.key);
			el(svg3, "circle", "nodedot").attr("cx", anchor === "end" ? xx + 6 : xx - 6).attr("cy", pos[n.key]).attr("r", 4);
		});
	}
	nodes(left, ly, x1 - 12, "end");
	nodes(right, ry, x2 + 12, "start");
	var lg = el(s, "div", "chartlegend");
	d3.keys(OUTCOME).filter(function (o) { return o !== "reset-received"; }).forEach(function (o) {
		var e = el(lg, "span");
		el(e, "span", "sw").style("background", OUTCOME[o]);
		el(e, "span", null, o === "reset-sent" ? "reset" : o);
	});
	var tbl = el(el(s, "div", "tablewrap"), "table", "grid conns");
	var hr = el(el(tbl, "thead"), "tr");
	["from", "to", "outcome", "connections", "bytes", "longest"].forEach(function (c) { el(hr, "th", null, c); });
	var tb = el(tbl, "tbody");
	edges.forEach(function (e) {
		var tr = el(tb, "tr", "o-" + e.outcome);
		el(tr, "td", null, e.a);
		el(tr, "td", null, e.b);
		el(el(tr, "td"), "span", "pill", e.outcome).style("background", OUTCOME[e.outcome] || "#999");
		el(tr, "td", "num", num(e.n));
		el(tr, "td", "num", num(e.bytes));
		el(tr, "td", "num", fmtDur(e.longest));
	});
})();

/* --- flame graph, when the archive has CPU samples ------------------------------------------------------ */
(function flame() {
	if (!D.flame && !D.flame_error) return;
	var s = section("flame", "Flame graph", "CPU samples of the window, all processes; width: share of samples");
	if (D.flame_error) { el(s, "p", "dim", "The archive's stack tables could not be read: " + D.flame_error); return; }
	var root = { name: "all", children: {}, value: 0 };
	D.flame.forEach(function (r) {
		var frames = String(r[0]).split(/[;\n]/).filter(function (f) { return f !== ""; }), node = root;
		root.value += r[1];
		frames.forEach(function (f) {
			node = node.children[f] || (node.children[f] = { name: f, children: {}, value: 0 });
			node.value += r[1];
		});
	});
	function arr(n) {
		var c = d3.values(n.children).map(arr);
		return { name: n.name, value: n.value, children: c.length ? c : null };
	}
	var tree = arr(root);
	var w = Math.max(700, s.node().getBoundingClientRect().width - 40), RH = 18;
	var part = d3.layout.partition().sort(function (a, b) { return d3.ascending(a.name, b.name); })
		.value(function (d) { return d.children ? 0 : d.value; })
		.children(function (d) { return d.children; });
	var nodes = part.nodes(tree);
	var depth = d3.max(nodes, function (n) { return n.depth; }) + 1;
	var svg4 = el(s, "svg", "flame").attr("width", w).attr("height", depth * RH);
	var g = svg4.selectAll("g").data(nodes.filter(function (n) { return n.dx * w >= 0.5; })).enter().append("g")
		.attr("transform", function (n) { return "translate(" + n.x * w + "," + (depth - 1 - n.depth) * RH + ")"; });
	var color = d3.scale.linear().domain([0, 1]).range(["#fdae6b", "#e6550d"]);
	g.append("rect").attr("width", function (n) { return Math.max(0.5, n.dx * w - 0.5); }).attr("height", RH - 1)
		.attr("fill", function (n) { return n.depth ? color((n.name.length * 7 % 13) / 13) : "#bbb"; });
	g.filter(function (n) { return n.dx * w > 40; }).append("text").attr("x", 3).attr("y", 13)
		.text(function (n) { var c = Math.floor((n.dx * w - 6) / 7); return n.name.length > c ? n.name.slice(0, c - 1) + "…" : n.name; });
	g.append("title").text(function (n) { return n.name + ": " + num(n.value) + " samples (" + (100 * n.value / root.value).toFixed(1) + "%)"; });
})();

var foot = el(app, "footer");
el(foot, "span", null, "Written by flightrec-replay " + D.version + " from " + D.archives.map(function (a) { return a[1]; }).join(", ") +
	". Self-contained: this page loads nothing from anywhere. Reproduce any figure with the SQL of flightrec-replay(1).");

draw();
document.documentElement.setAttribute("data-ready", "1");
window.frReady = performance.now();
})();
