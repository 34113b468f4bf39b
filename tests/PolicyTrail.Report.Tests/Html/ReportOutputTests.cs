using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using PolicyTrail.Report.Html;
using PolicyTrail.Report.Json;
using PolicyTrail.Report.Model;

namespace PolicyTrail.Report.Tests.Html;

/// <summary>The HTML and JSON reports: self-contained, well-formed, and the same for the same store and options.</summary>
public sealed class ReportOutputTests(ReportStore fixture) : IClassFixture<ReportStore>
{
    private static readonly DateTimeOffset First = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = new(2026, 12, 2, 13, 14, 15, TimeSpan.Zero);

    private (string Html, string Json) Render(DateTimeOffset generatedAt)
    {
        ReportModel model;
        using (var store = fixture.Open())
        {
            model = ReportBuilder.Build(store, fixture.Options("svc:payments/postgres"), generatedAt);
        }
        using var html = new MemoryStream();
        HtmlReport.Write(model, html);
        using var json = new MemoryStream();
        JsonReport.Write(model, json);
        return (Encoding.UTF8.GetString(html.ToArray()), Encoding.UTF8.GetString(json.ToArray()));
    }

    private static string WithoutLine(string text, string marker) =>
        string.Join('\n', text.Split('\n').Where(l => !l.Contains(marker, StringComparison.Ordinal)));

    [Fact]
    public void The_same_store_and_options_give_the_same_report_apart_from_the_generation_time()
    {
        var (html1, json1) = Render(First);
        var (html2, json2) = Render(Later);
        Assert.NotEqual(html1, html2);
        Assert.Equal(WithoutLine(html1, "class=\"generated\""), WithoutLine(html2, "class=\"generated\""));
        Assert.Equal(WithoutLine(json1, "\"generatedAt\""), WithoutLine(json2, "\"generatedAt\""));
        Assert.Equal(html1, Render(First).Html);
    }

    [Fact]
    public void The_page_is_well_formed_self_contained_and_has_every_section_and_chart()
    {
        var (html, _) = Render(First);
        var document = XDocument.Parse(html);
        var all = document.Descendants().ToList();
        Assert.DoesNotContain(all, e => e.Name.LocalName is "script" or "link" or "img" or "iframe");
        Assert.DoesNotContain(all, e => e.Attribute("src") is not null || e.Attribute("href") is not null);
        var ids = all.Select(e => (string?)e.Attribute("id")).OfType<string>().ToHashSet();
        foreach (var id in new[] { "scope", "sources", "verification", "access", "talkers", "denied", "coverage", "policy-changes", "disagreements", "chart-activity", "chart-top-denied", "chart-coverage" })
        {
            Assert.Contains(id, ids);
        }
        Assert.Equal(ids.Count, all.Count(e => e.Attribute("id") is not null)); // ids are unique
        Assert.Contains("@media print", html, StringComparison.Ordinal);
        Assert.Contains("OK</strong>", html, StringComparison.Ordinal);
        Assert.Contains("payments/postgres-0", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_json_report_holds_the_model()
    {
        var (_, json) = Render(First);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("intact", root.GetProperty("verification").GetProperty("status").GetString());
        Assert.Equal(12, root.GetProperty("scope").GetProperty("flowEntries").GetInt64());
        Assert.Equal(1, root.GetProperty("disagreements").GetProperty("total").GetInt64());
        Assert.Equal("svc:payments/postgres", root.GetProperty("access")[0].GetProperty("target").GetProperty("selector").GetString());
        Assert.EndsWith("Z", root.GetProperty("since").GetString(), StringComparison.Ordinal);
    }
}
