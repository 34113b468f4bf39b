using System.Text;
using PolicyTrail.Report.Model;

namespace PolicyTrail.Report.Charts;

/// <summary>Flows and denied attempts per interval as two lines over time, with axes, ticks and a legend.</summary>
public static class TimeSeriesChart
{
    private const int Width = 760, Height = 260, Left = 64, Right = 16, Top = 28, Bottom = 44;

    /// <summary>The chart as an inline SVG element whose id is <paramref name="id"/>.</summary>
    public static string Write(TimeSeries series, string id = "chart-activity")
    {
        ArgumentNullException.ThrowIfNull(series);
        var buckets = series.Buckets;
        var svg = new Svg(id, "Flows and denied attempts over time",
            buckets.Count == 0
                ? "No flow entries in the period."
                : $"Flow attempts (replies left out) and denied attempts per {Times.Duration(series.Step)} from {Times.Short(buckets[0].Start)} to {Times.Short(buckets[^1].Start + series.Step)}: {Svg.Count(buckets.Sum(b => b.Flows))} flows, {Svg.Count(buckets.Sum(b => b.Denied))} denied.",
            Width, Height);
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        var max = Svg.NiceCeiling(buckets.Count == 0 ? 0 : buckets.Max(b => b.Flows));

        // Y axis: five ticks from 0 to the rounded maximum.
        for (var i = 0; i <= 4; i++)
        {
            var value = max * i / 4;
            var y = Top + plotHeight - plotHeight * i / 4.0;
            svg.Line(Left, y, Left + plotWidth, y, "#d0d0d0", "stroke-width=\"0.5\"");
            svg.Text(Left - 6, y + 4, Svg.Count(value), "end");
        }
        svg.Text(14, Top + plotHeight / 2.0, $"attempts per {(series.Step > 0 ? Times.Duration(series.Step) : "interval")}", "middle", $"transform=\"rotate(-90 14 {Svg.N(Top + plotHeight / 2.0)})\"");
        svg.Line(Left, Top, Left, Top + plotHeight, "#333");
        svg.Line(Left, Top + plotHeight, Left + plotWidth, Top + plotHeight, "#333");
        svg.Text(Left + plotWidth / 2.0, Height - 6, "time (UTC)", "middle");

        if (buckets.Count == 0)
        {
            svg.Text(Left + plotWidth / 2.0, Top + plotHeight / 2.0, "no flows in the period", "middle", "fill=\"#666\"");
            return svg.Close();
        }

        double X(int i) => buckets.Count == 1 ? Left + plotWidth / 2.0 : Left + plotWidth * i / (double)(buckets.Count - 1);
        double Y(long v) => Top + plotHeight - plotHeight * (double)v / max;

        // X axis: at most seven labels, at evenly spaced buckets.
        var labels = Math.Min(7, buckets.Count);
        var shown = new HashSet<int>();
        for (var k = 0; k < labels; k++)
        {
            var i = labels == 1 ? 0 : (int)Math.Round(k * (buckets.Count - 1) / (double)(labels - 1));
            if (shown.Add(i))
            {
                svg.Line(X(i), Top + plotHeight, X(i), Top + plotHeight + 4, "#333");
                // The first and last labels are kept inside the chart.
                var anchor = buckets.Count > 1 && i == 0 ? "start" : buckets.Count > 1 && i == buckets.Count - 1 ? "end" : "middle";
                svg.Text(X(i), Top + plotHeight + 16, Label(buckets[i].Start, series.Step), anchor);
            }
        }

        foreach (var (values, color, name, dash) in new[]
        {
            (buckets.Select(b => b.Flows).ToList(), "#2b6cb0", "flows", ""),
            (buckets.Select(b => b.Denied).ToList(), "#c53030", "denied", " stroke-dasharray=\"5 3\""),
        })
        {
            var path = new StringBuilder();
            for (var i = 0; i < values.Count; i++)
            {
                path.Append(i == 0 ? 'M' : 'L').Append(Svg.N(X(i))).Append(' ').Append(Svg.N(Y(values[i]))).Append(' ');
            }
            svg.Append($"<path class=\"series series-{name}\" d=\"{path.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>");
            // Points as well as the line: one bucket has no line to draw.
            if (values.Count <= 60)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    svg.Append($"<circle cx=\"{Svg.N(X(i))}\" cy=\"{Svg.N(Y(values[i]))}\" r=\"2.5\" fill=\"{color}\"><title>{Svg.Escape($"{Times.Short(buckets[i].Start)}: {Svg.Count(values[i])} {name}")}</title></circle>");
                }
            }
        }

        // Legend.
        svg.Line(Left + 8, 12, Left + 28, 12, "#2b6cb0", "stroke-width=\"2\"");
        svg.Text(Left + 32, 16, "flows");
        svg.Line(Left + 88, 12, Left + 108, 12, "#c53030", "stroke-width=\"2\" stroke-dasharray=\"5 3\"");
        svg.Text(Left + 112, 16, "denied");
        return svg.Close();
    }

    private static string Label(long start, long step)
    {
        var t = DateTimeOffset.UnixEpoch.AddTicks(start / 100);
        var format = step >= 86_400_000_000_000L ? "yyyy-MM-dd" : step >= 60_000_000_000L ? "MM-dd HH:mm" : "HH:mm:ss";
        return t.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
    }
}
