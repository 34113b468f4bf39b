using System.Xml.Linq;
using PolicyTrail.Query.Answers;
using PolicyTrail.Report.Charts;
using PolicyTrail.Report.Model;

namespace PolicyTrail.Report.Tests.Charts;

/// <summary>The charts are well-formed, accessible SVG for empty, single and many data points.</summary>
public sealed class ChartTests
{
    private static readonly XNamespace S = "http://www.w3.org/2000/svg";
    private const long Second = 1_000_000_000;

    private static XElement Parse(string svg, string id)
    {
        var root = XDocument.Parse(svg).Root!;
        Assert.Equal(S + "svg", root.Name);
        Assert.Equal(id, (string?)root.Attribute("id"));
        Assert.Equal("img", (string?)root.Attribute("role"));
        Assert.Equal($"{id}-title {id}-desc", (string?)root.Attribute("aria-labelledby"));
        Assert.False(string.IsNullOrWhiteSpace(root.Element(S + "title")?.Value));
        Assert.False(string.IsNullOrWhiteSpace(root.Element(S + "desc")?.Value));
        Assert.DoesNotContain("NaN", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("Infinity", svg, StringComparison.Ordinal);
        return root;
    }

    private static IEnumerable<double> Numbers(XElement root, string attribute) =>
        root.Descendants().Select(e => (string?)e.Attribute(attribute)).OfType<string>().Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void An_empty_time_series_has_axes_and_says_there_is_nothing()
    {
        var root = Parse(TimeSeriesChart.Write(new TimeSeries(0, Second, [])), "chart-activity");
        Assert.Empty(root.Descendants(S + "path"));
        Assert.Contains(root.Descendants(S + "text"), t => t.Value == "no flows in the period");
    }

    [Fact]
    public void One_point_is_drawn_as_a_point_in_the_middle()
    {
        var root = Parse(TimeSeriesChart.Write(new TimeSeries(0, Second, [new TimeBucket(0, 3, 1)])), "chart-activity");
        var circles = root.Descendants(S + "circle").ToList();
        Assert.Equal(2, circles.Count);
        Assert.All(circles, c => Assert.Equal("404", (string?)c.Attribute("cx"))); // the middle of the plot (64 to 744)
        Assert.Contains(root.Descendants(S + "text"), t => t.Value == "00:00:00");
    }

    [Fact]
    public void Many_points_stay_inside_the_plot_and_the_axis_is_rounded_up()
    {
        var buckets = Enumerable.Range(0, 48).Select(i => new TimeBucket(i * 3600 * Second, i * 1000L, i * 7L)).ToList();
        var svg = TimeSeriesChart.Write(new TimeSeries(0, 3600 * Second, buckets));
        var root = Parse(svg, "chart-activity");
        var paths = root.Descendants(S + "path").ToList();
        Assert.Equal(2, paths.Count);
        Assert.All(paths, p => Assert.Equal(48, ((string)p.Attribute("d")!).Count(c => c is 'M' or 'L')));
        Assert.All(Numbers(root, "cx"), x => Assert.InRange(x, 64, 744));
        Assert.All(Numbers(root, "cy"), y => Assert.InRange(y, 28, 216));
        Assert.Contains(root.Descendants(S + "text"), t => t.Value == "50,000"); // 47,000 rounds up to 50,000
        Assert.Contains("per 1h", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Bars_scale_to_the_largest_and_empty_bars_say_so()
    {
        var empty = Parse(BarChart.Write("b", "Top", "denied attempts", [], "nothing denied"), "b");
        Assert.Empty(empty.Descendants(S + "rect"));
        Assert.Contains(empty.Descendants(S + "text"), t => t.Value == "nothing denied");

        var one = Parse(BarChart.Write("b", "Top", "denied attempts", [new Bar("a <b> & c", 5)], "none"), "b");
        Assert.Equal("360", (string?)Assert.Single(one.Descendants(S + "rect")).Attribute("width"));
        Assert.Contains(one.Descendants(S + "text"), t => t.Value == "a <b> & c");

        var many = Parse(BarChart.Write("b", "Top", "denied attempts", [.. Enumerable.Range(1, 10).Select(i => new Bar($"pair {i}", i * 10))], "none"), "b");
        var widths = many.Descendants(S + "rect").Select(r => double.Parse((string)r.Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(10, widths.Count);
        Assert.Equal(360, widths.Max());
        Assert.Equal(36, widths.Min());
    }

    [Fact]
    public void Coverage_without_history_and_with_pods()
    {
        var none = Parse(CoverageChart.Write(new CoverageSection(null, 0, 0, 0, new Bounded<PodCoverage>([], 0, ""), "no history")), "chart-coverage");
        Assert.Contains(none.Descendants(S + "text"), t => t.Value == "no cluster history");

        var report = new CoverageReport(0, 10, [], ["default"]);
        var root = Parse(CoverageChart.Write(new CoverageSection(report, 4, 6, 1, new Bounded<PodCoverage>([], 0, ""), null)), "chart-coverage");
        Assert.Contains(root.Descendants(S + "text"), t => t.Value == "5 of 10 isolated");
        Assert.Contains(root.Descendants(S + "text"), t => t.Value == "3 of 10 isolated");
    }
}
