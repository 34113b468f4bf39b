using System.Text.Json;

namespace PolicyTrail.Sources.Formats;

/// <summary>Detection for JSON-lines formats: each sample line that is a JSON object is scored by the format.</summary>
internal static class JsonDetection
{
    /// <summary>The sum of <paramref name="scoreObject"/> over the sample lines that parse as JSON objects (others score 0).</summary>
    public static int Score(IReadOnlyList<string> sample, Func<JsonElement, int> scoreObject)
    {
        var total = 0;
        foreach (var line in sample)
        {
            if (!line.TrimStart().StartsWith('{'))
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    total += scoreObject(document.RootElement);
                }
            }
            catch (JsonException)
            {
                // Not JSON (or a broken line): no evidence either way.
            }
        }
        return total;
    }
}
