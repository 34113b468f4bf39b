namespace PolicyTrail.Report.Charts;

/// <summary>One bar: its label, its value, and a tooltip.</summary>
public sealed record Bar(string Label, long Value, string? Detail = null);

/// <summary>Horizontal bars with their labels and values, scaled to the largest (e.g. the most denied workload pairs).</summary>
public static class BarChart
{
    private const int Width = 760, LabelWidth = 330, RowHeight = 22, Top = 12, Bottom = 28, ValueRoom = 70;

    /// <summary>The chart as an inline SVG element; <paramref name="empty"/> is shown when there are no bars.</summary>
    public static string Write(string id, string title, string unit, IReadOnlyList<Bar> bars, string empty)
    {
        ArgumentNullException.ThrowIfNull(bars);
        var height = Top + Bottom + Math.Max(1, bars.Count) * RowHeight;
        var svg = new Svg(id, title,
            bars.Count == 0 ? empty : $"{title}: " + string.Join("; ", bars.Select(b => $"{b.Label} {Svg.Count(b.Value)} {unit}")),
            Width, height);
        var plotWidth = Width - LabelWidth - ValueRoom;
        svg.Line(LabelWidth, Top, LabelWidth, height - Bottom, "#333");
        svg.Text(LabelWidth + plotWidth / 2.0, height - 8, unit, "middle");
        if (bars.Count == 0)
        {
            svg.Text(LabelWidth + 8, Top + RowHeight * 0.7, empty, "start", "fill=\"#666\"");
            return svg.Close();
        }
        var max = Math.Max(1, bars.Max(b => b.Value));
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var y = Top + i * RowHeight;
            var width = plotWidth * (double)bar.Value / max;
            svg.Text(LabelWidth - 6, y + RowHeight * 0.68, Shorten(bar.Label, 52), "end");
            svg.Rect(LabelWidth, y + 3, Math.Max(width, bar.Value > 0 ? 1 : 0), RowHeight - 6, "#c53030", $"{bar.Label}: {Svg.Count(bar.Value)} {unit}{(bar.Detail is null ? "" : $" ({bar.Detail})")}");
            svg.Text(LabelWidth + width + 4, y + RowHeight * 0.68, Svg.Count(bar.Value));
        }
        return svg.Close();
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length - 1), "\u2026");
}
