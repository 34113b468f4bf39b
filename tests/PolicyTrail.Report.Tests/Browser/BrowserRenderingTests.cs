using Microsoft.Playwright;
using PolicyTrail.Report.Html;
using PolicyTrail.Report.Model;

namespace PolicyTrail.Report.Tests.Browser;

/// <summary>
/// Renders the HTML report in Debian's headless Chromium (driven by Playwright, offline): no console or page errors, the
/// charts are drawn, nothing overflows the printed page, and a full-page screenshot and a PDF are kept among the outputs.
/// </summary>
public sealed class BrowserRenderingTests(ReportStore fixture) : IClassFixture<ReportStore>
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_report_renders_in_Chromium_without_errors_with_its_charts_and_prints()
    {
        if (!File.Exists(Chromium))
        {
            Assert.Skip($"{Chromium} is not installed (apt-get install chromium; scripts/test.sh does so when run as root)");
        }
        var outputs = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(outputs);
        var file = Path.Combine(outputs, "report.html");
        using (var store = fixture.Open())
        await using (var stream = File.Create(file))
        {
            HtmlReport.Write(ReportBuilder.Build(store, fixture.Options("svc:payments/postgres"), DateTimeOffset.UnixEpoch), stream);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add($"console: {message.Text}");
            }
        };
        page.PageError += (_, error) => errors.Add($"page: {error}");
        page.RequestFailed += (_, request) => errors.Add($"request failed: {request.Url}");
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);

        await page.GotoAsync(new Uri(file).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });

        Assert.Empty(errors);
        Assert.Equal([new Uri(file).AbsoluteUri], requests); // nothing but the page itself is loaded
        foreach (var id in new[] { "chart-activity", "chart-top-denied", "chart-coverage" })
        {
            var chart = page.Locator($"svg#{id}[role=img]");
            Assert.Equal(1, await chart.CountAsync());
            var box = await chart.BoundingBoxAsync();
            Assert.True(box is { Width: > 100, Height: > 50 }, $"{id} is not drawn at a visible size");
        }
        Assert.True(await page.Locator("#chart-activity path.series-flows").CountAsync() == 1);
        var drawn = await page.EvaluateAsync<int>("() => [...document.querySelectorAll('svg.chart rect')].filter(r => r.getBBox().width > 0).length");
        Assert.True(drawn >= 3, $"only {drawn} bars drawn");
        var pathLength = await page.EvaluateAsync<double>("() => document.querySelector('#chart-activity path.series-flows').getTotalLength()");
        Assert.True(pathLength > 0);

        var screenshot = Path.Combine(outputs, "report-screenshot.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        TestContext.Current.SendDiagnosticMessage($"screenshot: {screenshot}");
        Console.WriteLine($"report screenshot: {screenshot}");

        // Printed (A4 portrait is about 718 CSS px wide inside the margins): no element wider than the page.
        await page.SetViewportSizeAsync(718, 1000);
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        var overflow = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map(e => e.tagName + ' ' + (e.id || '') + ' ' + (e.textContent || '').slice(0, 40))");
        Assert.Empty(overflow);
        Assert.Equal("page", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('#sources')).breakBefore"));
        var pdf = Path.Combine(outputs, "report.pdf");
        await page.PdfAsync(new PagePdfOptions { Path = pdf, Format = "A4", PrintBackground = true });
        Assert.True(new FileInfo(pdf).Length > 10_000);
        Assert.Empty(errors);
    }
}
