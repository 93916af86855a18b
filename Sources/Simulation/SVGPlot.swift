import DecimalText

/// Renders a report as an SVG: one panel per policy, each with the load
/// (in replicas' worth of capacity, grey area), the replicas paid for
/// (blue) and, below, p95 per minute (red; clipped at 1 s) against the SLO
/// (dashed). Long traces are reduced to at most `maxPoints` columns
/// (mean load and replicas, highest p95 of each column).
public struct SVGPlot {
    public var width = 1200.0
    public var panelHeight = 150.0
    public var p95Height = 60.0
    public var maxPoints = 900
    public var p95ClipMs = 1000.0

    public init() {}

    public func render(_ report: SimulationReport) -> String {
        let marginLeft = 60.0, marginRight = 20.0, top = 70.0, gap = 36.0
        let plotWidth = width - marginLeft - marginRight
        let blockHeight = panelHeight + p95Height + 8 + gap
        let height = top + Double(report.policies.count) * blockHeight + 20
        let minutes = report.minuteRate.count
        let columns = max(1, min(maxPoints, minutes))
        let perColumn = Double(minutes) / Double(columns)

        func reduce(_ series: [Double], useMax: Bool) -> [Double] {
            (0..<columns).map { c in
                let lo = Int(Double(c) * perColumn), hi = max(lo + 1, min(series.count, Int(Double(c + 1) * perColumn)))
                guard lo < series.count else { return 0 }
                let slice = series[lo..<min(hi, series.count)]
                return useMax ? (slice.max() ?? 0) : slice.reduce(0, +) / Double(slice.count)
            }
        }
        let load = reduce(report.minuteRate.map { $0 / report.model.capacityPerReplicaRPS }, useMax: false)
        let yMax = max(Double(report.settings.maxReplicas), (load.max() ?? 0)).rounded(.up) + 1

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(width))" height="\(fmt(height))" viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(fmt(marginLeft))" y="20" font-size="14" font-weight="bold">\(escapeXML(report.trace)) — cold start \(formatFixed(report.model.coldStartSeconds, 0)) s, SLO p95 ≤ \(formatFixed(report.settings.sloSeconds * 1000, 0)) ms</text>
        <text x="\(fmt(marginLeft))" y="36" fill="#555">grey: load in replicas of capacity (\(formatFixed(report.model.capacityPerReplicaRPS, 1)) rps each) · blue: replicas paid for · red: p95 per minute (clipped at \(formatFixed(p95ClipMs, 0)) ms), dashed: SLO · x: \(formatFixed(Double(report.durationSeconds) / 3600, 2)) h</text>

        """
        for (index, policy) in report.policies.enumerated() {
            let y0 = top + Double(index) * blockHeight
            let replicas = reduce(policy.minuteReplicas, useMax: false)
            let p95 = reduce(policy.minuteP95Ms, useMax: true)
            func x(_ c: Int) -> Double { marginLeft + plotWidth * (Double(c) + 0.5) / Double(columns) }
            func yReplicas(_ v: Double) -> Double { y0 + panelHeight - panelHeight * min(v, yMax) / yMax }
            let p95Top = y0 + panelHeight + 8
            func yP95(_ ms: Double) -> Double { p95Top + p95Height - p95Height * min(ms, p95ClipMs) / p95ClipMs }

            svg += "<text x=\"\(fmt(marginLeft))\" y=\"\(fmt(y0 - 6))\" font-weight=\"bold\">\(policy.name.rawValue): \(formatFixed(policy.sloMinutesPct, 2))% of minutes within SLO, cost \(formatFixed(policy.costVsOracle, 2))× oracle, \(formatFixed(policy.reversalsPerHour, 1)) reversals/h</text>\n"
            svg += "<rect x=\"\(fmt(marginLeft))\" y=\"\(fmt(y0))\" width=\"\(fmt(plotWidth))\" height=\"\(fmt(panelHeight))\" fill=\"none\" stroke=\"#ccc\"/>\n"
            svg += "<rect x=\"\(fmt(marginLeft))\" y=\"\(fmt(p95Top))\" width=\"\(fmt(plotWidth))\" height=\"\(fmt(p95Height))\" fill=\"none\" stroke=\"#ccc\"/>\n"
            for tick in stride(from: 0.0, through: yMax, by: yMax > 20 ? 8 : 4) {
                svg += "<text x=\"\(fmt(marginLeft - 6))\" y=\"\(fmt(yReplicas(tick) + 4))\" text-anchor=\"end\">\(formatFixed(tick, 0))</text>\n"
            }
            svg += "<text x=\"\(fmt(marginLeft - 6))\" y=\"\(fmt(yP95(report.settings.sloSeconds * 1000) + 4))\" text-anchor=\"end\" fill=\"#c00\">\(formatFixed(report.settings.sloSeconds * 1000, 0))ms</text>\n"
            // Load area.
            var area = "M \(fmt(x(0))) \(fmt(yReplicas(0)))"
            for c in 0..<columns { area += " L \(fmt(x(c))) \(fmt(yReplicas(load[c])))" }
            area += " L \(fmt(x(columns - 1))) \(fmt(yReplicas(0))) Z"
            svg += "<path d=\"\(area)\" fill=\"#ddd\" stroke=\"none\"/>\n"
            svg += polyline((0..<columns).map { (x($0), yReplicas(replicas[$0])) }, color: "#1f5fbf")
            svg += "<line x1=\"\(fmt(marginLeft))\" x2=\"\(fmt(marginLeft + plotWidth))\" y1=\"\(fmt(yP95(report.settings.sloSeconds * 1000)))\" y2=\"\(fmt(yP95(report.settings.sloSeconds * 1000)))\" stroke=\"#c00\" stroke-dasharray=\"4 3\" stroke-width=\"0.8\"/>\n"
            svg += polyline((0..<columns).map { (x($0), yP95(p95[$0])) }, color: "#d62728")
        }
        svg += "</svg>\n"
        return svg
    }

    private func polyline(_ points: [(Double, Double)], color: String) -> String {
        let text = points.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
        return "<polyline points=\"\(text)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.2\"/>\n"
    }
}

private func fmt(_ v: Double) -> String { formatFixed(v, 1) }

func escapeXML(_ text: String) -> String {
    var out = ""
    for ch in text {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(ch)
        }
    }
    return out
}
