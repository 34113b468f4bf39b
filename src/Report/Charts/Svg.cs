using System.Globalization;
using System.Text;

namespace PolicyTrail.Report.Charts;

/// <summary>Writes the SVG elements the charts share: an accessible root with title and description, text, numbers.</summary>
internal sealed class Svg
{
    private readonly StringBuilder _text = new();

    public Svg(string id, string title, string description, int width, int height)
    {
        Width = width;
        Height = height;
        Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{Escape(id)}\" class=\"chart\" role=\"img\" aria-labelledby=\"{Escape(id)}-title {Escape(id)}-desc\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" preserveAspectRatio=\"xMinYMin meet\" font-family=\"sans-serif\" font-size=\"11\">");
        Append($"<title id=\"{Escape(id)}-title\">{Escape(title)}</title>");
        Append($"<desc id=\"{Escape(id)}-desc\">{Escape(description)}</desc>");
    }

    public int Width { get; }

    public int Height { get; }

    public void Append(string element) => _text.Append(element).Append('\n');

    public void Text(double x, double y, string text, string anchor = "start", string? extra = null) =>
        Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"{anchor}\"{(extra is null ? "" : " " + extra)}>{Escape(text)}</text>");

    public void Line(double x1, double y1, double x2, double y2, string stroke, string? extra = null) =>
        Append($"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\"{(extra is null ? "" : " " + extra)}/>");

    public void Rect(double x, double y, double width, double height, string fill, string? label = null) =>
        Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0, width))}\" height=\"{N(Math.Max(0, height))}\" fill=\"{fill}\">{(label is null ? "" : $"<title>{Escape(label)}</title>")}</rect>");

    public string Close()
    {
        _text.Append("</svg>");
        return _text.ToString();
    }

    /// <summary>A coordinate with at most two decimals, invariant.</summary>
    public static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A count with thousands separators, invariant.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Text escaped for XML content and attribute values.</summary>
    public static string Escape(string text) => text
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&quot;", StringComparison.Ordinal)
        .Replace("'", "&#39;", StringComparison.Ordinal);

    /// <summary>The smallest 1, 2 or 5 times a power of ten at or above the value (1 for 0).</summary>
    public static long NiceCeiling(long value)
    {
        if (value <= 1)
        {
            return 1;
        }
        for (var power = 1L; ; power *= 10)
        {
            foreach (var m in new[] { 1L, 2, 5 })
            {
                if (m * power >= value)
                {
                    return m * power;
                }
            }
            if (power > long.MaxValue / 100)
            {
                return value;
            }
        }
    }
}
