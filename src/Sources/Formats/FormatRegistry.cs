namespace PolicyTrail.Sources.Formats;

/// <summary>Every format PolicyTrail reads, found once in this assembly; and detection over them.</summary>
public static class FormatRegistry
{
    /// <summary>How many non-blank lines detection looks at.</summary>
    public const int SampleLines = 10;

    private static readonly Lazy<IReadOnlyList<IFlowFormat>> Discovered = new(() => typeof(FormatRegistry).Assembly.GetTypes()
        .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IFlowFormat).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
        .Select(t => (IFlowFormat)Activator.CreateInstance(t)!)
        .OrderBy(f => f.Name, StringComparer.Ordinal)
        .ToList());

    /// <summary>All formats, by name.</summary>
    public static IReadOnlyList<IFlowFormat> All => Discovered.Value;

    /// <summary>The format with this name (case-insensitive), or null.</summary>
    public static IFlowFormat? Find(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The most confident format for these lines, or null when none claims them.</summary>
    public static IFlowFormat? Detect(IReadOnlyList<string> sample)
    {
        IFlowFormat? best = null;
        var bestScore = 0;
        foreach (var format in All)
        {
            int score;
            try
            {
                score = format.Detect(sample);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
            {
                score = 0;
            }
            if (score > bestScore)
            {
                best = format;
                bestScore = score;
            }
        }
        return best;
    }
}
