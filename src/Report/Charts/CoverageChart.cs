using PolicyTrail.Report.Model;

namespace PolicyTrail.Report.Charts;

/// <summary>Coverage as stacked bars: of the pods considered, how many are isolated for ingress and for egress, and how many are not.</summary>
public static class CoverageChart
{
    private const int Width = 760, LabelWidth = 150, RowHeight = 30, Top = 34, Bottom = 12, CountRoom = 150;

    /// <summary>The chart as an inline SVG element.</summary>
    public static string Write(CoverageSection coverage, string id = "chart-coverage")
    {
        ArgumentNullException.ThrowIfNull(coverage);
        var pods = coverage.Report?.PodsConsidered ?? 0;
        var rows = new[]
        {
            ("ingress", pods - coverage.IngressUnisolated - coverage.HostNetwork, coverage.IngressUnisolated),
            ("egress", pods - coverage.EgressUnisolated - coverage.HostNetwork, coverage.EgressUnisolated),
        };
        var height = Top + Bottom + rows.Length * RowHeight;
        var svg = new Svg(id, "Segmentation coverage",
            coverage.Report is null
                ? $"No coverage: {coverage.Missing}"
                : $"Of {Svg.Count(pods)} pods: {string.Join("; ", rows.Select(r => $"{r.Item1} isolated {Svg.Count(r.Item2)}, default allow {Svg.Count(r.Item3)}"))}; host network {Svg.Count(coverage.HostNetwork)}; {coverage.Report.NamespacesWithoutPolicy.Count} namespaces without a NetworkPolicy.",
            Width, height);
        var plotWidth = Width - LabelWidth - CountRoom;
        var legend = new[] { ("isolated", "#2f855a"), ("default allow", "#dd6b20"), ("host network", "#a0aec0") };
        for (var i = 0; i < legend.Length; i++)
        {
            svg.Rect(LabelWidth + i * 130, 8, 12, 12, legend[i].Item2);
            svg.Text(LabelWidth + i * 130 + 16, 18, legend[i].Item1);
        }
        if (coverage.Report is null || pods == 0)
        {
            svg.Text(LabelWidth, Top + RowHeight * 0.6, coverage.Report is null ? "no cluster history" : "no pods at the end of the period", "start", "fill=\"#666\"");
            return svg.Close();
        }
        for (var i = 0; i < rows.Length; i++)
        {
            var (name, isolated, open) = rows[i];
            var y = Top + i * RowHeight;
            svg.Text(LabelWidth - 8, y + RowHeight * 0.6, $"{name} ({Svg.Count(pods)} pods)", "end");
            var x = (double)LabelWidth;
            foreach (var (value, color, what) in new[] { (isolated, "#2f855a", "isolated"), (open, "#dd6b20", "default allow"), (coverage.HostNetwork, "#a0aec0", "host network") })
            {
                var width = plotWidth * (double)value / pods;
                svg.Rect(x, y + 4, width, RowHeight - 10, color, $"{name}: {Svg.Count(value)} {what}");
                x += width;
            }
            svg.Text(LabelWidth + plotWidth + 6, y + RowHeight * 0.6, $"{Svg.Count(isolated)} of {Svg.Count(pods)} isolated");
        }
        return svg.Close();
    }
}
