using PolicyTrail.Core.Cluster;

namespace PolicyTrail.Query.Answers;

/// <summary>Reads a label selector as kubectl takes it: <c>app=web,tier!=db,env in (a,b),team notin (x),ready,!legacy</c>.</summary>
internal static class SelectorParser
{
    /// <summary>The selector, or an error message naming the part that is not one.</summary>
    public static LabelSelector Parse(string text, out string? error)
    {
        error = null;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var expressions = new List<LabelSelectorRequirement>();
        foreach (var raw in Split(text))
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                error = $"selector '{text}': empty requirement";
                return LabelSelector.Everything;
            }
            var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length >= 2 && words[1] is "in" or "notin")
            {
                var open = part.IndexOf('(', StringComparison.Ordinal);
                var close = part.LastIndexOf(')');
                if (open < 0 || close < open)
                {
                    error = $"selector '{text}': '{part}' needs a value list in parentheses";
                    return LabelSelector.Everything;
                }
                var values = part[(open + 1)..close].Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToArray();
                expressions.Add(new LabelSelectorRequirement(words[0], words[1] == "in" ? SelectorOperator.In : SelectorOperator.NotIn, values));
            }
            else if (part.Contains("!=", StringComparison.Ordinal))
            {
                var at = part.IndexOf("!=", StringComparison.Ordinal);
                expressions.Add(new LabelSelectorRequirement(part[..at].Trim(), SelectorOperator.NotIn, [part[(at + 2)..].Trim()]));
            }
            else if (part.Contains('=', StringComparison.Ordinal))
            {
                var at = part.IndexOf('=', StringComparison.Ordinal);
                var value = part[(at + 1)..].TrimStart('=').Trim();
                labels[part[..at].Trim()] = value;
            }
            else if (part.StartsWith('!'))
            {
                expressions.Add(new LabelSelectorRequirement(part[1..].Trim(), SelectorOperator.DoesNotExist, []));
            }
            else if (words.Length == 1)
            {
                expressions.Add(new LabelSelectorRequirement(part, SelectorOperator.Exists, []));
            }
            else
            {
                error = $"selector '{text}': cannot read '{part}'";
                return LabelSelector.Everything;
            }
        }
        return new LabelSelector(labels, expressions);
    }

    // Commas split requirements, except inside a value list.
    private static IEnumerable<string> Split(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }
}
