using System.Text;
using PolicyTrail.Core.Flows;
using PolicyTrail.Sources.Formats;
using PolicyTrail.Sources.Pipeline;
using PolicyTrail.Sources.Reading;

namespace PolicyTrail.Sources.Tests.Support;

/// <summary>What reading produced: records, rejections and the summary.</summary>
internal sealed record ParseOutcome(List<NormalizedRecord> Records, List<RejectedRecord> Rejects, ReadSummary Summary)
{
    public List<FlowRecord> Flows => Records.OfType<FlowRecord>().ToList();
    public List<GapRecord> Gaps => Records.OfType<GapRecord>().ToList();
}

/// <summary>Runs the real source pipeline over text or files, as `policytrail parse` does.</summary>
internal static class Harness
{
    /// <summary>Reads text as one input named "test-input" (format detected unless given).</summary>
    public static ParseOutcome ParseText(string text, string? format = null, FormatOptions? options = null) =>
        ParseBytes(Encoding.UTF8.GetBytes(text), format, options);

    public static ParseOutcome ParseBytes(byte[] bytes, string? format = null, FormatOptions? options = null)
    {
        var reader = new FlowReader(new FlowReadOptions
        {
            Format = format is null ? null : FormatRegistry.Find(format) ?? throw new ArgumentException($"no format {format}"),
            FormatOptions = options ?? new FormatOptions(),
            Stdin = () => new MemoryStream(bytes),
        });
        return Run(reader, [new Input("-", true)]);
    }

    /// <summary>Reads files (format detected unless given).</summary>
    public static ParseOutcome ParseFiles(IEnumerable<string> paths, string? format = null, FormatOptions? options = null)
    {
        var reader = new FlowReader(new FlowReadOptions
        {
            Format = format is null ? null : FormatRegistry.Find(format) ?? throw new ArgumentException($"no format {format}"),
            FormatOptions = options ?? new FormatOptions(),
        });
        return Run(reader, Inputs.Expand(paths));
    }

    private static ParseOutcome Run(FlowReader reader, IReadOnlyList<Input> inputs)
    {
        var records = new List<NormalizedRecord>();
        var rejects = new List<RejectedRecord>();
        var summary = reader.Read(inputs, records.Add, rejects.Add);
        return new ParseOutcome(records, rejects, summary);
    }
}

/// <summary>Records as the JSON `parse -o jsonl` prints, for whole-record comparisons.</summary>
internal static class RecordJson
{
    public static string Of(NormalizedRecord record, bool withSource = true)
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
        {
            PolicyTrail.Sources.Output.RecordJsonWriter.Write(writer, record);
        }
        var json = Encoding.UTF8.GetString(stream.ToArray());
        return withSource ? json : json[..json.LastIndexOf(",\"source\":", StringComparison.Ordinal)];
    }
}
